// Per-rep predictions, `evaluation/predictions_<exercise>_phase<p>.csv`: every rep of the
// three splits with its origin, ground truth and the rule, network and hybrid scores, so
// that anyone can redraw a figure or run their own statistics in Python or R without
// re-implementing the seeded split. One row per rep, in split order (train, val, test).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIMENSIONS, N_SCORES } from '../data/exercises.js';
import { readNpy } from '../data/npy.js';
import { TIERS } from '../data/synthetic.js';
import { ruleScoresBatch, hybridScores } from '../data/rules.js';
import type { SplitScores, TestPredictions } from './evaluation.js'; // types only: evaluation.ts imports this module
import { toCsv, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DEFAULT_DATA_DIR, REP_SOURCES, type Phase, TIERS_NPY, repFolder } from '../workspace/layout.js';

/** The three ways the app can score a rep: rules (layer 1), network (layer 2), and the hybrid it ships. */
export const APPROACHES = ['rule', 'network', 'hybrid'] as const;
export type Approach = (typeof APPROACHES)[number];

/** The three score sets of a set of reps, (N, 6) on 0-100. */
export function approachScores(p: Pick<TestPredictions, 'exercise' | 'sequences' | 'n' | 'network'>): Record<Approach, Float32Array> {
  const rule = ruleScoresBatch(p.sequences, p.n, p.exercise);
  return { rule, network: p.network, hybrid: hybridScores(rule, p.network) };
}

const SCORE_SETS = ['truth', ...APPROACHES] as const;

/** exercise, phase, split, source, index, tier, then truth_/rule_/network_/hybrid_ + each dimension. */
export const PREDICTION_COLUMNS = [
  'exercise', 'phase', 'split', 'source', 'index', 'tier',
  ...SCORE_SETS.flatMap((set) => DIMENSIONS.map((d) => `${set}_${d}`)),
] as const;

export const predictionsFile = (exercise: string, phase: Phase) => `predictions_${exercise}_phase${phase}.csv`;

/** Tier names of the generated reps (seed profile only; the realistic profile has none). */
function readTiers(dataDir: string, exercise: string): string[] | null {
  const path = join(repFolder(dataDir, 'generated', exercise), TIERS_NPY);
  return existsSync(path) ? Array.from(readNpy(path).data as ArrayLike<number>, (t) => TIERS[t] ?? '') : null;
}

/** The CSV rows of one exercise's splits; scores on 0-100. */
export function predictionRows(p: TestPredictions, phase: Phase, dataDir = DEFAULT_DATA_DIR): Row[] {
  const tiers = readTiers(dataDir, p.exercise);
  return [...p.others, p].flatMap((s: SplitScores) => {
    const sets = { truth: s.truth, ...approachScores({ ...s, exercise: p.exercise }) };
    return Array.from({ length: s.n }, (_, i) => {
      const source = REP_SOURCES[s.source[i]];
      const row: Row = {
        exercise: p.exercise, phase, split: s.split, source, index: s.index[i],
        tier: source === 'generated' && tiers ? tiers[s.index[i]] ?? '' : '',
      };
      for (const set of SCORE_SETS) DIMENSIONS.forEach((d, k) => { row[`${set}_${d}`] = sets[set][i * N_SCORES + k]; });
      return row;
    });
  });
}

/** Writes `<outDir>/predictions_<exercise>_phase<p>.csv` atomically; returns its path. */
export function writePredictions(outDir: string, p: TestPredictions, phase: Phase, dataDir = DEFAULT_DATA_DIR): string {
  const path = join(outDir, predictionsFile(p.exercise, phase));
  writeFileAtomic(path, toCsv(PREDICTION_COLUMNS, predictionRows(p, phase, dataDir)));
  return path;
}
