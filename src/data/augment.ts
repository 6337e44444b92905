// Training-set augmentation: small, label-preserving changes a phone camera and a
// different person would produce (a slower or faster part of the rep, sensor noise,
// a bigger or smaller movement, the mirror image). Each transform works on one rep,
// a flat (90, 9) Float32Array in degrees, and returns a new one.

import { BILATERAL_PAIRS, FRAMES, MAX_ANGLE, N_ANGLES, REP_SIZE } from './exercises.js';
import { Random } from '../util/random.js';

/** How likely augmentBatch applies each transform to a copy. */
export const AUGMENT_PROBABILITIES = { timeWarp: 0.5, gaussianNoise: 0.6, amplitudeScale: 0.35, mirror: 0.35 } as const;

/**
 * Resamples the rep along a smooth monotone time warp: `knots` interior knots at even
 * spacing are moved by N(0, strength × spacing), kept in order, and joined by a
 * monotone cubic (Fritsch–Carlson) so the warp has no kinks; frames 0 and 89 stay put.
 */
export function timeWarp(seq: Float32Array, rng: Random, knots = 4, strength = 0.25): Float32Array {
  const last = FRAMES - 1;
  const k = knots + 2;
  const xs = new Float64Array(k); // output frame positions of the knots
  const ys = new Float64Array(k); // source time they read from
  const spacing = last / (k - 1);
  const minGap = 0.25 * spacing; // keeps the warp strictly increasing
  for (let i = 0; i < k; i++) {
    xs[i] = i * spacing;
    ys[i] = i === 0 || i === k - 1 ? xs[i] : xs[i] + rng.normal(0, strength * spacing);
  }
  for (let i = 1; i < k - 1; i++) {
    ys[i] = Math.min(Math.max(ys[i], ys[i - 1] + minGap), last - (k - 1 - i) * minGap);
  }
  const slopes = monotoneSlopes(xs, ys);
  const out = new Float32Array(REP_SIZE);
  let seg = 0;
  for (let t = 0; t < FRAMES; t++) {
    while (seg < k - 2 && t > xs[seg + 1]) seg++;
    const h = xs[seg + 1] - xs[seg];
    const s = (t - xs[seg]) / h;
    const s2 = s * s, s3 = s2 * s;
    let src =
      (2 * s3 - 3 * s2 + 1) * ys[seg] + (s3 - 2 * s2 + s) * h * slopes[seg] +
      (-2 * s3 + 3 * s2) * ys[seg + 1] + (s3 - s2) * h * slopes[seg + 1];
    src = Math.min(Math.max(src, 0), last);
    const f0 = Math.min(Math.floor(src), last - 1);
    const w = src - f0;
    for (let c = 0; c < N_ANGLES; c++) {
      out[t * N_ANGLES + c] = (1 - w) * seq[f0 * N_ANGLES + c] + w * seq[(f0 + 1) * N_ANGLES + c];
    }
  }
  return out;
}

// Fritsch–Carlson tangents: a cubic Hermite through increasing points stays increasing.
function monotoneSlopes(xs: Float64Array, ys: Float64Array): Float64Array {
  const n = xs.length;
  const d = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) d[i] = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
  const m = new Float64Array(n);
  m[0] = d[0];
  m[n - 1] = d[n - 2];
  for (let i = 1; i < n - 1; i++) m[i] = d[i - 1] * d[i] <= 0 ? 0 : (2 * d[i - 1] * d[i]) / (d[i - 1] + d[i]);
  for (let i = 0; i < n - 1; i++) {
    const a = m[i] / d[i], b = m[i + 1] / d[i];
    const r = a * a + b * b;
    if (r > 9) {
      const tau = 3 / Math.sqrt(r);
      m[i] = tau * a * d[i];
      m[i + 1] = tau * b * d[i];
    }
  }
  return m;
}

