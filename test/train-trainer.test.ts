// Integration tests of `trainExercise` on tiny data sets made with the library's
// own generator: files written, frozen layers, resume, missing data and models.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthetic, writeSynthetic } from '../src/data/synthetic.js';
import type { Exercise } from '../src/data/exercises.js';
import { loadCheckpoint } from '../src/nn/checkpoint.js';
import type { AdamState } from '../src/nn/optimizer.js';
import { WEIGHT_SPECS, type NamedWeights } from '../src/nn/architecture.js';
import { readHistoryCsv } from '../src/train/callbacks.js';
import { readEventFile } from '../src/train/tensorboard.js';
import { phasePaths } from '../src/workspace/layout.js';
import {
  formScorerFactory, summarize, trainExercise,
  type ModelFactory, type TrainExerciseOptions, type TrainableModel,
} from '../src/train/trainer.js';
import { AnnotationStore } from '../src/annotate/store.js';
import { importOriginal, readOriginalFolder } from '../src/annotate/original.js';
import { loadDataset, readRepFolder } from '../src/data/dataset.js';
import { readPoseLog } from '../src/data/poselog.js';
import { fixture, tempDir } from './helpers/fixtures.js';
import { writeOriginalFolder } from './helpers/original.js';
import { FakeScorer, fakeFactory } from './helpers/train-fake-model.js';
import { MissingInputError, messageWithAdvice } from '../src/workspace/errors.js';

/** Writes `n` synthetic reps as data/generated/<ex>/ (and `real` more as data/real/<ex>/). */
function makeData(root: string, exercise: Exercise, n: number, real = 0): string {
  const dataDir = join(root, 'data');
  const write = (dir: string, count: number, seed: number) => writeSynthetic(dir, generateSynthetic(exercise, count, seed));
  write(join(dataDir, 'generated', exercise), n, 7);
  if (real) write(join(dataDir, 'real', exercise), real, 8);
  return dataDir;
}

/** Records every model the trainer makes, and the optimizer step it had when training began. */
function recording(base: ModelFactory) {
  const made: TrainableModel[] = [];
  const factory: ModelFactory = {
    create: async (o) => { const m = await base.create(o); made.push(m); return m; },
    fromWeights: async (w, o) => { const m = await base.fromWeights(w, o); made.push(m); return m; },
    readCheckpoint: (dir) => base.readCheckpoint(dir),
  };
  return { factory, made };
}

const quiet = () => {};
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

async function realFactory(): Promise<ModelFactory> {
  return formScorerFactory();
}

function options(root: string, dataDir: string, models: ModelFactory, extra: TrainExerciseOptions = {}): TrainExerciseOptions {
  return { dataDir, modelsDir: join(root, 'models'), epochs: 2, batchSize: 16, seed: 3, threads: 1, log: quiet, progress: null, models, ...extra };
}

test('phase 1: checkpoints, history CSV and TensorBoard events are written and read back', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40);
  const r = await trainExercise('squat', 1, options(root, dataDir, await realFactory(), { epochs: 3 }));
  const p = phasePaths(join(root, 'models'), 'squat', 1);
  assert.equal(r.status, 'trained');
  assert.equal(r.epochsRun, 3);
  for (const dir of [p.best, p.final, p.last]) assert.ok(existsSync(join(dir, 'model.json')), dir);

  const rows = readHistoryCsv(p.history);
  assert.deepEqual(rows.map((x) => x.epoch), [0, 1, 2]);
  assert.ok(rows.every((x) => x.lr === 1e-3 && x.loss > 0 && x.val_mae > 0 && x.val_mae < 1));
  const bestEpoch = rows.reduce((b, x) => (x.val_mae < rows[b].val_mae ? x.epoch : b), 0);
  assert.equal(r.bestEpoch, bestEpoch, 'best checkpoint = epoch of the lowest val_mae');
  assert.equal(loadCheckpoint(p.best).training?.epoch, bestEpoch);
  assert.equal(loadCheckpoint(p.final).training?.seed, 3, 'the split seed is recorded for formscore evaluate');
  assert.ok(Math.abs(r.bestValMae! - rows[bestEpoch].val_mae * 100) < 1e-9);

  // Issue 13: Keras's layout, a train/ and a validation/ run with epoch_loss and epoch_mae.
  const tags = { train: { epoch_loss: 'loss', epoch_mae: 'mae', epoch_learning_rate: 'lr' }, validation: { epoch_loss: 'val_loss', epoch_mae: 'val_mae' } } as const;
  for (const run of ['train', 'validation'] as const) {
    const files = readdirSync(join(p.tensorboard, run)).filter((f) => f.includes('tfevents'));
    assert.equal(files.length, 1);
    const events = readEventFile(join(p.tensorboard, run, files[0]));
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    const scalars = events.filter((e) => Object.keys(e.scalars).length > 0);
    assert.deepEqual(scalars.map((e) => e.step), [0, 1, 2]);
    for (const e of scalars) {
      const row = rows[e.step];
      for (const [tag, k] of Object.entries(tags[run])) assert.equal(e.scalars[tag], Math.fround(row[k]), `${run} ${tag} at ${e.step}`);
    }
  }
  const lines = summarize(r);
  assert.match(lines[0], /^squat phase 1: Best val MAE: \d+\.\d\d \(target < 15, (met|NOT met)\) at epoch \d/);
  assert.match(lines[1], /3 epochs run .* samples\/s/);
});

