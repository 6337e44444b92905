// Agreement metrics between a model's scores and the ground truth (or between two
// raters). All take plain numbers on whatever scale the caller uses (0-100 in the
// reports) and accumulate in float64 so Float32Array inputs lose nothing.

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
  let grand = 0;
  const rowMean = new Float64Array(n), colMean = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = ratings[i];
    if (row.length !== k) throw new Error(`icc21: row ${i} has ${row.length} ratings, expected ${k}`);
    for (let j = 0; j < k; j++) {
      const x = row[j];
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
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) ssTotal += (ratings[i][j] - grand) ** 2;
  ssRows *= k;
  ssCols *= n;
  const ssError = Math.max(0, ssTotal - ssRows - ssCols);
  const msRows = ssRows / (n - 1);
  const msCols = ssCols / (k - 1);
  const msError = ssError / ((n - 1) * (k - 1));
  const denom = msRows + (k - 1) * msError + (k * (msCols - msError)) / n;
  if (!(denom > 1e-12 * Math.max(1, grand * grand))) return Number.NaN;
  return (msRows - msError) / denom;
}

/** Two raters' scores as ICC input rows: [[a0, b0], [a1, b1], ...]. */
export function pairRatings(a: Values, b: Values): number[][] {
  checkPair(a, b, 'pairRatings');
  return Array.from({ length: a.length }, (_, i) => [a[i], b[i]]);
}
