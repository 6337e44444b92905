// Transfer evaluation: the network against the app's rule scorer on pose-log sessions,
// the input the phone will give it. The test split says how well the network learned
// its synthetic data; this says whether it scores an ordinary recording as layer 1
// does. By default the sessions are the project's own benchmark (data/sessions.ts,
// generated on first use); `--sessions` points at real recordings instead.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Exercise, REP_SIZE } from '../data/exercises.js';
import { readPoseLog } from '../data/poselog.js';
import { toFeatures } from '../data/features.js';
import { ruleScoresBatch } from '../data/rules.js';
import { writeBenchmarkSessions } from '../data/sessions.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { ciNote, dimensionMetrics, EVALUATION_COLUMNS, findCheckpoint, metricTable, predictWeights, type MetricRow, type PhaseOptions, type Skipped } from './evaluation.js';
import { toCsv } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR } from '../workspace/layout.js';

export const TRANSFER_CSV = 'results_transfer.csv';
export const TRANSFER_COLUMNS = EVALUATION_COLUMNS;
/** Where the generated benchmark sessions live under the data folder. */
export const BENCHMARK_DIR = 'benchmark';

export interface TransferOptions extends PhaseOptions {
  /** A pose-log CSV, or a folder of them (`<dir>/<exercise>/*.csv`, or `*.csv` for one exercise); default `<dataDir>/benchmark`. */
  sessions?: string;
  outDir?: string; // default 'evaluation'
}

/** The reps of one exercise's sessions, resampled to 90 frames as the app does. */
export interface SessionReps {
  exercise: Exercise;
  files: string[];
  n: number;
  sequences: Float32Array; // (N, 90, 9) degrees
  warnings: string[];
}

/** One exercise's sessions scored by rule and network, both (N, 6) on 0-100. */
export interface TransferPredictions extends SessionReps {
  checkpoint: string;
  rule: Float32Array;
  network: Float32Array;
}

export interface TransferResult {
  source: string;
  rows: MetricRow[];
  predictions: TransferPredictions[];
  skipped: Skipped[];
  csvPath: string;
}

/**
 * The pose-log files of one exercise under `path`: the file itself, `<path>/<exercise>/*.csv`,
 * or (when only one exercise is asked for) `<path>/*.csv`. Empty when there are none.
 */
export function sessionFiles(path: string, exercise: Exercise, onlyExercise: boolean): string[] {
  if (!existsSync(path)) throw new Error(`sessions ${path} does not exist`);
  if (!statSync(path).isDirectory()) return [path];
  const csvIn = (dir: string) => readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv')).sort().map((f) => join(dir, f));
  const own = join(path, exercise);
  if (existsSync(own) && statSync(own).isDirectory()) return csvIn(own);
  return onlyExercise ? csvIn(path) : [];
}

/** Reads every session file; a file that cannot be imported is skipped with a warning naming it. */
export function readSessionReps(exercise: Exercise, files: string[]): SessionReps {
  const reps: Float32Array[] = [];
  const warnings: string[] = [];
  const used: string[] = [];
  for (const file of files) {
    try {
      const log = readPoseLog(file, { exercise });
      warnings.push(...log.warnings);
      for (const rep of log.reps) reps.push(rep.sequence);
      if (log.reps.length) used.push(file);
    } catch (err) {
      warnings.push(`${err instanceof Error ? err.message : String(err)}; file skipped`);
    }
  }
  const sequences = new Float32Array(reps.length * REP_SIZE);
  reps.forEach((r, i) => sequences.set(r, i * REP_SIZE));
  return { exercise, files: used, n: reps.length, sequences, warnings };
}

/** Rule and network scores of every exercise's sessions, and the metrics between them; nothing written. */
export async function predictTransfer(opts: TransferOptions): Promise<Omit<TransferResult, 'csvPath'>> {
  const log = opts.log ?? console.log;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const source = opts.sessions ?? join(dataDir, BENCHMARK_DIR);
  const predictions: TransferPredictions[] = [];
  const skipped: Skipped[] = [];
  for (const exercise of opts.exercises) {
    const checkpoint = findCheckpoint(modelsDir, exercise, opts.phase);
    if (!checkpoint) {
      skipped.push({ exercise, reason: `no phase ${opts.phase} model` });
      continue;
    }
    if (!opts.sessions && !existsSync(join(source, exercise))) {
      log(`${exercise}: writing the benchmark sessions to ${writeBenchmarkSessions(source, exercise)}/`);
    }
    const reps = readSessionReps(exercise, sessionFiles(source, exercise, opts.exercises.length === 1));
    for (const w of reps.warnings) log(`warning: ${w}`);
    if (reps.n < 2) {
      const reason = `${reps.n} rep${reps.n === 1 ? '' : 's'} in ${source} (at least 2 needed for correlations)`;
      log(`skipping ${exercise} transfer: ${reason}`);
      skipped.push({ exercise, reason });
      continue;
    }
    const network = await predictWeights(loadCheckpoint(checkpoint, { optimizer: false }).weights, toFeatures(reps.sequences, reps.n), reps.n, opts);
    predictions.push({
      ...reps, checkpoint,
      rule: ruleScoresBatch(reps.sequences, reps.n, exercise),
      network: network.map((v) => v * 100),
    });
  }
  const rows = predictions.flatMap((p) => dimensionMetrics(p.exercise, p.rule, p.network, p.n, opts.bootstrap));
  return { source, rows, predictions, skipped };
}

/** `formscore evaluate`'s transfer part: network vs rule per exercise and dimension, printed and saved as CSV. */
export async function runTransfer(opts: TransferOptions): Promise<TransferResult> {
  const log = opts.log ?? console.log;
  const result = await predictTransfer(opts);
  if (result.predictions.length === 0) {
    const why = result.skipped.map((s) => `${s.exercise} (${s.reason})`).join(', ') || 'none asked for';
    throw new Error(`no exercise to evaluate on ${result.source}: ${why}`);
  }
  for (const p of result.predictions) {
    log(`\n${p.exercise}: network vs rule on ${p.n} reps from ${p.files.length} session${p.files.length === 1 ? '' : 's'} in ${result.source} (${ciNote(opts.bootstrap)})`);
    log(metricTable(result.rows.filter((r) => r.exercise === p.exercise)));
  }
  const csvPath = join(opts.outDir ?? DEFAULT_EVALUATION_DIR, TRANSFER_CSV);
  writeFileAtomic(csvPath, toCsv(TRANSFER_COLUMNS, result.rows));
  log(`\nwrote ${csvPath}`);
  return { ...result, csvPath };
}
