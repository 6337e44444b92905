// `formscore compare`: the three ways the app can score a rep, on the same test reps:
// rule-based (layer 1, from the raw angles), network only (layer 2), and the hybrid
// blend the app ships (0.30 rule + 0.70 network).

import { join } from 'node:path';
import { DIMENSIONS, HYBRID_RULE_WEIGHT, type Exercise } from '../data/exercises.js';
import { ruleScoresBatch, hybridScores } from '../data/rules.js';
import { mae, pearson } from './metrics.js';
import { column, dimensionMetrics, noModelsError, predictTestSplits, type MetricRow, type PhaseOptions, type Skipped, type TestPredictions } from './evaluation.js';
import { predictTransfer } from './transfer.js';
import { formatTable, toCsv, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Phase } from '../train/phases.js';

export const APPROACHES = ['rule', 'network', 'hybrid'] as const;
export type Approach = (typeof APPROACHES)[number];

/** "0.30 rule + 0.70 network", from the contract's constant. */
export const HYBRID_LABEL = `${HYBRID_RULE_WEIGHT.toFixed(2)} rule + ${(1 - HYBRID_RULE_WEIGHT).toFixed(2)} network`;

export const COMPARISON_CSV = 'results_comparison.csv';
export const COMPARISON_COLUMNS = ['exercise', 'approach', 'n', 'mae', 'mean_pearson', 'overall_mae', 'overall_pearson'] as const;

export interface ComparisonRow extends Row {
  exercise: Exercise;
  approach: Approach;
  n: number;
  mae: number; // over all six dimensions and reps
  mean_pearson: number; // mean of the six per-dimension r
  overall_mae: number;
  overall_pearson: number;
}

/** The three score sets of one exercise's test reps, (N, 6) on 0-100. */
export function approachScores(p: TestPredictions): Record<Approach, Float32Array> {
  const rule = ruleScoresBatch(p.sequences, p.n, p.exercise);
  return { rule, network: p.network, hybrid: hybridScores(rule, p.network) };
}

/** One row per approach for one exercise. */
export function compareApproaches(p: TestPredictions): ComparisonRow[] {
  const scores = approachScores(p);
  const overall = DIMENSIONS.indexOf('overall');
  return APPROACHES.map((approach) => {
    const s = scores[approach];
    const r = DIMENSIONS.map((_, d) => pearson(column(s, p.n, d), column(p.truth, p.n, d)));
    return {
      exercise: p.exercise, approach, n: p.n,
      mae: mae(s, p.truth),
      mean_pearson: r.reduce((a, b) => a + b, 0) / r.length,
      overall_mae: mae(column(s, p.n, overall), column(p.truth, p.n, overall)),
      overall_pearson: r[overall],
    };
  });
}

export interface ComparisonResult { rows: ComparisonRow[]; skipped: Skipped[]; predictions: TestPredictions[]; csvPath: string }

/** `formscore compare`: prints a table and writes results_comparison.csv. */
export async function runComparison(opts: PhaseOptions & { outDir?: string }): Promise<ComparisonResult> {
  const log = opts.log ?? console.log;
  const { results, skipped } = await predictTestSplits(opts);
  const rows = results.flatMap(compareApproaches);
  if (rows.length === 0) throw noModelsError(opts);
  log(`\nRule-based vs network vs hybrid (${HYBRID_LABEL}), phase ${opts.phase}, test split, scores 0-100`);
  log(formatTable(COMPARISON_COLUMNS, rows));
  const best = results.map((r) => {
    const mine = rows.filter((row) => row.exercise === r.exercise);
    const top = mine.reduce((a, b) => (b.mae < a.mae ? b : a));
    return `${r.exercise}: ${top.approach}`;
  });
  log(`\nLowest MAE per exercise: ${best.join(', ')}`);
  const csvPath = join(opts.outDir ?? 'evaluation', COMPARISON_CSV);
  writeFileAtomic(csvPath, toCsv(COMPARISON_COLUMNS, rows));
  log(`wrote ${csvPath}`);
  return { rows, skipped, predictions: results, csvPath };
}

/** Everything the figures and the report show for one phase, from one prediction pass. */
export interface PhaseData {
  phase: Phase;
  predictions: TestPredictions[];
  skipped: Skipped[];
  metrics: MetricRow[];
  comparison: ComparisonRow[];
  /** Network vs rule on the benchmark pose-log sessions. */
  transfer: { source: string; rows: MetricRow[] };
}

export async function collectPhaseData(opts: PhaseOptions): Promise<PhaseData> {
  const { results, skipped } = await predictTestSplits(opts);
  const { source, rows } = await predictTransfer(opts);
  return {
    transfer: { source, rows },
    phase: opts.phase,
    predictions: results,
    skipped,
    metrics: results.flatMap((r) => dimensionMetrics(r.exercise, r.truth, r.network, r.n)),
    comparison: results.flatMap(compareApproaches),
  };
}
