// `train --seeds` (issue 13): one run per seed on a shared split, the seed with the
// lowest validation MAE promoted to the phase's usual files, the record of the runs,
// their evaluation on the test split with mean ± SD, and the flag's parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateSynthetic, writeSynthetic } from '../src/data/synthetic.js';
import { phasePaths, seedsRecordPath } from '../src/workspace/layout.js';
import { meanSd, readSeedsRecord, summarizeSeeds, trainSeeds } from '../src/train/seeds.js';
import { trainExercise, type TrainExerciseOptions } from '../src/train/trainer.js';
import { seedList } from '../src/cli/options.js';
import { runSeedEvaluation, readSeedCsv, SEEDS_CSV, SEEDS_SUMMARY_CSV } from '../src/evaluate/seeds.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { initWeights } from '../src/nn/init.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { fakeFactory } from './helpers/train-fake-model.js';
import { makeWorkspace } from './helpers/evaluate-workspace.js';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';

const quiet = () => {};
const modelJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));

function setup(): { root: string; opts: TrainExerciseOptions } {
  const root = tempDir();
  const dataDir = join(root, 'data');
  writeSynthetic(join(dataDir, 'generated', 'squat'), generateSynthetic('squat', 60, 7));
  return { root, opts: { dataDir, modelsDir: join(root, 'models'), epochs: 3, batchSize: 16, seed: 5, log: quiet, progress: null, models: fakeFactory() } };
}

test('trainSeeds: one run per seed in its own files, all on the split of --seed; the lowest val MAE becomes the phase model', async () => {
  const { root, opts } = setup();
  const modelsDir = join(root, 'models');
  const r = await trainSeeds('squat', 1, [5, 9, 12], opts);
  assert.equal(r.status, 'trained');
  assert.equal(r.runs.length, 3);
  const maes = r.runs.map((x) => x.bestValMae!);
  assert.equal(new Set(maes).size, 3, 'different seeds train different models');
  const selected = [5, 9, 12][maes.indexOf(Math.min(...maes))];
  assert.equal(r.record!.selected, selected);

  for (const seed of [5, 9, 12]) {
    const p = phasePaths(modelsDir, 'squat', 1, seed);
    for (const f of [p.best, p.final, p.last]) assert.ok(existsSync(join(f, 'model.json')), f);
    assert.ok(existsSync(p.history) && existsSync(p.tensorboard), p.history);
    const training = modelJson(p.final).training;
    assert.equal(training.seed, seed);
    // The split seed is written only where it differs from the seed.
    assert.equal(training.splitSeed, seed === 5 ? undefined : 5);
  }
  // The usual files hold the selected seed's model and history.
  const usual = phasePaths(modelsDir, 'squat', 1), chosen = phasePaths(modelsDir, 'squat', 1, selected);
  assert.deepEqual(modelJson(usual.final), modelJson(chosen.final));
  assert.deepEqual(modelJson(usual.best), modelJson(chosen.best));
  assert.equal(readFileSync(usual.history, 'utf8'), readFileSync(chosen.history, 'utf8'));
  assert.equal(existsSync(usual.last), false, 'no resume point at the usual path: each seed resumes from its own');

  const record = readSeedsRecord(modelsDir, 'squat', 1)!;
  assert.deepEqual(record.runs.map((x) => x.seed), [5, 9, 12]);
  assert.equal(record.splitSeed, 5);
  assert.deepEqual(record.runs.map((x) => x.bestValMae), maes);
  const lines = summarizeSeeds(r, modelsDir);
  const { mean, sd } = meanSd(maes);
  assert.ok(lines[0].includes(`best val MAE ${mean.toFixed(2)} ± ${sd.toFixed(2)}`), lines[0]);
  assert.match(lines[1], new RegExp(`selected seed ${selected} `));
});

test('trainSeeds: the run of the split seed is the single-seed run; a later single-seed run drops the seeds record', async () => {
  const a = setup(), b = setup();
  await trainSeeds('squat', 1, [5, 6], a.opts);
  await trainExercise('squat', 1, b.opts);
  const seedRun = modelJson(phasePaths(join(a.root, 'models'), 'squat', 1, 5).final);
  const single = modelJson(phasePaths(join(b.root, 'models'), 'squat', 1).final);
  assert.deepEqual(seedRun.weights, single.weights);
  assert.deepEqual(seedRun.training, single.training);

  assert.ok(existsSync(seedsRecordPath(join(a.root, 'models'), 'squat', 1)));
  await trainExercise('squat', 1, a.opts);
  assert.equal(readSeedsRecord(join(a.root, 'models'), 'squat', 1), null, 'the usual model is no longer a seed selection');
});

