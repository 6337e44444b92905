// The six score formulas of the data contract (DESIGN.md). Both the synthetic ground
// truth and the rule-based scorer (layer 1) use them, so the network learns the same
// scale the app's rules produce. Every score is clipped to [0, 100].
//
// A rep is a flat (90, 9) Float32Array of joint angles in degrees, frame-major.

import { BILATERAL_PAIRS, FRAMES, N_ANGLES } from './exercises.js';

/** Tempo ramp: peak speeds up to this (°/frame) score 100 ... */
export const TEMPO_FAST_OK = 5;
/** ... and from this on 0, linear in between. */
export const TEMPO_TOO_FAST = 25;
/** Velocity variance (°²/frame²) at which stability reaches 0. */
export const STABILITY_VARIANCE_LIMIT = 25;
/** Mean left/right difference (°) at which symmetry reaches 0. */
export const SYMMETRY_DIFF_LIMIT = 20;

export const clipScore = (x: number): number => (x < 0 ? 0 : x > 100 ? 100 : x);

/** depth = actualROM / idealROM × 100. */
export function depthScore(actualRom: number, idealRom: number): number {
  return clipScore((actualRom / idealRom) * 100);
}

/**
 * Population variance of |x[t+1] − x[t]| over all frame pairs and all channels.
 * seq: (frames, 9).
 */
export function velocityVariance(seq: ArrayLike<number>, frames = FRAMES): number {
  const count = (frames - 1) * N_ANGLES;
  if (count <= 0) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = N_ANGLES; i < frames * N_ANGLES; i++) {
    const v = Math.abs(seq[i] - seq[i - N_ANGLES]);
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / count;
  return Math.max(0, sumSq / count - mean * mean);
}

/** stability = (1 − velocityVariance / 25) × 100. seq: (frames, 9). */
export function stabilityScore(seq: ArrayLike<number>, frames = FRAMES): number {
  return clipScore((1 - velocityVariance(seq, frames) / STABILITY_VARIANCE_LIMIT) * 100);
}

/** Mean |left − right| over the four bilateral pairs and all frames. seq: (frames, 9). */
export function avgBilateralDiff(seq: ArrayLike<number>, frames = FRAMES): number {
  let sum = 0;
  for (let t = 0; t < frames; t++) {
    const o = t * N_ANGLES;
    for (const [l, r] of BILATERAL_PAIRS) sum += Math.abs(seq[o + l] - seq[o + r]);
  }
  return sum / (frames * BILATERAL_PAIRS.length);
}

/** symmetry = (1 − avgBilateralDiff / 20) × 100. seq: (frames, 9). */
export function symmetryScore(seq: ArrayLike<number>, frames = FRAMES): number {
  return clipScore((1 - avgBilateralDiff(seq, frames) / SYMMETRY_DIFF_LIMIT) * 100);
}

/** Largest |x[t+1] − x[t]| over all frames and channels (°/frame). seq: (frames, 9). */
export function peakSpeed(seq: ArrayLike<number>, frames = FRAMES): number {
  let peak = 0;
  for (let i = N_ANGLES; i < frames * N_ANGLES; i++) {
    const v = Math.abs(seq[i] - seq[i - N_ANGLES]);
    if (v > peak) peak = v;
  }
  return peak;
}

/** Tempo ramp: ≤ 5 °/frame → 100, ≥ 25 → 0, linear between. */
export function tempoFromPeak(peak: number): number {
  return clipScore(((TEMPO_TOO_FAST - peak) / (TEMPO_TOO_FAST - TEMPO_FAST_OK)) * 100);
}

/** tempo score of a rep. seq: (frames, 9). */
export function tempoScore(seq: ArrayLike<number>, frames = FRAMES): number {
  return tempoFromPeak(peakSpeed(seq, frames));
}

/** alignment = (1 − errorFrames / totalFrames) × 100. */
export function alignmentScore(errorFrames: number, totalFrames = FRAMES): number {
  return clipScore((1 - errorFrames / totalFrames) * 100);
}

/** overall = mean of the five (already clipped) dimension scores. */
export function overallScore(depth: number, stability: number, symmetry: number, tempo: number, alignment: number): number {
  return clipScore(
    (clipScore(depth) + clipScore(stability) + clipScore(symmetry) + clipScore(tempo) + clipScore(alignment)) / 5,
  );
}

/**
 * Writes the six scores [depth, stability, symmetry, tempo, alignment, overall] of one
 * rep into out[o .. o+6), given the two dimensions that need outside knowledge
 * (depth, alignment) and computing the other three from the sequence.
 */
export function scoreRep(
  seq: ArrayLike<number>,
  depth: number,
  alignment: number,
  out: Float32Array = new Float32Array(6),
  o = 0,
): Float32Array {
  const d = clipScore(depth);
  const st = stabilityScore(seq);
  const sy = symmetryScore(seq);
  const te = tempoScore(seq);
  const al = clipScore(alignment);
  out[o] = d;
  out[o + 1] = st;
  out[o + 2] = sy;
  out[o + 3] = te;
  out[o + 4] = al;
  out[o + 5] = overallScore(d, st, sy, te, al);
  return out;
}
