// A small project folder for the evaluation tests: synthetic data for three exercises,
// random-initialised phase-1 checkpoints for two of them (lunge has none, so it must be
// skipped), a training history for squat only, and quiet logging that is kept for asserts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exercise } from '../../src/data/exercises.js';
import { generateSynthetic, writeSynthetic } from '../../src/data/synthetic.js';
import { initWeights } from '../../src/nn/init.js';
import { saveCheckpoint } from '../../src/nn/checkpoint.js';
import type { PhaseOptions } from '../../src/evaluate/evaluation.js';
import { tempDir } from './fixtures.js';

export const WITH_MODEL: Exercise[] = ['squat', 'plank'];
export const WITHOUT_MODEL: Exercise = 'lunge';
export const REPS = 80;

export interface Workspace {
  root: string;
  dataDir: string;
  modelsDir: string;
  outDir: string;
  lines: string[];
  opts: PhaseOptions & { outDir: string };
}

export function makeWorkspace(): Workspace {
  const root = tempDir('formscore-eval-');
  const dataDir = join(root, 'data'), modelsDir = join(root, 'models'), outDir = join(root, 'evaluation');
  for (const ex of [...WITH_MODEL, WITHOUT_MODEL]) {
    writeSynthetic(join(dataDir, 'generated', ex), generateSynthetic(ex, REPS, 7));
  }
  WITH_MODEL.forEach((ex, i) => saveCheckpoint(join(modelsDir, 'saved', `${ex}_phase1_final`), initWeights(i + 1)));
  mkdirSync(join(modelsDir, 'logs'), { recursive: true });
  const history = ['epoch,loss,mae,val_loss,val_mae,lr'];
  for (let e = 0; e < 6; e++) history.push(`${e},${0.05 / (e + 1)},${0.2 / (e + 1)},${0.06 / (e + 1)},${0.22 / (e + 1)},0.001`); // epochs from 0, like Keras
  writeFileSync(join(modelsDir, 'logs', 'squat_phase1_history.csv'), history.join('\n') + '\n');
  const lines: string[] = [];
  return {
    root, dataDir, modelsDir, outDir, lines,
    opts: {
      phase: 1, exercises: [...WITH_MODEL, WITHOUT_MODEL], dataDir, modelsDir, outDir,
      seed: 42, engine: 'reference', log: (l) => lines.push(l),
    },
  };
}