test('phase 2 freezes exactly conv1 and conv2; phase 3 trains every layer', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40, 20);
  const models = await realFactory();
  const modelsDir = join(root, 'models');
  await trainExercise('squat', 1, options(root, dataDir, models, { epochs: 1 }));
  const w1 = loadCheckpoint(phasePaths(modelsDir, 'squat', 1).final).weights;
  const r2 = await trainExercise('squat', 2, options(root, dataDir, models));
  assert.ok(r2.history.length === 2);
  // the last checkpoint holds the weights after the last step (best/final may be an earlier epoch)
  const w2 = loadCheckpoint(phasePaths(modelsDir, 'squat', 2).last).weights;
  const changed = (a: NamedWeights, b: NamedWeights) => WEIGHT_SPECS.filter((s) => !same(a.get(s.name)!, b.get(s.name)!)).map((s) => s.layer);
  const frozenOrNot = (layers: string[]) => [...new Set(layers)].sort();
  assert.deepEqual(frozenOrNot(changed(w1, w2)), ['bilstm1', 'bilstm2', 'dense1', 'scores']);
  const ck2 = loadCheckpoint(phasePaths(modelsDir, 'squat', 2).last);
  assert.equal(ck2.trainable.conv1, false);
  assert.equal(ck2.trainable.conv2, false);
  assert.equal(ck2.trainable.dense1, true);

  const r3 = await trainExercise('squat', 3, options(root, dataDir, models));
  assert.match(r3.history.length ? 'ok' : '', /ok/);
  const w2final = loadCheckpoint(phasePaths(modelsDir, 'squat', 2).final).weights;
  const w3 = loadCheckpoint(phasePaths(modelsDir, 'squat', 3).last).weights;
  assert.deepEqual(frozenOrNot(changed(w2final, w3)), ['bilstm1', 'bilstm2', 'conv1', 'conv2', 'dense1', 'scores']);
  assert.equal(loadCheckpoint(phasePaths(modelsDir, 'squat', 3).last).trainable.conv1, true);
});

