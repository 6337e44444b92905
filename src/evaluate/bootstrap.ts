// Nonparametric bootstrap confidence intervals, percentile method (Efron & Tibshirani
// 1993, ch. 13): draw `resamples` samples of the n reps with replacement, compute the
// statistic on each, and take the α/2 and 1 − α/2 quantiles of those replicates.
// Quantiles interpolate linearly between order statistics (Hyndman & Fan type 7, numpy's
// default), so `numpy.percentile(replicates, [2.5, 97.5])` reproduces them.
//
// Seeded: the resample indices depend only on (seed, n, resamples), so a rerun gives the
// same interval, and every statistic of the same reps (MAE, r and ICC of one dimension,
// or the rule and network errors of a paired comparison) is computed on the same resamples.

import { Random } from '../util/random.js';

export interface BootstrapOptions {
  /** Number of resamples; at least 1,000 (default 2,000). */
  resamples?: number;
  /** Seed of the resample indices (default 20_250_613). */
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

export const BOOTSTRAP_DEFAULTS = { resamples: 2000, seed: 20_250_613, level: 0.95 } as const;
/** Fewer resamples make the 2.5 % tail rest on a handful of replicates. */
export const MIN_RESAMPLES = 1000;

export interface Interval { lo: number; hi: number }

/** Quantile q of ascending `sorted` values, linear between order statistics (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) return Number.NaN;
  const h = (m - 1) * q;
  const i = Math.floor(h);
  return i + 1 < m ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[m - 1];
}

/** Checked options with defaults filled in; a bad value is a one-line error. */
export function bootstrapSettings(opts: BootstrapOptions = {}): Required<BootstrapOptions> {
  const s = { ...BOOTSTRAP_DEFAULTS, ...opts };
  if (!Number.isInteger(s.resamples) || s.resamples < MIN_RESAMPLES) {
    throw new Error(`bootstrap resamples must be an integer >= ${MIN_RESAMPLES}, got ${s.resamples}`);
  }
  if (!(s.level > 0 && s.level < 1)) throw new Error(`confidence level must be in (0, 1), got ${s.level}`);
  if (!Number.isInteger(s.seed)) throw new Error(`bootstrap seed must be an integer, got ${s.seed}`);
  return s;
}

/**
 * Percentile-bootstrap intervals of one or more statistics of the same n observations.
 * `statistic` gets the indices of one resample (length n, drawn with replacement) and
 * returns one value per statistic. Replicates that are not finite (an ICC on a resample
 * with no variance) are left out; an interval with fewer than half its replicates finite is NaN.
 */
export function bootstrapCi(n: number, statistic: (indices: Int32Array) => readonly number[], opts: BootstrapOptions = {}): Interval[] {
  const { resamples, seed, level } = bootstrapSettings(opts);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrap needs at least 1 observation, got ${n}`);
  const rng = new Random(seed);
  const indices = new Int32Array(n);
  let replicates: Float64Array[] = [];
  const counts: number[] = [];
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(rng.next() * n);
    const values = statistic(indices);
    if (b === 0) {
      replicates = values.map(() => new Float64Array(resamples));
      counts.push(...values.map(() => 0));
    }
    values.forEach((v, s) => { if (Number.isFinite(v)) replicates[s][counts[s]++] = v; });
  }
  const alpha = 1 - level;
  return replicates.map((all, s) => {
    if (counts[s] < resamples / 2) return { lo: Number.NaN, hi: Number.NaN };
    const sorted = all.subarray(0, counts[s]).sort();
    return { lo: quantileSorted(sorted, alpha / 2), hi: quantileSorted(sorted, 1 - alpha / 2) };
  });
}