test('--seeds: a count from --seed, or a list; bad values are named', () => {
  assert.deepEqual(seedList('3', 42), [42, 43, 44]);
  assert.deepEqual(seedList('1', 7), [7]);
  assert.deepEqual(seedList('7, 11,13', 42), [7, 11, 13]);
  assert.equal(seedList(undefined, 42), undefined);
  assert.throws(() => seedList('0', 42), /^Error: --seeds must be a positive whole number, got "0"$/);
  assert.throws(() => seedList('x', 42), /--seeds must be a positive whole number, got "x"/);
  assert.throws(() => seedList('7,,9', 42), /--seeds must be a count or a comma list of whole numbers ≥ 0, got "7,,9"/);
  assert.throws(() => seedList('7,-1', 42), /comma list/);
  assert.throws(() => seedList('7,9,7', 42), /--seeds lists seed 7 twice in "7,9,7"/);
});

test('runSeedEvaluation: every seed on the same test split, mean ± SD per dimension, other exercises kept in the CSVs', async () => {
  const ws = makeWorkspace();
  const seeds = [3, 4, 8];
  // Random-initialised models stand in for trained seeds; the record is the one trainSeeds writes.
  const writeSeeds = (exercise: 'squat' | 'plank') => {
    seeds.forEach((s) => saveCheckpoint(phasePaths(ws.modelsDir, exercise, 1, s).final, initWeights(s), { training: { seed: s, splitSeed: 42 } }));
    writeFileAtomic(seedsRecordPath(ws.modelsDir, exercise, 1), JSON.stringify({
      kind: 'formscore-seeds', version: 1, exercise, phase: 1, splitSeed: 42, selected: 4,
      runs: seeds.map((seed, i) => ({ seed, bestValMae: 20 + i, bestEpoch: 0, epochsRun: 1 })),
    }));
  };
  writeSeeds('squat');
  const opts = { ...ws.opts, exercises: ['squat' as const], seed: undefined };
  const first = await runSeedEvaluation(opts);
  assert.ok(first);
  assert.equal(first.rows.length, seeds.length * 6);
  assert.ok(first.rows.every((r) => r.n === first.rows[0].n), 'one test split for all seeds');
  const overall = first.rows.filter((r) => r.dimension === 'overall');
  assert.deepEqual(overall.map((r) => r.selected), ['no', 'yes', 'no']);
  const s = first.summary.find((r) => r.dimension === 'overall')!;
  const { mean, sd } = meanSd(overall.map((r) => Number(r.mae)));
  assert.ok(Math.abs(Number(s.mae_mean) - mean) < 1e-12 && Math.abs(Number(s.mae_sd) - sd) < 1e-12);
  assert.ok(sd > 0, 'different models differ');
  assert.equal(s.best_val_mae_mean, 21);
  assert.equal(s.best_val_mae_sd, 1);
  assert.equal(s.selected_seed, 4);
  assert.equal(s.seeds, 3);

  writeSeeds('plank');
  await runSeedEvaluation({ ...opts, exercises: ['plank'] });
  const csv = readSeedCsv(join(ws.outDir, SEEDS_CSV));
  assert.deepEqual([...new Set(csv.map((r) => r.exercise))], ['squat', 'plank'], 'squat rows kept beside plank');
  assert.equal(readSeedCsv(join(ws.outDir, SEEDS_SUMMARY_CSV)).length, 12);
  assert.equal(await runSeedEvaluation({ ...opts, exercises: ['lunge'] }), null, 'no seeds record: nothing to do');
});

test('formscore train --seeds 2 trains both seeds, prints mean ± SD and writes results_seeds.csv', () => {
  const cwd = tempDir();
  writeSynthetic(join(cwd, 'data', 'generated', 'squat'), generateSynthetic('squat', 40, 1));
  const bin = join(REPO_ROOT, 'bin', 'formscore.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  const r = run('train', '--exercise', 'squat', '--epochs', '1', '--batch', '16', '--threads', '1', '--seeds', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /squat phase 1: 2 seeds \(split seed 42\), best val MAE \d+\.\d\d ± \d+\.\d\d \(mean ± SD\): seed 42 \S+, seed 43 \S+/);
  assert.match(r.stdout, /Across seeds, phase 1/);
  for (const f of ['squat_phase1_seed42_final', 'squat_phase1_seed43_final', 'squat_phase1_final']) assert.ok(existsSync(join(cwd, 'models', 'saved', f)), f);
  assert.equal(readSeedCsv(join(cwd, 'evaluation', SEEDS_CSV)).length, 12);
  const bad = run('train', '--exercise', 'squat', '--seeds', '3,3');
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim(), 'formscore: --seeds lists seed 3 twice in "3,3"');
});
