// Paired comparison of two scoring approaches on the same reps. Each rep's absolute error
// is the mean over the six dimensions of |score − truth|; the difference of two approaches'
// errors on the same rep removes the rep-to-rep spread that separate intervals carry, so
// "the network beats the rules" is tested on what actually differs. Reported: the mean
// difference with its percentile-bootstrap interval, and a Wilcoxon signed-rank p-value
// (no normality assumed: error differences are skewed).

import { N_SCORES, type Exercise } from '../data/exercises.js';
import { bootstrapCi, type BootstrapOptions } from './bootstrap.js';
import { approachScores, type Approach } from './predictions.js';
import type { TestPredictions } from './evaluation.js';
import { wilcoxonSignedRank } from './wilcoxon.js';
import { formatCi } from './agreement.js';
import { fmt, type Row } from './table.js';

/** Which approach is compared with which: a − b, so a negative difference means a has the smaller error. */
export const PAIRS: readonly (readonly [Approach, Approach])[] = [['network', 'rule'], ['hybrid', 'rule'], ['network', 'hybrid']];

export const PAIRED_CSV = 'results_paired.csv';
export const PAIRED_COLUMNS = [
  'exercise', 'a', 'b', 'n', 'mae_a', 'mae_b', 'diff', 'diff_lo', 'diff_hi', 'wilcoxon_w', 'wilcoxon_z', 'p_value', 'test',
] as const;

export interface PairedRow extends Row {
  exercise: Exercise;
  a: Approach;
  b: Approach;
  n: number;
  mae_a: number; // mean absolute error of a over reps and the six dimensions
  mae_b: number;
  diff: number; // mean over reps of (error of a − error of b) = mae_a − mae_b
  diff_lo: number;
  diff_hi: number;
  wilcoxon_w: number; // min(W+, W−)
  wilcoxon_z: number; // NaN when the exact distribution was used
  p_value: number;
  test: string; // 'exact' or 'normal'
}

/** Each rep's absolute error, averaged over the six dimensions; scores and truth (N, 6). */
export function repAbsoluteErrors(scores: Float32Array, truth: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < N_SCORES; d++) s += Math.abs(scores[i * N_SCORES + d] - truth[i * N_SCORES + d]);
    out[i] = s / N_SCORES;
  }
  return out;
}

const mean = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s / a.length; };

/** The paired comparisons of one exercise's test reps. */
export function pairedComparison(p: TestPredictions, bootstrap: BootstrapOptions = {}): PairedRow[] {
  const scores = approachScores(p);
  const errors = Object.fromEntries(Object.entries(scores).map(([k, s]) => [k, repAbsoluteErrors(s, p.truth, p.n)])) as Record<Approach, Float64Array>;
  return PAIRS.map(([a, b]) => {
    const diff = errors[a].map((e, i) => e - errors[b][i]);
    const [ci] = bootstrapCi(p.n, (idx) => { let s = 0; for (const i of idx) s += diff[i]; return [s / p.n]; }, bootstrap);
    const w = wilcoxonSignedRank(diff);
    return {
      exercise: p.exercise, a, b, n: p.n,
      mae_a: mean(errors[a]), mae_b: mean(errors[b]), diff: mean(diff), diff_lo: ci.lo, diff_hi: ci.hi,
      wilcoxon_w: w.statistic, wilcoxon_z: w.z, p_value: w.p, test: w.method,
    };
  });
}

/** Console/report rows: "network − rule", the difference with its interval, and the p-value. */
export const PAIRED_DISPLAY_COLUMNS = ['exercise', 'comparison', 'n', 'mae_a', 'mae_b', 'diff', 'diff 95% CI', 'wilcoxon p'] as const;

export function pairedDisplay(rows: readonly PairedRow[]): Row[] {
  return rows.map((r) => ({
    exercise: r.exercise, comparison: `${r.a} − ${r.b}`, n: r.n, mae_a: r.mae_a, mae_b: r.mae_b, diff: r.diff,
    'diff 95% CI': formatCi(r.diff_lo, r.diff_hi),
    // p-values span orders of magnitude: two significant digits, and a floor instead of 0.
    'wilcoxon p': r.p_value < 1e-16 ? '< 1e-16' : fmt(Number(r.p_value.toPrecision(2)), 4),
  }));
}
