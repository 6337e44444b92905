// The runs of `train --seeds` on the test split they share: MAE, RMSE, Pearson r and
// ICC(2,1) of every seed's model per dimension, and their mean ± SD across seeds. The
// spread says how much a single run's numbers owe to its random initialisation, dropout
// and batch order; the selected seed (lowest validation MAE) is the exported model.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, EXERCISES, type Exercise } from '../data/exercises.js';
import { meanSd, readSeedsRecord } from '../train/seeds.js';
import { writeFileAtomic } from '../util/atomic.js';
import { AGREEMENT_METRICS, agreementPoint } from './agreement.js';
import { column, predictCheckpointSplits, type PhaseOptions } from './evaluation.js';
import { formatTable, toCsv, type Row } from './table.js';
import {
  DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, MODEL_JSON, phasePaths, seedsRecordPath, type Phase,
} from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

export const SEEDS_CSV = 'results_seeds.csv';
export const SEEDS_SUMMARY_CSV = 'results_seeds_summary.csv';
export const SEED_COLUMNS = ['exercise', 'phase', 'seed', 'selected', 'best_val_mae', 'dimension', 'n', ...AGREEMENT_METRICS] as const;
export const SEED_SUMMARY_COLUMNS = [
  'exercise', 'phase', 'dimension', 'seeds', 'selected_seed', 'best_val_mae_mean', 'best_val_mae_sd',
  ...AGREEMENT_METRICS.flatMap((m) => [`${m}_mean`, `${m}_sd`]),
] as const;

export interface SeedEvaluation { rows: Row[]; summary: Row[]; csvPath: string; summaryPath: string }

/**
 * Evaluates every seed of each exercise's last `train --seeds` of the phase; exercises
 * without such a run are left out. Null when none has one. The CSVs keep the rows of other
 * exercises and phases, so that `train --seeds` of one exercise adds to them.
 */
export async function runSeedEvaluation(opts: PhaseOptions & { outDir?: string }): Promise<SeedEvaluation | null> {
  const log = opts.log ?? console.log;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const rows: Row[] = [];
  for (const exercise of opts.exercises) {
    const record = readSeedsRecord(modelsDir, exercise, opts.phase);
    if (!record) continue;
    for (const run of record.runs) {
      const dir = seedCheckpoint(modelsDir, exercise, opts.phase, run.seed);
      const p = await predictCheckpointSplits(exercise, dir, opts);
      DIMENSIONS.forEach((dimension, d) => rows.push({
        exercise, phase: opts.phase, seed: run.seed, selected: run.seed === record.selected ? 'yes' : 'no',
        best_val_mae: run.bestValMae ?? NaN, dimension, n: p.n, ...agreementPoint(column(p.truth, p.n, d), column(p.network, p.n, d)),
      }));
    }
  }
  if (rows.length === 0) return null;
  const summary = seedSummary(rows);
  log(`\nAcross seeds, phase ${opts.phase}, test split, scores 0-100 (mean ± SD over the seeds; selected: lowest validation MAE)`);
  log(formatTable(SEED_DISPLAY_COLUMNS, seedDisplay(summary)));
  const outDir = opts.outDir ?? DEFAULT_EVALUATION_DIR;
  const csvPath = join(outDir, SEEDS_CSV), summaryPath = join(outDir, SEEDS_SUMMARY_CSV);
  writeFileAtomic(csvPath, toCsv(SEED_COLUMNS, mergeRows(csvPath, rows)));
  writeFileAtomic(summaryPath, toCsv(SEED_SUMMARY_COLUMNS, mergeRows(summaryPath, summary)));
  log(`wrote ${csvPath} and ${summaryPath}`);
  return { rows, summary, csvPath, summaryPath };
}

/** A seed's checkpoint: `_seed<s>_final`, else `_best` (a run stopped before its end). */
function seedCheckpoint(modelsDir: string, exercise: Exercise, phase: Phase, seed: number): string {
  const paths = phasePaths(modelsDir, exercise, phase, seed);
  const dir = [paths.final, paths.best].find((d) => existsSync(join(d, MODEL_JSON)));
  if (!dir) {
    throw new MissingInputError(`${paths.final}/: no ${MODEL_JSON}, but ${seedsRecordPath(modelsDir, exercise, phase)} lists seed ${seed}`,
      `train --exercise ${exercise} --phase ${phase} --seeds <the same seeds>`, 'seed-model');
  }
  return dir;
}

/** Mean ± SD over the seeds of each (exercise, phase, dimension). */
export function seedSummary(rows: readonly Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.exercise}\0${r.phase}\0${r.dimension}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const stat = (field: string) => meanSd(g.map((r) => Number(r[field])));
    const val = stat('best_val_mae');
    const out: Row = {
      exercise: g[0].exercise, phase: g[0].phase, dimension: g[0].dimension, seeds: g.length,
      selected_seed: g.find((r) => r.selected === 'yes')?.seed ?? '', best_val_mae_mean: val.mean, best_val_mae_sd: val.sd,
    };
    for (const m of AGREEMENT_METRICS) {
      const s = stat(m);
      out[`${m}_mean`] = s.mean;
      out[`${m}_sd`] = s.sd;
    }
    return out;
  });
}

/** Console/report columns: each metric as "mean ± SD". */
export const SEED_DISPLAY_COLUMNS = ['exercise', 'phase', 'dimension', 'seeds', 'selected seed', 'best val MAE', ...AGREEMENT_METRICS];

export function seedDisplay(summary: readonly Row[]): Row[] {
  const pm = (r: Row, m: string) => `${Number(r[`${m}_mean`]).toFixed(3)} ± ${Number(r[`${m}_sd`]).toFixed(3)}`;
  return summary.map((r) => ({
    exercise: r.exercise, phase: r.phase, dimension: r.dimension, seeds: r.seeds, 'selected seed': r.selected_seed,
    'best val MAE': pm(r, 'best_val_mae'), ...Object.fromEntries(AGREEMENT_METRICS.map((m) => [m, pm(r, m)])),
  }));
}

/** Rows of a seeds CSV as text cells (empty when the file does not exist). */
export function readSeedCsv(path: string): Row[] {
  return existsSync(path) ? (parse(readFileSync(path, 'utf8'), { columns: true }) as Row[]) : [];
}

/** The file's rows of other (exercise, phase) pairs, then `rows`, in exercise and phase order. */
function mergeRows(path: string, rows: readonly Row[]): Row[] {
  const mine = new Set(rows.map((r) => `${r.exercise}\0${r.phase}`));
  const kept = readSeedCsv(path).filter((r) => !mine.has(`${r.exercise}\0${r.phase}`));
  const order = (r: Row) => EXERCISES.indexOf(r.exercise as Exercise) * 10 + Number(r.phase);
  // A stable sort keeps each group's own row order (seeds, then dimensions).
  return [...kept, ...rows].sort((a, b) => order(a) - order(b));
}
