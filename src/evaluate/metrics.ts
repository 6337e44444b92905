// Agreement metrics between a model's scores and the ground truth (or between two
// raters). All take plain numbers on whatever scale the caller uses (0-100 in the
// reports) and accumulate in float64 so Float32Array inputs lose nothing.

import { fQuantile } from './distributions.js';

type Values = ArrayLike<number>;

function checkPair(a: Values, b: Values, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: length mismatch (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new Error(`${what}: no values`);
}

/** Mean absolute error: mean |a − b|. */
export function mae(a: Values, b: Values): number {
  checkPair(a, b, 'mae');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Root mean squared error: sqrt(mean (a − b)²). */
export function rmse(a: Values, b: Values): number {
  checkPair(a, b, 'rmse');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/**
 * Pearson correlation r. Returns 0 when either side is constant: r is undefined there,
 * and a model that predicts one value for every rep carries no ranking information.
 */
export function pearson(a: Values, b: Values): number {
  checkPair(a, b, 'pearson');
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  // Relative threshold: float32 inputs that are "constant" can still leave rounding dust.
  const scale = Math.max(1, Math.abs(ma), Math.abs(mb)) ** 2 * n * 1e-20;
  if (saa <= scale || sbb <= scale) return 0;
  const r = sab / Math.sqrt(saa * sbb);
  return Math.max(-1, Math.min(1, r));
}

/** Mean squares of the two-way ANOVA (subjects × raters, one rating per cell) behind ICC(2,1). */
export interface TwoWayMeanSquares {
  n: number; // subjects (rows)
  k: number; // raters (columns)
  grand: number; // grand mean
  msRows: number; // between subjects (MSR; Shrout & Fleiss's BMS)
  msCols: number; // between raters (MSC; JMS)
  msError: number; // residual (MSE; EMS)
}

/**
 * Two-way ANOVA mean squares from k rater columns of n ratings each. Columns rather than
 * rows so that the bootstrap can pass its resampled buffers without building row arrays.
 */
export function twoWayMeanSquares(columns: readonly ArrayLike<number>[]): TwoWayMeanSquares {
  const k = columns.length;
  if (k < 2) throw new Error(`icc21: need at least 2 raters (columns), got ${k}`);
  const n = columns[0].length;
  if (n < 2) throw new Error(`icc21: need at least 2 subjects (rows), got ${n}`);
  let grand = 0;
  const rowMean = new Float64Array(n), colMean = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const col = columns[j];
    if (col.length !== n) throw new Error(`icc21: rater ${j} has ${col.length} ratings, expected ${n}`);
    for (let i = 0; i < n; i++) {
      const x = col[i];
      if (!Number.isFinite(x)) throw new Error(`icc21: row ${i} column ${j} is not a finite number (${x})`);
      rowMean[i] += x; colMean[j] += x; grand += x;
    }
  }
  grand /= n * k;
  for (let i = 0; i < n; i++) rowMean[i] /= k;
  for (let j = 0; j < k; j++) colMean[j] /= n;
  let ssRows = 0, ssCols = 0, ssTotal = 0;
  for (let i = 0; i < n; i++) ssRows += (rowMean[i] - grand) ** 2;
  for (let j = 0; j < k; j++) ssCols += (colMean[j] - grand) ** 2;
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) ssTotal += (columns[j][i] - grand) ** 2;
  ssRows *= k;
  ssCols *= n;
  const ssError = Math.max(0, ssTotal - ssRows - ssCols);
  return { n, k, grand, msRows: ssRows / (n - 1), msCols: ssCols / (k - 1), msError: ssError / ((n - 1) * (k - 1)) };
}

/** ICC(2,1) from the ANOVA mean squares; NaN when every rating is identical. */
export function icc21FromMeanSquares({ n, k, grand, msRows, msCols, msError }: TwoWayMeanSquares): number {
  const denom = msRows + (k - 1) * msError + (k * (msCols - msError)) / n;
  if (!(denom > 1e-12 * Math.max(1, grand * grand))) return Number.NaN;
  return (msRows - msError) / denom;
}

/**
 * ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss
 * 1979, case 2; McGraw & Wong 1996 call it ICC(A,1)). `ratings` has one row per subject
 * and one column per rater (here: ground truth and network as two raters of each rep).
 *
 *   ICC = (MSR − MSE) / (MSR + (k−1)·MSE + k·(MSC − MSE)/n)
 *
 * Unlike Pearson, a systematic offset between raters (MSC) lowers it: the app needs the
 * network's scores to agree with the truth, not just to rank reps the same way.
 * Returns NaN when it is undefined (every rating identical: no variance to explain).
 */
export function icc21(ratings: readonly (readonly number[])[] | readonly ArrayLike<number>[]): number {
  const n = ratings.length;
  if (n < 2) throw new Error(`icc21: need at least 2 subjects (rows), got ${n}`);
  const k = ratings[0].length;
  if (k < 2) throw new Error(`icc21: need at least 2 raters (columns), got ${k}`);
  const columns = Array.from({ length: k }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const row = ratings[i];
    if (row.length !== k) throw new Error(`icc21: row ${i} has ${row.length} ratings, expected ${k}`);
    for (let j = 0; j < k; j++) columns[j][i] = row[j];
  }
  return icc21FromMeanSquares(twoWayMeanSquares(columns));
}

/**
 * The analytic confidence interval of ICC(2,1) = ICC(A,1) (McGraw & Wong 1996, Table 7,
 * case 2A), from F quantiles with Satterthwaite's approximate degrees of freedom v:
 *
 *   a = k·ρ / (n(1−ρ)),  b = 1 + k·ρ(n−1) / (n(1−ρ))
 *   v = (a·MSC + b·MSE)² / ((a·MSC)²/(k−1) + (b·MSE)²/((n−1)(k−1)))
 *   lower = n(MSR − F₁·MSE) / (F₁(k·MSC + (kn−k−n)·MSE) + n·MSR),  F₁ = F(1−α/2; n−1, v)
 *   upper = n(F₂·MSR − MSE) / (k·MSC + (kn−k−n)·MSE + n·F₂·MSR),  F₂ = F(1−α/2; v, n−1)
 *
 * It is what R's psych::ICC and irr::icc report; on Shrout & Fleiss's 6 × 4 example it
 * gives [0.019, 0.76] (psych's documented output). NaN bounds when the ICC is undefined or 1.
 */
export function iccConfidenceInterval(ms: TwoWayMeanSquares, level = 0.95): { lo: number; hi: number } {
  const { n, k, msRows, msCols, msError } = ms;
  const rho = icc21FromMeanSquares(ms);
  if (!Number.isFinite(rho) || rho >= 1 || msError <= 0) return { lo: Number.NaN, hi: Number.NaN };
  const a = (k * rho) / (n * (1 - rho));
  const b = 1 + (k * rho * (n - 1)) / (n * (1 - rho));
  const v = (a * msCols + b * msError) ** 2 / ((a * msCols) ** 2 / (k - 1) + (b * msError) ** 2 / ((n - 1) * (k - 1)));
  const q = 1 - (1 - level) / 2;
  const f1 = fQuantile(q, n - 1, v), f2 = fQuantile(q, v, n - 1);
  const common = k * msCols + (k * n - k - n) * msError;
  return {
    lo: (n * (msRows - f1 * msError)) / (f1 * common + n * msRows),
    hi: (n * (f2 * msRows - msError)) / (common + n * f2 * msRows),
  };
}

/** Two raters' scores as ICC input rows: [[a0, b0], [a1, b1], ...]. */
export function pairRatings(a: Values, b: Values): number[][] {
  checkPair(a, b, 'pairRatings');
  return Array.from({ length: a.length }, (_, i) => [a[i], b[i]]);
}