/** Adds N(0, std) degrees to every angle (pose-estimation noise). */
export function gaussianNoise(seq: Float32Array, rng: Random, std = 1.0): Float32Array {
  const out = new Float32Array(seq.length);
  for (let i = 0; i < seq.length; i++) out[i] = seq[i] + rng.normal(0, std);
  return out;
}

/** Scales every channel's movement about its own mean by one factor U(lo, hi). */
export function amplitudeScale(seq: Float32Array, rng: Random, lo = 0.85, hi = 1.15): Float32Array {
  const scale = rng.uniform(lo, hi);
  const out = new Float32Array(seq.length);
  for (let c = 0; c < N_ANGLES; c++) {
    let mean = 0;
    for (let t = 0; t < FRAMES; t++) mean += seq[t * N_ANGLES + c];
    mean /= FRAMES;
    for (let t = 0; t < FRAMES; t++) out[t * N_ANGLES + c] = mean + scale * (seq[t * N_ANGLES + c] - mean);
  }
  return out;
}

/** The mirror image: left and right swap in the four bilateral pairs; the spine stays. */
export function mirror(seq: Float32Array): Float32Array {
  const out = Float32Array.from(seq);
  for (let t = 0; t < FRAMES; t++) {
    const o = t * N_ANGLES;
    for (const [l, r] of BILATERAL_PAIRS) {
      out[o + l] = seq[o + r];
      out[o + r] = seq[o + l];
    }
  }
  return out;
}

/**
 * Labels of an augmented copy: (90, 9) degrees → (L). Where the ground truth is a
 * function of the sequence (the realistic profile's rule scores), the copy is labelled
 * anew; without one, each copy keeps its original label row (the seed project's way).
 */
export type Relabel = (sequence: Float32Array) => Float32Array;

/**
 * Appends `factor` augmented copies of every rep.
 * sequences: (N, 90, 9), labels: (N, L) → (N·(1+factor), 90, 9), (N·(1+factor), L).
 * The originals come first, unchanged; copies are clipped to [0, 180].
 */
export function augmentBatch(
  sequences: Float32Array,
  labels: Float32Array,
  n: number,
  factor: number,
  rng: Random,
  relabel?: Relabel,
): { sequences: Float32Array; labels: Float32Array; n: number } {
  if (!Number.isInteger(factor) || factor < 0) throw new Error(`augmentBatch: factor must be a non-negative integer, got ${factor}`);
  if (sequences.length !== n * REP_SIZE) throw new Error(`augmentBatch: sequences has ${sequences.length} values, expected ${n}×90×9`);
  if (n > 0 && labels.length % n !== 0) throw new Error(`augmentBatch: labels length ${labels.length} is not a multiple of n=${n}`);
  const labelSize = n > 0 ? labels.length / n : 0;
  const total = n * (1 + factor);
  const outSeq = new Float32Array(total * REP_SIZE);
  const outLab = new Float32Array(total * labelSize);
  outSeq.set(sequences);
  outLab.set(labels);
  const p = AUGMENT_PROBABILITIES;
  let j = n;
  for (let copy = 0; copy < factor; copy++) {
    for (let i = 0; i < n; i++, j++) {
      let seq: Float32Array = sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE);
      if (rng.next() < p.timeWarp) seq = timeWarp(seq, rng);
      if (rng.next() < p.gaussianNoise) seq = gaussianNoise(seq, rng);
      if (rng.next() < p.amplitudeScale) seq = amplitudeScale(seq, rng);
      if (rng.next() < p.mirror) seq = mirror(seq);
      const o = j * REP_SIZE;
      for (let v = 0; v < REP_SIZE; v++) {
        const x = seq[v];
        outSeq[o + v] = x < 0 ? 0 : x > MAX_ANGLE ? MAX_ANGLE : x;
      }
      const copy = outSeq.subarray(o, o + REP_SIZE);
      outLab.set(relabel ? relabel(copy) : labels.subarray(i * labelSize, (i + 1) * labelSize), j * labelSize);
    }
  }
  return { sequences: outSeq, labels: outLab, n: total };
}
