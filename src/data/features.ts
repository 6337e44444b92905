// Model input features (DESIGN.md data contract): the app computes exactly these on
// the phone, so any change here breaks the shipped models.

import { FRAMES, MAX_ANGLE, N_ANGLES, N_FEATURES } from './exercises.js';

/** Angles are divided by this ... */
export const ANGLE_SCALE = MAX_ANGLE; // 180
/** ... and frame-to-frame differences by this, so both land roughly in [−1, 1]. */
export const VELOCITY_SCALE = 30;

const clip1 = (x: number) => (x < -1 ? -1 : x > 1 ? 1 : x);

/**
 * sequences: (N, 90, 9) degrees → (N, 90, 18): channels 0–8 angle/180, channels 9–17
 * (x[t] − x[t−1])/30 with frame 0 = 0; everything clipped to [−1, 1].
 */
export function toFeatures(sequences: Float32Array, n: number): Float32Array {
  if (sequences.length !== n * FRAMES * N_ANGLES) {
    throw new Error(`toFeatures: sequences has ${sequences.length} values, expected ${n}×${FRAMES}×${N_ANGLES}`);
  }
  const out = new Float32Array(n * FRAMES * N_FEATURES);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < FRAMES; t++) {
      const src = (b * FRAMES + t) * N_ANGLES;
      const dst = (b * FRAMES + t) * N_FEATURES;
      for (let c = 0; c < N_ANGLES; c++) {
        out[dst + c] = clip1(sequences[src + c] / ANGLE_SCALE);
        out[dst + N_ANGLES + c] = t === 0 ? 0 : clip1((sequences[src + c] - sequences[src - N_ANGLES + c]) / VELOCITY_SCALE);
      }
    }
  }
  return out;
}