test('resume: an interrupted run continues at the next epoch with the saved optimizer state and ends where an uninterrupted run ends', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40);
  const models = await realFactory();
  const epochs = 3;
  const full = await trainExercise('squat', 1, options(root, dataDir, models, { epochs, modelsDir: join(root, 'full') }));
  const fullW = loadCheckpoint(phasePaths(join(root, 'full'), 'squat', 1).last).weights;

  // Interrupt in the middle of epoch 2 (index 1): epoch 1 is the last good checkpoint.
  const steps = Math.ceil(loadDataset('squat', { dataDir, seed: 3, augment: 1, includeReal: false }).train.n / 16);
  let calls = 0;
  const modelsDir = join(root, 'resumed');
  const first = await trainExercise('squat', 1, options(root, dataDir, models, { epochs, modelsDir, shouldStop: () => ++calls === steps + 2 }));
  assert.equal(first.status, 'interrupted');
  assert.equal(first.lastEpoch, 0);
  const p = phasePaths(modelsDir, 'squat', 1);
  assert.ok(!existsSync(p.final), 'no final model from an interrupted run');
  const saved = loadCheckpoint(p.last);
  assert.equal(saved.training?.epoch, 0);
  assert.equal(saved.optimizer?.step, steps);
  assert.match(summarize(first).join('\n'), /last good checkpoint: .*squat_phase1_last\/ \(after epoch 1\); continue with --resume/);

  const rec = recording(models);
  let atStart: AdamState | null = null;
  const second = await trainExercise('squat', 1, options(root, dataDir, rec.factory, {
    epochs, modelsDir, resume: true,
    shouldStop: () => false,
    log: (line) => { if (line.includes('resumed from') && rec.made[0]) atStart = rec.made[0].optimizer.getState(); },
  }));
  assert.equal(second.initialEpoch, 1);
  assert.deepEqual(second.history.map((h) => h.epoch), [1, 2]);
  assert.ok(atStart, 'the run announced its resume point');
  const resumedState = atStart as unknown as AdamState;
  assert.equal(resumedState.step, saved.optimizer!.step);
  assert.equal(resumedState.learningRate, saved.optimizer!.learningRate);
  for (const s of WEIGHT_SPECS) {
    assert.ok(same(resumedState.m.get(s.name)!, saved.optimizer!.m.get(s.name)!), `m of ${s.name}`);
    assert.ok(same(resumedState.v.get(s.name)!, saved.optimizer!.v.get(s.name)!), `v of ${s.name}`);
  }
  assert.deepEqual(readHistoryCsv(p.history).map((r) => r.epoch), [0, 1, 2]);
  const resumedW = loadCheckpoint(p.last).weights;
  for (const s of WEIGHT_SPECS) assert.ok(same(resumedW.get(s.name)!, fullW.get(s.name)!), `${s.name} equals the uninterrupted run's`);
  assert.deepEqual(readHistoryCsv(p.history).map((r) => r.val_mae), full.history.map((h) => h.val_mae));

  // A finished run has nothing to resume.
  const third = await trainExercise('squat', 1, options(root, dataDir, models, { epochs, modelsDir, resume: true }));
  assert.equal(third.status, 'already-complete');
});

test('resume: the learning rate is stored once, in the optimizer block; a record that still repeats it (before issue 16) resumes', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40);
  const modelsDir = join(root, 'models');
  const made: FakeScorer[] = [];
  await trainExercise('squat', 1, options(root, dataDir, fakeFactory(made), { epochs: 1, learningRate: 3e-4, modelsDir }));
  const last = join(phasePaths(modelsDir, 'squat', 1).last, 'model.json');
  const json = JSON.parse(readFileSync(last, 'utf8'));
  assert.equal(json.optimizer.learningRate, 3e-4);
  assert.equal('learningRate' in json.training, false);
  json.training.learningRate = 3e-4; // the old record's copy
  writeFileSync(last, JSON.stringify(json));
  const r = await trainExercise('squat', 1, options(root, dataDir, fakeFactory(made), { epochs: 2, modelsDir, resume: true }));
  assert.equal(r.initialEpoch, 1);
  assert.deepEqual(r.history.map((h) => h.lr), [3e-4]);
  assert.equal(made[1].optimizer.learningRate, 3e-4);
});

