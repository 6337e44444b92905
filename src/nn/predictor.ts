// One interface for everything that scores reps: the engine (FormScorer), the plain
// TypeScript reference (the test oracle) and, in export/runtimes/, a TFLite runtime.
// Evaluation, export verification and `formscore score` take a Predictor and do not
// care which one runs.

import { N_SCORES } from '../data/exercises.js';
import type { NamedWeights } from './architecture.js';
import { referenceForward } from './reference/network.js';

export interface Predictor {
  /** What runs, for reports ("FormScorer (WebAssembly engine)", a runtime's package and version). */
  readonly name: string;
  /** Scores in [0, 1]: x (n, 90, 18) -> (n, 6). */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The engine with `weights`; its worker threads live until dispose. */
export async function enginePredictor(weights: NamedWeights, threads?: number): Promise<Predictor> {
  // Loaded on demand: the reference path needs no WebAssembly or worker threads.
  const { FormScorer } = await import('./model.js');
  const model = await FormScorer.fromWeights(weights, { threads });
  return { name: 'FormScorer (WebAssembly engine)', predict: (x, n) => model.predict(x, n), dispose: () => model.dispose() };
}

/** The reference forward pass; it allocates per call, so chunks keep its activations small. */
export function referencePredictor(weights: NamedWeights): Predictor {
  const chunk = 64;
  return {
    name: 'reference (plain TypeScript)',
    async predict(x, n) {
      const out = new Float32Array(n * N_SCORES);
      const per = x.length / Math.max(n, 1);
      for (let i = 0; i < n; i += chunk) {
        const m = Math.min(chunk, n - i);
        out.set(referenceForward(weights, x.subarray(i * per, (i + m) * per), m), i * N_SCORES);
      }
      return out;
    },
    dispose: async () => {},
  };
}

/** Runs `f` with a predictor and disposes of it afterwards, also when `f` throws. */
export async function withPredictor<T>(made: Promise<Predictor> | Predictor, f: (p: Predictor) => Promise<T>): Promise<T> {
  const p = await made;
  try {
    return await f(p);
  } finally {
    await p.dispose();
  }
}
