// `formscore evaluate`: the network of one training phase against the ground truth of
// the held-out test split, per score dimension, on the app's 0-100 scale.
//
// The test split is rebuilt with loadDataset and the training seed, so it holds exactly
// the reps training never saw (the split does not depend on augmentation).

import { join } from 'node:path';
import { DIMENSIONS, N_SCORES, type Exercise, type Dimension } from '../data/exercises.js';
import { loadDataset } from '../data/dataset.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { enginePredictor, referencePredictor, withPredictor } from '../nn/predictor.js';
import type { NamedWeights } from '../nn/architecture.js';
import { agreementWithCi, agreementDisplay, formatCi, AGREEMENT_CI_COLUMNS, AGREEMENT_DISPLAY_COLUMNS, type Agreement } from './agreement.js';
import { bootstrapSettings, type BootstrapOptions } from './bootstrap.js';
import { formatTable, toCsv, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { writePredictions } from './predictions.js';
import { PHASES } from '../train/phases.js';
import { recordedSplitSeed } from '../workspace/model-record.js';
import {
  DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, DEFAULT_SEED, savedFolder, findModel, incompleteNote,
  type Phase,
} from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

/** Targets on the overall dimension (the seed project's acceptance criteria). */
export const TARGETS = { mae: 8, pearson: 0.85, icc: 0.8 } as const;

export const EVALUATION_CSV = 'results_evaluation.csv';
export const EVALUATION_COLUMNS = ['exercise', 'dimension', 'n', 'mae', 'rmse', 'pearson', 'icc', ...AGREEMENT_CI_COLUMNS] as const;

/** Which engine runs inference: the WebAssembly engine, or the plain TypeScript oracle. */
export type InferenceEngine = 'wasm' | 'reference';

export interface PhaseOptions {
  phase: Phase;
  exercises: readonly Exercise[];
  dataDir?: string; // default 'data'
  modelsDir?: string; // default 'models'
  seed?: number; // the training split seed; default: the one the checkpoint records, else 42
  engine?: InferenceEngine; // default 'wasm'
  threads?: number; // wasm engine worker threads
  log?: (line: string) => void; // progress and skip messages; default console.log
  bootstrap?: BootstrapOptions; // resamples and seed of the confidence intervals
  allSplits?: boolean; // also score the train and val splits (for the per-rep predictions file)
}

export type SplitName = 'train' | 'val' | 'test';

/** One split scored by the network; every score on 0-100. */
export interface SplitScores {
  split: SplitName;
  n: number;
  sequences: Float32Array; // (N, 90, 9) degrees, for the rule scorer
  truth: Float32Array; // (N, 6)
  network: Float32Array; // (N, 6)
  source: Uint8Array; // (N,) index into REP_SOURCES
  index: Int32Array; // (N,) row in the source's sequences.npy
}

/** One exercise's test split scored by the network (and, with `allSplits`, its train and val splits). */
export interface TestPredictions extends SplitScores {
  exercise: Exercise;
  checkpoint: string;
  /** The train and val splits when `allSplits` was asked for (per-rep predictions), else empty. */
  others: SplitScores[];
}

export interface Skipped { exercise: Exercise; reason: string }

/** One exercise and dimension: the metrics with their intervals (agreement.ts). */
export interface MetricRow extends Row, Agreement {
  exercise: Exercise;
  dimension: Dimension;
}

/** The phase's checkpoint folder: `<ex>_phase<p>_final`, else `_best`, else null. */
export function findCheckpoint(modelsDir: string, exercise: Exercise, phase: Phase): string | null {
  return findModel(modelsDir, exercise, phase)?.dir ?? null;
}

/** Network scores in [0, 1] for x (N, 90, 18) from a checkpoint folder. */
export async function predictCheckpoint(
  dir: string, x: Float32Array, n: number, opts: { engine?: InferenceEngine; threads?: number } = {},
): Promise<Float32Array> {
  return predictWeights(loadCheckpoint(dir, { optimizer: false }).weights, x, n, opts);
}

/** Network scores in [0, 1] for x (N, 90, 18) from named weights, on the engine or the reference. */
export async function predictWeights(
  weights: NamedWeights, x: Float32Array, n: number, opts: { engine?: InferenceEngine; threads?: number } = {},
): Promise<Float32Array> {
  const predictor = (opts.engine ?? 'wasm') === 'reference' ? referencePredictor(weights) : enginePredictor(weights, opts.threads);
  return withPredictor(predictor, (p) => p.predict(x, n));
}

const times100 = (a: Float32Array) => a.map((v) => v * 100);

/** Loads each exercise's test split and scores it with the phase's model; skips exercises without one. */
export async function predictTestSplits(opts: PhaseOptions): Promise<{ results: TestPredictions[]; skipped: Skipped[] }> {
  const log = opts.log ?? console.log;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const results: TestPredictions[] = [];
  const skipped: Skipped[] = [];
  for (const exercise of opts.exercises) {
    const checkpoint = findCheckpoint(modelsDir, exercise, opts.phase);
    if (!checkpoint) {
      const reason = `no phase ${opts.phase} model in ${join(savedFolder(modelsDir), `${exercise}_phase${opts.phase}_{final,best}`)}` +
        incompleteNote(modelsDir, exercise, opts.phase);
      log(`skipping ${exercise}: ${reason}`);
      skipped.push({ exercise, reason });
      continue;
    }
    results.push(await predictCheckpointSplits(exercise, checkpoint, opts));
  }
  return { results, skipped };
}

/** Scores one checkpoint of the exercise on the test split it was trained with (and, with `allSplits`, train and val). */
export async function predictCheckpointSplits(exercise: Exercise, checkpoint: string, opts: PhaseOptions): Promise<TestPredictions> {
  const log = opts.log ?? console.log;
  const { weights, training } = loadCheckpoint(checkpoint, { optimizer: false });
  // The split must be the one training used: its seed, when the checkpoint records one.
  const recorded = recordedSplitSeed(training);
  const seed = opts.seed ?? recorded ?? DEFAULT_SEED;
  if (recorded !== undefined && recorded !== seed) {
    log(`warning: ${checkpoint} was trained with split seed ${recorded}; evaluating with --seed ${seed} mixes training reps into the test split`);
  }
  const data = loadDataset(exercise, { dataDir: opts.dataDir ?? DEFAULT_DATA_DIR, seed, includeReal: PHASES[opts.phase].includeReal });
  if (data.test.n < 2) {
    throw new MissingInputError(`${exercise}: test split has ${data.test.n} reps`, `generate --exercise ${exercise} --n-samples <more>`, 'synthetic-data');
  }
  const score = async (split: SplitName): Promise<SplitScores> => {
    const s = data[split];
    const network = await predictWeights(weights, s.x, s.n, opts);
    return { split, n: s.n, sequences: s.sequences, truth: times100(s.y), network: times100(network), source: s.source, index: s.index };
  };
  const t0 = Date.now();
  const test = await score('test');
  const others = opts.allSplits ? [await score('train'), await score('val')] : [];
  const n = test.n + others.reduce((a, o) => a + o.n, 0);
  log(`${exercise}: scored ${n} ${opts.allSplits ? '' : 'test '}reps with ${checkpoint} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { exercise, checkpoint, ...test, others };
}

/** Column d of an (N, 6) score matrix. */
export function column(scores: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i * N_SCORES + d];
  return out;
}

/** MAE, RMSE, Pearson and ICC(2,1) with intervals per dimension; reference and predicted (N, 6) on 0-100. */
export function dimensionMetrics(
  exercise: Exercise, reference: Float32Array, predicted: Float32Array, n: number, bootstrap: BootstrapOptions = {},
): MetricRow[] {
  // The reference (ground truth, or the rule scorer) and the network as two raters of the same reps.
  return DIMENSIONS.map((dimension, d) => ({ exercise, dimension, ...agreementWithCi(column(reference, n, d), column(predicted, n, d), bootstrap) }));
}

/** The console table of metric rows: each value with its interval. */
export function metricTable(rows: readonly MetricRow[]): string {
  return formatTable(['dimension', 'n', ...AGREEMENT_DISPLAY_COLUMNS], rows.map((r) => ({ dimension: r.dimension, n: r.n, ...agreementDisplay(r) })));
}

export interface TargetCheck extends Row {
  exercise: Exercise; mae: number; mae_ci: string; pearson: number; pearson_ci: string; icc: number; icc_ci: string;
  /** The point estimates against TARGETS. */
  verdict: string;
  /** Whether the whole 95 % interval clears each target (MAE upper bound, r and ICC lower bounds). */
  ci_clear: string;
}

export const TARGET_COLUMNS = ['exercise', 'mae', 'mae_ci', 'pearson', 'pearson_ci', 'icc', 'icc_ci', 'verdict', 'ci_clear'];

/** The overall dimension of each exercise against TARGETS, point estimates and intervals. */
export function targetSummary(rows: readonly MetricRow[]): TargetCheck[] {
  return rows.filter((r) => r.dimension === 'overall').map((r) => {
    const misses = [
      r.mae < TARGETS.mae ? '' : `MAE ≥ ${TARGETS.mae}`,
      r.pearson > TARGETS.pearson ? '' : `r ≤ ${TARGETS.pearson}`,
      r.icc > TARGETS.icc ? '' : `ICC ≤ ${TARGETS.icc}`,
    ].filter(Boolean);
    const clear = r.mae_hi < TARGETS.mae && r.pearson_lo > TARGETS.pearson && r.icc_lo > TARGETS.icc;
    return {
      exercise: r.exercise,
      mae: r.mae, mae_ci: formatCi(r.mae_lo, r.mae_hi),
      pearson: r.pearson, pearson_ci: formatCi(r.pearson_lo, r.pearson_hi),
      icc: r.icc, icc_ci: formatCi(r.icc_lo, r.icc_hi),
      verdict: misses.length ? `MISS (${misses.join(', ')})` : 'PASS',
      ci_clear: clear ? 'yes' : 'no',
    };
  });
}

export interface EvaluationResult { rows: MetricRow[]; skipped: Skipped[]; predictions: TestPredictions[]; csvPath: string; predictionPaths: string[] }

/** How the intervals were made, for table headings (`icc`: the table has an ICC F-interval column). */
export function ciNote(bootstrap: BootstrapOptions = {}, icc = true): string {
  const { resamples, seed } = bootstrapSettings(bootstrap);
  return `95 % CIs: percentile bootstrap, ${resamples} resamples, seed ${seed}` + (icc ? '; ICC F-interval: McGraw & Wong 1996' : '');
}

/** Nothing to evaluate is an error for evaluate/compare (exit 1; no results file touched). */
export function noModelsError(opts: PhaseOptions): Error {
  const which = opts.exercises.length === 1 ? ` --exercise ${opts.exercises[0]}` : '';
  return new MissingInputError(`no phase ${opts.phase} model for ${opts.exercises.join(', ')} in ${savedFolder(opts.modelsDir ?? DEFAULT_MODELS_DIR)}; ` +
    'nothing written', `train --phase ${opts.phase}${which}`, 'model');
}

/** `formscore evaluate`: metrics per exercise and dimension, printed and saved as CSV. */
export async function runEvaluation(opts: PhaseOptions & { outDir?: string }): Promise<EvaluationResult> {
  const log = opts.log ?? console.log;
  const { results, skipped } = await predictTestSplits({ ...opts, allSplits: true });
  const rows = results.flatMap((r) => dimensionMetrics(r.exercise, r.truth, r.network, r.n, opts.bootstrap));
  if (rows.length === 0) throw noModelsError(opts);
  for (const r of results) {
    log(`\n${r.exercise} (phase ${opts.phase}, ${r.n} test reps, scores 0-100, ${ciNote(opts.bootstrap)})`);
    log(metricTable(rows.filter((m) => m.exercise === r.exercise)));
  }
  log(`\nTargets on the overall dimension: MAE < ${TARGETS.mae}, Pearson > ${TARGETS.pearson}, ICC > ${TARGETS.icc}` +
    ' (ci_clear: the whole 95 % interval meets all three)');
  log(formatTable(TARGET_COLUMNS, targetSummary(rows)));
  const csvPath = join(opts.outDir ?? DEFAULT_EVALUATION_DIR, EVALUATION_CSV);
  writeFileAtomic(csvPath, toCsv(EVALUATION_COLUMNS, rows));
  log(`\nwrote ${csvPath}`);
  const predictionPaths = results.map((r) => writePredictions(opts.outDir ?? DEFAULT_EVALUATION_DIR, r, opts.phase, opts.dataDir));
  log(`wrote per-rep predictions: ${predictionPaths.join(', ')}`);
  return { rows, skipped, predictions: results, csvPath, predictionPaths };
}