test('missing real data and missing earlier models are named, with the command that makes them', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 20);
  const models = await realFactory();
  await assert.rejects(trainExercise('squat', 2, options(root, dataDir, models)), (err: Error) => {
    assert.ok(err instanceof MissingInputError && err.kind === 'real-data');
    assert.ok(err.message.includes(`${join(dataDir, 'real', 'squat')}/`), err.message);
    assert.equal(err.remedy, 'annotate --exercise squat --input session.csv');
    return true;
  });
  makeData(root, 'squat', 20, 10);
  const modelsDir = join(root, 'models');
  await assert.rejects(trainExercise('squat', 2, options(root, dataDir, models)), (err: Error) => {
    assert.ok(err instanceof MissingInputError && err.kind === 'model');
    assert.ok(err.message.includes(`${phasePaths(modelsDir, 'squat', 1).final}/`), err.message);
    assert.ok(err.remedy.startsWith(`train --exercise squat --phase 1 --models-dir ${modelsDir}`), err.remedy);
    // the CLI prints the command as advice after the message
    assert.ok(messageWithAdvice(err).endsWith(`; run: formscore ${err.remedy}`));
    return true;
  });
  await assert.rejects(trainExercise('squat', 3, options(root, dataDir, models)), (err: Error) => {
    assert.ok(err.message.includes(`${phasePaths(modelsDir, 'squat', 2).final}/ or ${phasePaths(modelsDir, 'squat', 1).final}/`), err.message);
    return true;
  });
  await assert.rejects(trainExercise('pushup', 1, options(root, dataDir, models)),
    (err: Error) => err instanceof MissingInputError && err.kind === 'synthetic-data' && err.remedy.startsWith('generate --exercise pushup'));
});

test('a non-finite training loss stops training with a one-line error and never replaces the good checkpoints', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40);
  const models = await realFactory();
  await trainExercise('squat', 1, options(root, dataDir, models));
  const p = phasePaths(join(root, 'models'), 'squat', 1);
  const bytes = (dir: string) => readFileSync(join(dir, 'weights.bin'));
  const before = [p.best, p.final, p.last].map(bytes);

  // Data that slipped past the file checks (a library caller's own arrays): one NaN input value.
  const poisoned = loadDataset('squat', { dataDir, seed: 3 });
  poisoned.train.x[5] = NaN;
  await assert.rejects(trainExercise('squat', 1, options(root, dataDir, models, { dataset: poisoned })), (err: Error) => {
    assert.match(err.message, /^training loss is NaN at epoch 1, step \d+ of \d+: training stopped, no checkpoint of this epoch was written/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  [p.best, p.final, p.last].forEach((dir, i) => assert.ok(bytes(dir).equals(before[i]), `${dir} unchanged`));
  assert.ok(Number.isFinite(loadCheckpoint(p.final).weights.get('scores/bias')![0]));
});

test('phases 2 and 3 train on what the annotation tool stored: scored reps only, imported ones included, an old annotations.csv kept', async () => {
  const root = tempDir();
  const dataDir = makeData(root, 'squat', 40);
  const store = new AnnotationStore(dataDir, 'squat');
  const session = readPoseLog(fixture('poselog', 'squat_session.csv'), { exercise: 'squat' });
  const S = (v: number) => [v, v + 5, v + 10, v - 5, v, v + 2];
  session.reps.forEach((rep, i) => {
    if (i === 3) store.save('squat_session.csv', session, rep.repId, 'ana', null, { status: 'skipped', mode: 'blind' });
    else if (i === 4) store.save('squat_session.csv', session, rep.repId, 'ana', null, { status: 'flagged', comment: 'lost pose', mode: 'blind' });
    else store.save('squat_session.csv', session, rep.repId, 'ana', S(40 + 4 * i), { mode: 'blind' });
  });
  store.save('squat_session.csv', session, '1', 'ben', S(70), { mode: 'open' });
  writeOriginalFolder(join(root, 'squat'), 6);
  importOriginal(store, readOriginalFolder(join(root, 'squat')), 'orig');
  // 10 scored session reps + 6 imported; the skipped and the flagged rep are not training rows.
  assert.equal(readRepFolder(store.dir).n, 16);
  assert.equal(loadDataset('squat', { dataDir, seed: 3 }).realCount, 16);

  const models = await realFactory();
  await trainExercise('squat', 1, options(root, dataDir, models, { epochs: 1 }));
  const r2 = await trainExercise('squat', 2, options(root, dataDir, models, { epochs: 1 }));
  const r3 = await trainExercise('squat', 3, options(root, dataDir, models, { epochs: 1 }));
  assert.deepEqual([r2.status, r3.status], ['trained', 'trained']);
  assert.ok(existsSync(join(phasePaths(join(root, 'models'), 'squat', 3).final, 'model.json')));
});
