// `formscore compare`: the three ways the app can score a rep, on the same test reps:
// rule-based (layer 1, from the raw angles), network only (layer 2), and the hybrid
// blend the app ships (0.30 rule + 0.70 network).

import { join } from 'node:path';
import { DIMENSIONS, HYBRID_RULE_WEIGHT, N_SCORES, type Exercise } from '../data/exercises.js';
import { APPROACHES, approachScores, type Approach } from './predictions.js';
import { mae, pearson } from './metrics.js';
import { formatCi } from './agreement.js';
import { bootstrapCi, type BootstrapOptions } from './bootstrap.js';
import { ciNote, column, dimensionMetrics, noModelsError, predictTestSplits, type MetricRow, type PhaseOptions, type Skipped, type TestPredictions } from './evaluation.js';
import { predictTransfer } from './transfer.js';
import { pairedComparison, pairedDisplay, PAIRED_COLUMNS, PAIRED_CSV, PAIRED_DISPLAY_COLUMNS, type PairedRow } from './paired.js';
import { formatTable, toCsv, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, PHASE_NUMBERS, findModel, type Phase } from '../workspace/layout.js';

// Defined with the per-rep predictions, which write all three; re-exported where they were first public.
export { APPROACHES, approachScores, type Approach };

/** "0.30 rule + 0.70 network", from the contract's constant. */
export const HYBRID_LABEL = `${HYBRID_RULE_WEIGHT.toFixed(2)} rule + ${(1 - HYBRID_RULE_WEIGHT).toFixed(2)} network`;

export const COMPARISON_CSV = 'results_comparison.csv';
/** The four statistics of an approach; each gets `<stat>_lo` and `<stat>_hi` bootstrap columns. */
const COMPARISON_STATS = ['mae', 'mean_pearson', 'overall_mae', 'overall_pearson'] as const;
type ComparisonStat = (typeof COMPARISON_STATS)[number];

export const COMPARISON_COLUMNS = [
  'exercise', 'approach', 'n', ...COMPARISON_STATS, ...COMPARISON_STATS.flatMap((s) => [`${s}_lo`, `${s}_hi`] as const),
] as const;

export type ComparisonRow = Row & {
  exercise: Exercise;
  approach: Approach;
  n: number;
  mae: number; // over all six dimensions and reps
  mean_pearson: number; // mean of the six per-dimension r
  overall_mae: number;
  overall_pearson: number;
} & { [K in `${ComparisonStat}_${'lo' | 'hi'}`]: number };

/** The four comparison statistics of `scores` against `truth`, both (N, 6) on 0-100. */
function comparisonStats(scores: Float32Array, truth: Float32Array, n: number): number[] {
  const overall = DIMENSIONS.indexOf('overall');
  const r = DIMENSIONS.map((_, d) => pearson(column(scores, n, d), column(truth, n, d)));
  return [
    mae(scores, truth),
    r.reduce((a, b) => a + b, 0) / r.length,
    mae(column(scores, n, overall), column(truth, n, overall)),
    r[overall],
  ];
}

/** One row per approach for one exercise, each statistic with its percentile-bootstrap interval. */
export function compareApproaches(p: TestPredictions, bootstrap: BootstrapOptions = {}): ComparisonRow[] {
  const scores = approachScores(p);
  const s = new Float32Array(p.n * N_SCORES), t = new Float32Array(p.n * N_SCORES);
  return APPROACHES.map((approach) => {
    const point = comparisonStats(scores[approach], p.truth, p.n);
    // Same seed for every approach: the three are judged on the same resamples (a paired bootstrap).
    const ci = bootstrapCi(p.n, (idx) => {
      idx.forEach((src, i) => {
        s.set(scores[approach].subarray(src * N_SCORES, (src + 1) * N_SCORES), i * N_SCORES);
        t.set(p.truth.subarray(src * N_SCORES, (src + 1) * N_SCORES), i * N_SCORES);
      });
      return comparisonStats(s, t, p.n);
    }, bootstrap);
    const row: Row = { exercise: p.exercise, approach, n: p.n };
    COMPARISON_STATS.forEach((stat, k) => { row[stat] = point[k]; row[`${stat}_lo`] = ci[k].lo; row[`${stat}_hi`] = ci[k].hi; });
    return row as ComparisonRow;
  });
}

