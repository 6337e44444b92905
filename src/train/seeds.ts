// `train --seeds`: one exercise's phase trained once per seed, to measure how much the
// result depends on the random initialisation, dropout and batch order. All runs share
// one data split (the split seed), so they are judged on the same validation and test
// reps. Each run writes its own files (`<ex>_phase<p>_seed<s>_*`); the run with the
// lowest best validation MAE becomes the phase's model at the usual paths, which
// evaluate, export and the next phase read, and a record names every run and the one selected.

import { existsSync, readFileSync } from 'node:fs';
import type { Exercise } from '../data/exercises.js';
import { copyDirAtomic, writeFileAtomic } from '../util/atomic.js';
import { summarize, trainExercise, type TrainExerciseOptions, type TrainResult } from './trainer.js';
import { DEFAULT_MODELS_DIR, DEFAULT_SEED, phasePaths, seedsRecordPath, type Phase } from '../workspace/layout.js';

/** models/saved/<ex>_phase<p>_seeds.json */
export interface SeedsRecord {
  kind: 'formscore-seeds';
  version: 1;
  exercise: Exercise;
  phase: Phase;
  splitSeed: number;
  /** The seed whose model was copied to the phase's usual `_best/`, `_final/` and history. */
  selected: number;
  runs: { seed: number; bestValMae: number | null; bestEpoch: number; epochsRun: number }[];
}

export interface SeedsResult {
  status: 'trained' | 'interrupted';
  runs: TrainResult[];
  /** Null when interrupted. */
  record: SeedsRecord | null;
}

/** Trains `seeds` one after the other; `opts.seed` (default DEFAULT_SEED) is the split seed they share. */
export async function trainSeeds(
  exercise: Exercise, phase: Phase, seeds: readonly number[], opts: Omit<TrainExerciseOptions, 'splitSeed' | 'perSeedFiles'> = {},
): Promise<SeedsResult> {
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const splitSeed = opts.seed ?? DEFAULT_SEED;
  const runs: TrainResult[] = [];
  for (const seed of seeds) {
    const result = await trainExercise(exercise, phase, { ...opts, seed, splitSeed, perSeedFiles: true });
    runs.push(result);
    if (result.status === 'interrupted') return { status: 'interrupted', runs, record: null };
  }
  const trained = runs.filter((r) => r.bestValMae !== null);
  if (trained.length === 0) throw new Error(`${exercise} phase ${phase}: no seed completed an epoch; nothing selected`);
  // The first of equal runs wins, so the choice does not depend on anything but the numbers.
  const best = trained.reduce((a, b) => (b.bestValMae! < a.bestValMae! ? b : a));
  const selected = seeds[runs.indexOf(best)];
  const from = phasePaths(modelsDir, exercise, phase, selected), to = phasePaths(modelsDir, exercise, phase);
  copyDirAtomic(from.best, to.best);
  copyDirAtomic(from.final, to.final);
  writeFileAtomic(to.history, readFileSync(from.history));
  const record: SeedsRecord = {
    kind: 'formscore-seeds', version: 1, exercise, phase, splitSeed, selected,
    runs: runs.map((r, i) => ({ seed: seeds[i], bestValMae: r.bestValMae, bestEpoch: r.bestEpoch, epochsRun: r.lastEpoch + 1 })),
  };
  writeFileAtomic(seedsRecordPath(modelsDir, exercise, phase), JSON.stringify(record, null, 2) + '\n');
  return { status: 'trained', runs, record };
}

/** The record of the phase's last `train --seeds`, or null when the phase's model comes from a single run. */
export function readSeedsRecord(modelsDir: string, exercise: Exercise, phase: Phase): SeedsRecord | null {
  const path = seedsRecordPath(modelsDir, exercise, phase);
  if (!existsSync(path)) return null;
  const record = JSON.parse(readFileSync(path, 'utf8')) as SeedsRecord;
  if (record.kind !== 'formscore-seeds' || !Array.isArray(record.runs)) throw new Error(`${path}: not a formscore seeds record`);
  return record;
}

/** Mean and sample standard deviation (n − 1) of the values; SD is NaN for one value. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, sd };
}

/**
 * One exercise's phase as `train` and `pipeline` run it: a single run, or one per seed
 * when `seeds` is given. Its status, its closing lines, and the one that heads them in an overview.
 */
export async function trainPhase(
  exercise: Exercise, phase: Phase, seeds: readonly number[] | undefined, opts: Omit<TrainExerciseOptions, 'splitSeed' | 'perSeedFiles'>,
): Promise<{ status: TrainResult['status']; lines: string[]; headline: string }> {
  if (!seeds) {
    const result = await trainExercise(exercise, phase, opts);
    const lines = summarize(result);
    return { status: result.status, lines, headline: lines[0] };
  }
  const result = await trainSeeds(exercise, phase, seeds, opts);
  const closing = summarizeSeeds(result, opts.modelsDir);
  return { status: result.status, lines: [...result.runs.flatMap(summarize), ...closing], headline: closing[0] ?? '' };
}

/** The closing lines of a seeds run: each seed's best val MAE, their mean ± SD, and the selected seed. */
export function summarizeSeeds(r: SeedsResult, modelsDir = DEFAULT_MODELS_DIR): string[] {
  if (!r.record) return [];
  const { exercise, phase, runs, selected, splitSeed } = r.record;
  const maes = runs.flatMap((s) => (s.bestValMae === null ? [] : [s.bestValMae]));
  const { mean, sd } = meanSd(maes);
  return [
    `${exercise} phase ${phase}: ${runs.length} seeds (split seed ${splitSeed}), best val MAE ${mean.toFixed(2)} ± ${sd.toFixed(2)} (mean ± SD): ` +
      runs.map((s) => `seed ${s.seed} ${s.bestValMae === null ? 'n/a' : s.bestValMae.toFixed(2)}`).join(', '),
    `  selected seed ${selected} (lowest val MAE), copied to ${phasePaths(modelsDir, exercise, phase).final}/ and _best/; ` +
      `each seed's files: ${phasePaths(modelsDir, exercise, phase, selected).final.replace(/_seed\d+_final$/, '_seed<s>_*')}`,
  ];
}
