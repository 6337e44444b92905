// The safety net of refactorings of the training code (issue 16): a fixed-seed run on
// the portable WebAssembly kernels must write bit-identical checkpoints. The hashes
// below were recorded on the code before the refactoring; a change that alters any
// number the optimizer sees (learning rate, step, moments, shuffles, dropout) breaks them.
//
// What is hashed, per run: `tensors` = sha256 of weights.bin then optimizer.bin of the
// `_best`, `_final` and `_last` checkpoints (in that order); `records` = sha256 of the
// three model.json files with the formscore version taken out (it changes with releases).
// The tensors hashes are those of the code before issue 16. The records hashes changed
// once, on purpose: the `_last` record no longer repeats the optimizer's learning rate.

// Before anything builds an engine: the plain-SIMD WebAssembly set runs the same on every machine.
process.env.FORMSCORE_KERNELS = 'wasm';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthetic, writeSynthetic } from '../src/data/synthetic.js';
import { phasePaths, type Phase } from '../src/workspace/layout.js';
import { trainExercise, type TrainExerciseOptions } from '../src/train/trainer.js';
import { tempDir } from './helpers/fixtures.js';

interface Digest {
  tensors: string;
  records: string;
}

const GOLDEN: Record<string, Digest> = {
  'phase 1, 1 thread': {
    tensors: '10b673681dc8356c03af9e10382b7696f22b86f2648f763d878f7ca5cab8e9a5',
    records: 'b139ac06c6dbeda431ebf1e0ddcd5646341c29ee34cd8567059138fd5149b797',
  },
  'phase 1, 2 threads': {
    tensors: '843e28670c412caebf6cf4b8e9ae9b3c055be5d9b18cb9d0d3bd625c3ba12813',
    records: 'cda5f678dd75b5c87e5603025e7bae988381c8a8c074575143712ceded87a246',
  },
  'phase 2, 1 thread': {
    tensors: '4e8482d3c17a1584888175b2ad7e6790589e0275ab92499a36b12d7755751ba6',
    records: '62ceb3a52e0774ea310c914a749c8dc8029dae3ffdd2d117e7173c9e327f2120',
  },
};

function digest(modelsDir: string, phase: Phase): Digest {
  const p = phasePaths(modelsDir, 'squat', phase);
  const dirs = [p.best, p.final, p.last];
  const tensors = createHash('sha256');
  const records = createHash('sha256');
  for (const dir of dirs) {
    for (const file of ['weights.bin', 'optimizer.bin']) tensors.update(readFileSync(join(dir, file)));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    delete json.generatedBy;
    delete json.formscore.formscoreVersion;
    records.update(JSON.stringify(json));
  }
  return { tensors: tensors.digest('hex'), records: records.digest('hex') };
}

/** 240 synthetic and 40 "real" squat reps (the real ones are phase 2's data). */
function makeData(root: string): string {
  const dataDir = join(root, 'data');
  writeSynthetic(join(dataDir, 'generated', 'squat'), generateSynthetic('squat', 240, 7));
  writeSynthetic(join(dataDir, 'real', 'squat'), generateSynthetic('squat', 40, 8));
  return dataDir;
}

const options = (dataDir: string, modelsDir: string, extra: TrainExerciseOptions = {}): TrainExerciseOptions => ({
  dataDir, modelsDir, epochs: 2, batchSize: 32, seed: 5, threads: 1, log: () => {}, progress: null, ...extra,
});

function check(name: string, got: Digest): void {
  assert.deepEqual(got, GOLDEN[name], `${name}: checkpoints differ from the recorded run (got ${JSON.stringify(got)})`);
}

test('a fixed-seed run writes bit-identical checkpoints (phase 1 and 2, one thread; resume gives the same)', async () => {
  const root = tempDir();
  const dataDir = makeData(root);
  const modelsDir = join(root, 'models');
  await trainExercise('squat', 1, options(dataDir, modelsDir));
  check('phase 1, 1 thread', digest(modelsDir, 1));
  await trainExercise('squat', 2, options(dataDir, modelsDir, { epochs: 1 }));
  check('phase 2, 1 thread', digest(modelsDir, 2));

  // One epoch, then --resume to two: the same files as the run that went straight through.
  const resumed = join(root, 'resumed');
  await trainExercise('squat', 1, options(dataDir, resumed, { epochs: 1 }));
  await trainExercise('squat', 1, options(dataDir, resumed, { resume: true }));
  check('phase 1, 1 thread', digest(resumed, 1));
});

test('a fixed-seed run on two threads writes bit-identical checkpoints', async () => {
  const root = tempDir();
  const dataDir = makeData(root);
  const modelsDir = join(root, 'models');
  await trainExercise('squat', 1, options(dataDir, modelsDir, { threads: 2 }));
  check('phase 1, 2 threads', digest(modelsDir, 1));
});