/** Console/report rows: each statistic with its interval. */
export function comparisonDisplay(rows: readonly ComparisonRow[]): Row[] {
  return rows.map((r) => ({
    exercise: r.exercise, approach: r.approach, n: r.n,
    ...Object.fromEntries(COMPARISON_STATS.flatMap((stat) => [[stat, r[stat]], [`${stat} 95% CI`, formatCi(r[`${stat}_lo`], r[`${stat}_hi`])]])),
  }));
}
export const COMPARISON_DISPLAY_COLUMNS = ['exercise', 'approach', 'n', ...COMPARISON_STATS.flatMap((s) => [s, `${s} 95% CI`])];

export interface ComparisonResult {
  rows: ComparisonRow[]; paired: PairedRow[]; skipped: Skipped[]; predictions: TestPredictions[]; csvPath: string; pairedPath: string;
}

/** `formscore compare`: prints a table and writes results_comparison.csv. */
export async function runComparison(opts: PhaseOptions & { outDir?: string }): Promise<ComparisonResult> {
  const log = opts.log ?? console.log;
  const { results, skipped } = await predictTestSplits(opts);
  const rows = results.flatMap((p) => compareApproaches(p, opts.bootstrap));
  if (rows.length === 0) throw noModelsError(opts);
  log(`\nRule-based vs network vs hybrid (${HYBRID_LABEL}), phase ${opts.phase}, test split, scores 0-100, ${ciNote(opts.bootstrap, false)}`);
  log(formatTable(COMPARISON_DISPLAY_COLUMNS, comparisonDisplay(rows)));
  const best = results.map((r) => {
    const mine = rows.filter((row) => row.exercise === r.exercise);
    const top = mine.reduce((a, b) => (b.mae < a.mae ? b : a));
    return `${r.exercise}: ${top.approach}`;
  });
  log(`\nLowest MAE per exercise: ${best.join(', ')}`);
  const paired = results.flatMap((p) => pairedComparison(p, opts.bootstrap));
  log('\nPaired on the same reps: difference in per-rep absolute error (mean over the six dimensions), a − b; ' +
    'negative means a errs less. 95 % percentile-bootstrap CI of the mean difference, two-sided Wilcoxon signed-rank p.');
  log(formatTable(PAIRED_DISPLAY_COLUMNS, pairedDisplay(paired)));
  const outDir = opts.outDir ?? DEFAULT_EVALUATION_DIR;
  const csvPath = join(outDir, COMPARISON_CSV), pairedPath = join(outDir, PAIRED_CSV);
  writeFileAtomic(csvPath, toCsv(COMPARISON_COLUMNS, rows));
  writeFileAtomic(pairedPath, toCsv(PAIRED_COLUMNS, paired));
  log(`wrote ${csvPath} and ${pairedPath}`);
  return { rows, paired, skipped, predictions: results, csvPath, pairedPath };
}

/** Everything the figures and the report show for one phase, from one prediction pass. */
export interface PhaseData {
  phase: Phase;
  predictions: TestPredictions[];
  skipped: Skipped[];
  metrics: MetricRow[];
  comparison: ComparisonRow[];
  /** Paired differences in absolute error between the approaches (paired.ts). */
  paired: PairedRow[];
  /** Network vs rule on the benchmark pose-log sessions. */
  transfer: { source: string; rows: MetricRow[] };
  /** Every phase with a model of one of the exercises (this one included), in phase order, for side-by-side views. */
  phases: { phase: Phase; metrics: MetricRow[] }[];
}

export async function collectPhaseData(opts: PhaseOptions): Promise<PhaseData> {
  const { results, skipped } = await predictTestSplits(opts);
  const { source, rows } = await predictTransfer(opts);
  const metrics = results.flatMap((r) => dimensionMetrics(r.exercise, r.truth, r.network, r.n, opts.bootstrap));
  const phases: PhaseData['phases'] = [];
  for (const phase of PHASE_NUMBERS) {
    if (phase === opts.phase) { phases.push({ phase, metrics }); continue; }
    if (!opts.exercises.some((e) => findModel(opts.modelsDir ?? DEFAULT_MODELS_DIR, e, phase))) continue;
    (opts.log ?? console.log)(`phase ${phase} models exist too: scoring their test splits to show the phases side by side`);
    const other = await predictTestSplits({ ...opts, phase, log: () => {} });
    phases.push({ phase, metrics: other.results.flatMap((r) => dimensionMetrics(r.exercise, r.truth, r.network, r.n, opts.bootstrap)) });
  }
  return {
    phases,
    transfer: { source, rows },
    phase: opts.phase,
    predictions: results,
    skipped,
    metrics,
    comparison: results.flatMap((r) => compareApproaches(r, opts.bootstrap)),
    paired: results.flatMap((r) => pairedComparison(r, opts.bootstrap)),
  };
}
