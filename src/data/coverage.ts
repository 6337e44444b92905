// Domain-gap check: which input statistics the training data covered, and whether a
// rep falls outside. A network only reproduces the rules where it has seen examples;
// a rep faster, noisier or bent further than anything in training gets a number the
// user should not trust, so `score` and `annotate` say so, naming the statistic.
//
// The covered range of a statistic is the central 99 % of the training reps
// (0.5th to 99.5th percentile), so that a handful of extreme reps does not stretch it.

import { ANGLES, FRAMES, N_ANGLES, REP_SIZE } from './exercises.js';
import { avgBilateralDiff, peakSpeed } from './scores.js';

export const COVERAGE_QUANTILES = [0.005, 0.995] as const;

/** Statistic → [low, high] covered by the training data. */
export type Coverage = Record<string, [number, number]>;

/** A trained model (checkpoint folder or file) and the coverage of its training data. */
export interface ModelCoverage { model: string; coverage: Coverage }

interface Statistic { name: string; unit: string; of: (seq: ArrayLike<number>) => number }

/** Mean |x[t+1] − 2x[t] + x[t−1]| over frames and channels: the estimator's jitter, °/frame². */
export function jitterLevel(seq: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 1; t < FRAMES - 1; t++) {
    for (let c = 0; c < N_ANGLES; c++) {
      const i = t * N_ANGLES + c;
      sum += Math.abs(seq[i + N_ANGLES] - 2 * seq[i] + seq[i - N_ANGLES]);
    }
  }
  return sum / ((FRAMES - 2) * N_ANGLES);
}

const channelExtreme = (c: number, pick: (a: number, b: number) => number) => (seq: ArrayLike<number>) => {
  let v = seq[c];
  for (let t = 1; t < FRAMES; t++) v = pick(v, seq[t * N_ANGLES + c]);
  return v;
};

/** What the check measures on a (90, 9) rep: speed, jitter, asymmetry and the range of each angle. */
export const STATISTICS: readonly Statistic[] = [
  { name: 'peak angular velocity', unit: '°/frame', of: (s) => peakSpeed(s) },
  { name: 'jitter', unit: '°/frame²', of: jitterLevel },
  { name: 'left/right difference', unit: '°', of: (s) => avgBilateralDiff(s) },
  ...ANGLES.flatMap((angle, c) => [
    { name: `${angle} min`, unit: '°', of: channelExtreme(c, Math.min) },
    { name: `${angle} max`, unit: '°', of: channelExtreme(c, Math.max) },
  ]),
];

/** The covered range of every statistic over n reps. sequences: (N, 90, 9) degrees. */
export function measureCoverage(sequences: Float32Array, n: number): Coverage {
  if (n < 1) throw new Error('measureCoverage: no reps');
  const coverage: Coverage = {};
  const values = new Float64Array(n);
  for (const stat of STATISTICS) {
    for (let i = 0; i < n; i++) values[i] = stat.of(sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE));
    values.sort();
    const at = (q: number) => values[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))];
    coverage[stat.name] = [round3(at(COVERAGE_QUANTILES[0])), round3(at(COVERAGE_QUANTILES[1]))];
  }
  return coverage;
}

/**
 * The statistics of one rep (90, 9) that fall outside the coverage, as one phrase each,
 * e.g. "peak angular velocity 31.2 °/frame (training 0.6-24.1)". Empty when the rep is covered.
 */
export function domainGaps(seq: ArrayLike<number>, coverage: Coverage): string[] {
  const gaps: string[] = [];
  for (const stat of STATISTICS) {
    const range = coverage[stat.name];
    if (!range) continue;
    const v = stat.of(seq);
    if (v < range[0] || v > range[1]) {
      gaps.push(`${stat.name} ${v.toFixed(1)} ${stat.unit} (training ${range[0].toFixed(1)}-${range[1].toFixed(1)})`);
    }
  }
  return gaps;
}

/** A coverage record read back from JSON (checkpoint or .tflite metadata), or null if absent or malformed. */
export function parseCoverage(value: unknown): Coverage | null {
  if (!value || typeof value !== 'object') return null;
  const out: Coverage = {};
  for (const [name, range] of Object.entries(value)) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
    out[name] = [range[0], range[1]];
  }
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
