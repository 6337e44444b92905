// `formscore evaluate`: the network of one training phase against the ground truth of
// the held-out test split, per score dimension, on the app's 0-100 scale.
//
// The test split is rebuilt with loadDataset and the training seed, so it holds exactly
// the reps training never saw (the split does not depend on augmentation).

import { join } from 'node:path';
import { DIMENSIONS, N_SCORES, type Exercise, type Dimension } from '../data/exercises.js';
import { loadDataset } from '../data/dataset.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { referenceForward } from '../nn/reference/network.js';
import type { NamedWeights } from '../nn/architecture.js';
import { mae, rmse, pearson, icc21, pairRatings } from './metrics.js';
import { formatTable, toCsv, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { PHASES, findModel, type Phase } from '../train/phases.js';

/** Targets on the overall dimension (the seed project's acceptance criteria). */
export const TARGETS = { mae: 8, pearson: 0.85, icc: 0.8 } as const;

export const EVALUATION_CSV = 'results_evaluation.csv';
export const EVALUATION_COLUMNS = ['exercise', 'dimension', 'n', 'mae', 'rmse', 'pearson', 'icc'] as const;

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
}

/** One exercise's test split scored by the network; every score on 0-100. */
export interface TestPredictions {
  exercise: Exercise;
  checkpoint: string;
  n: number;
  sequences: Float32Array; // (N, 90, 9) degrees, for the rule scorer
  truth: Float32Array; // (N, 6)
  network: Float32Array; // (N, 6)
}

export interface Skipped { exercise: Exercise; reason: string }

export interface MetricRow extends Row {
  exercise: Exercise;
  dimension: Dimension;
  n: number;
  mae: number;
  rmse: number;
  pearson: number;
  icc: number;
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

/** Network scores in [0, 1] for x (N, 90, 18) from named weights. */
export async function predictWeights(
  weights: NamedWeights, x: Float32Array, n: number, opts: { engine?: InferenceEngine; threads?: number } = {},
): Promise<Float32Array> {
  if ((opts.engine ?? 'wasm') === 'reference') {
    // The oracle allocates per call; chunks keep its activations small.
    const out = new Float32Array(n * N_SCORES);
    const chunk = 64, per = x.length / Math.max(n, 1);
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      out.set(referenceForward(weights, x.subarray(i * per, (i + m) * per), m), i * N_SCORES);
    }
    return out;
  }
  // Loaded on demand: the reference path needs no WebAssembly or worker threads.
  const { FormScorer } = await import('../nn/model.js');
  const model = await FormScorer.fromWeights(weights, { threads: opts.threads });
  try {
    return await model.predict(x, n);
  } finally {
    await model.dispose();
  }
}

const times100 = (a: Float32Array) => a.map((v) => v * 100);

