// A loaded .tflite file as a Predictor (src/nn/predictor.ts): one rep at a time, as the app runs it.

import { FRAMES, N_FEATURES, N_SCORES } from '../../data/exercises.js';
import type { Predictor } from '../../nn/predictor.js';
import type { LoadedTfliteModel } from './types.js';

export function tflitePredictor(loaded: LoadedTfliteModel, name: string): Predictor {
  const per = FRAMES * N_FEATURES;
  return {
    name,
    async predict(x, n) {
      const out = new Float32Array(n * N_SCORES);
      for (let i = 0; i < n; i++) out.set((await loaded.run(x.slice(i * per, (i + 1) * per))).subarray(0, N_SCORES), i * N_SCORES);
      return out;
    },
    dispose: async () => loaded.dispose(),
  };
}
