// The three training phases of the seed project, and where each phase's files live.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainableLayer } from '../nn/architecture.js';
import type { DataProfile } from '../data/synthetic.js';
import { MODEL_JSON } from '../nn/checkpoint.js';

export type Phase = 1 | 2 | 3;
export const PHASE_NUMBERS: readonly Phase[] = [1, 2, 3];

export interface PhaseConfig {
  phase: Phase;
  name: string;
  /** Real annotated reps (data/real/<ex>/) join the synthetic ones. */
  includeReal: boolean;
  /** Augmented copies appended to the training split (1 = training data ×2). */
  augment: number;
  /** Layers whose weights stay fixed. */
  frozen: readonly TrainableLayer[];
  learningRate: number;
  /**
   * By synthetic profile. The seed profile keeps the original recipe so that its
   * published numbers reproduce. Realistic reps are still improving at epoch 50 (each
   * dimension is its own rule formula, tempo a peak over 801 frame differences), and
   * 80 epochs lower both the test and the sessions MAE (README "Measured performance").
   */
  epochs: Record<DataProfile, number>;
  batchSize: number;
  /** Phases whose final model this phase starts from, first found wins; empty = a fresh model. */
  startsFrom: readonly Phase[];
  /** Target best validation MAE on the 0–100 scale. */
  targetMae: number;
}

export const PHASES: Record<Phase, PhaseConfig> = {
  1: {
    phase: 1, name: 'pre-train', includeReal: false, augment: 1, frozen: [],
    learningRate: 1e-3, epochs: { seed: 50, realistic: 80 }, batchSize: 64, startsFrom: [], targetMae: 15,
  },
  2: {
    phase: 2, name: 'fine-tune', includeReal: true, augment: 0, frozen: ['conv1', 'conv2'],
    learningRate: 1e-4, epochs: { seed: 30, realistic: 30 }, batchSize: 32, startsFrom: [1], targetMae: 10,
  },
  3: {
    phase: 3, name: 'full fine-tune', includeReal: true, augment: 0, frozen: [],
    learningRate: 1e-5, epochs: { seed: 20, realistic: 20 }, batchSize: 32, startsFrom: [2, 1], targetMae: 8,
  },
};

export function parsePhase(value: string): Phase {
  const p = Number(value);
  if (p === 1 || p === 2 || p === 3) return p;
  throw new Error(`unknown phase "${value}" (expected 1, 2 or 3)`);
}

/** Files of one exercise's phase under the models folder. */
export interface PhasePaths {
  best: string; // models/saved/<ex>_phase<p>_best/
  final: string; // models/saved/<ex>_phase<p>_final/
  last: string; // models/saved/<ex>_phase<p>_last/ (resume point, written every epoch)
  history: string; // models/logs/<ex>_phase<p>_history.csv
  tensorboard: string; // models/logs/<ex>_phase<p>/
}

/**
 * With `seed`, the files of that seed's run of `train --seeds` (`<ex>_phase<p>_seed<s>_final/`
 * and so on); without, the phase's usual files, which hold the selected seed's model after such a run.
 */
export function phasePaths(modelsDir: string, exercise: string, phase: Phase, seed?: number): PhasePaths {
  const stem = `${exercise}_phase${phase}${seed === undefined ? '' : `_seed${seed}`}`;
  return {
    best: join(modelsDir, 'saved', `${stem}_best`),
    final: join(modelsDir, 'saved', `${stem}_final`),
    last: join(modelsDir, 'saved', `${stem}_last`),
    history: join(modelsDir, 'logs', `${stem}_history.csv`),
    tensorboard: join(modelsDir, 'logs', stem),
  };
}

/** `models/saved/<ex>_phase<p>_seeds.json`: the runs of `train --seeds` and which one was selected (seeds.ts). */
export function seedsRecordPath(modelsDir: string, exercise: string, phase: Phase): string {
  return join(modelsDir, 'saved', `${exercise}_phase${phase}_seeds.json`);
}

export interface FoundModel {
  dir: string;
  phase: Phase;
  kind: 'final' | 'best';
}

/**
 * A trained model of the exercise: `<ex>_phase<p>_final`, else `_best` (a run stopped
 * before its end); without a phase, the latest phase that has one. Null when none.
 */
export function findModel(modelsDir: string, exercise: string, phase?: Phase): FoundModel | null {
  const phases = phase ? [phase] : [...PHASE_NUMBERS].reverse();
  for (const p of phases) {
    const paths = phasePaths(modelsDir, exercise, p);
    for (const kind of ['final', 'best'] as const) {
      if (existsSync(join(paths[kind], MODEL_JSON))) return { dir: paths[kind], phase: p, kind };
    }
  }
  return null;
}

/**
 * Checkpoint folders of the exercise that exist but hold no model.json (a save cut
 * short, a partial copy), as a note for "no trained model" messages; empty when none.
 */
export function incompleteNote(modelsDir: string, exercise: string, phase?: Phase): string {
  const phases = phase ? [phase] : [...PHASE_NUMBERS];
  const dirs = phases.flatMap((p) => {
    const paths = phasePaths(modelsDir, exercise, p);
    return [paths.final, paths.best].filter((d) => existsSync(d) && !existsSync(join(d, MODEL_JSON)));
  });
  return dirs.length ? ` (${dirs.map((d) => `${d}/`).join(', ')} exist${dirs.length === 1 ? 's' : ''} but hold${dirs.length === 1 ? 's' : ''} no ${MODEL_JSON}: a save cut short or a partial copy)` : '';
}