/** Loads each exercise's test split and scores it with the phase's model; skips exercises without one. */
export async function predictTestSplits(opts: PhaseOptions): Promise<{ results: TestPredictions[]; skipped: Skipped[] }> {
  const log = opts.log ?? console.log;
  const modelsDir = opts.modelsDir ?? 'models';
  const results: TestPredictions[] = [];
  const skipped: Skipped[] = [];
  for (const exercise of opts.exercises) {
    const checkpoint = findCheckpoint(modelsDir, exercise, opts.phase);
    if (!checkpoint) {
      const reason = `no phase ${opts.phase} model in ${join(modelsDir, 'saved', `${exercise}_phase${opts.phase}_{final,best}`)}` +
        `; run: formscore train --exercise ${exercise} --phase ${opts.phase}`;
      log(`skipping ${exercise}: ${reason}`);
      skipped.push({ exercise, reason });
      continue;
    }
    const { weights, training } = loadCheckpoint(checkpoint, { optimizer: false });
    // The split must be the one training used: its seed, when the checkpoint records one.
    const recorded = typeof training?.seed === 'number' ? training.seed : undefined;
    const seed = opts.seed ?? recorded ?? 42;
    if (recorded !== undefined && recorded !== seed) {
      log(`warning: ${checkpoint} was trained with split seed ${recorded}; evaluating with --seed ${seed} mixes training reps into the test split`);
    }
    const { test } = loadDataset(exercise, { dataDir: opts.dataDir ?? 'data', seed, includeReal: PHASES[opts.phase].includeReal });
    if (test.n < 2) throw new Error(`${exercise}: test split has ${test.n} reps; generate more data (formscore generate --n-samples ...)`);
    const t0 = Date.now();
    const network = await predictWeights(weights, test.x, test.n, opts);
    log(`${exercise}: scored ${test.n} test reps with ${checkpoint} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    results.push({ exercise, checkpoint, n: test.n, sequences: test.sequences, truth: times100(test.y), network: times100(network) });
  }
  return { results, skipped };
}

/** Column d of an (N, 6) score matrix. */
export function column(scores: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i * N_SCORES + d];
  return out;
}

/** MAE, RMSE, Pearson and ICC(2,1) per dimension; truth and predicted (N, 6) on 0-100. */
export function dimensionMetrics(exercise: Exercise, truth: Float32Array, predicted: Float32Array, n: number): MetricRow[] {
  return DIMENSIONS.map((dimension, d) => {
    const t = column(truth, n, d), p = column(predicted, n, d);
    return {
      exercise, dimension, n,
      mae: mae(p, t), rmse: rmse(p, t), pearson: pearson(p, t),
      // Ground truth and network as two raters of the same reps.
      icc: icc21(pairRatings(t, p)),
    };
  });
}

export interface TargetCheck extends Row { exercise: Exercise; mae: number; pearson: number; icc: number; verdict: string }

/** The overall dimension of each exercise against TARGETS. */
export function targetSummary(rows: readonly MetricRow[]): TargetCheck[] {
  return rows.filter((r) => r.dimension === 'overall').map((r) => {
    const misses = [
      r.mae < TARGETS.mae ? '' : `MAE ≥ ${TARGETS.mae}`,
      r.pearson > TARGETS.pearson ? '' : `r ≤ ${TARGETS.pearson}`,
      r.icc > TARGETS.icc ? '' : `ICC ≤ ${TARGETS.icc}`,
    ].filter(Boolean);
    return { exercise: r.exercise, mae: r.mae, pearson: r.pearson, icc: r.icc, verdict: misses.length ? `MISS (${misses.join(', ')})` : 'PASS' };
  });
}

export interface EvaluationResult { rows: MetricRow[]; skipped: Skipped[]; predictions: TestPredictions[]; csvPath: string }

/** Nothing to evaluate is an error for evaluate/compare (exit 1; no results file touched). */
export function noModelsError(opts: PhaseOptions): Error {
  const which = opts.exercises.length === 1 ? ` --exercise ${opts.exercises[0]}` : '';
  return new Error(`no phase ${opts.phase} model for ${opts.exercises.join(', ')} in ${join(opts.modelsDir ?? 'models', 'saved')}; ` +
    `nothing written; run: formscore train --phase ${opts.phase}${which}`);
}

/** `formscore evaluate`: metrics per exercise and dimension, printed and saved as CSV. */
export async function runEvaluation(opts: PhaseOptions & { outDir?: string }): Promise<EvaluationResult> {
  const log = opts.log ?? console.log;
  const { results, skipped } = await predictTestSplits(opts);
  const rows = results.flatMap((r) => dimensionMetrics(r.exercise, r.truth, r.network, r.n));
  if (rows.length === 0) throw noModelsError(opts);
  for (const r of results) {
    log(`\n${r.exercise} (phase ${opts.phase}, ${r.n} test reps, scores 0-100)`);
    log(formatTable(['dimension', 'mae', 'rmse', 'pearson', 'icc'], rows.filter((m) => m.exercise === r.exercise)));
  }
  log(`\nTargets on the overall dimension: MAE < ${TARGETS.mae}, Pearson > ${TARGETS.pearson}, ICC > ${TARGETS.icc}`);
  log(formatTable(['exercise', 'mae', 'pearson', 'icc', 'verdict'], targetSummary(rows)));
  const csvPath = join(opts.outDir ?? 'evaluation', EVALUATION_CSV);
  writeFileAtomic(csvPath, toCsv(EVALUATION_COLUMNS, rows));
  log(`\nwrote ${csvPath}`);
  return { rows, skipped, predictions: results, csvPath };
}
