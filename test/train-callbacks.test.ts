import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { NamedWeights } from '../src/nn/architecture.js';
import {
  CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TensorBoard, readHistoryCsv,
  type CallbackModel, type EpochLogs,
} from '../src/train/callbacks.js';
import { readEventFile } from '../src/train/tensorboard.js';
import { tempDir } from './helpers/fixtures.js';

/** A model whose single weight is the epoch index it was last set to. */
class ScriptedModel implements CallbackModel {
  weights: NamedWeights = new Map([['w', new Float32Array([0])]]);
  optimizer = { learningRate: 1e-3 };
  saves: { dir: string; w: number; training?: Record<string, unknown> }[] = [];
  getWeights(): NamedWeights { return new Map([...this.weights].map(([k, v]) => [k, Float32Array.from(v)])); }
  setWeights(w: NamedWeights): void { this.weights = new Map([...w].map(([k, v]) => [k, Float32Array.from(v)])); }
  save(dir: string, training?: Record<string, unknown>): void { this.saves.push({ dir, w: this.weights.get('w')![0], training }); }
}

const logsOf = (valMae: number, lr = 1e-3): EpochLogs => ({ loss: valMae * valMae, mae: valMae, val_loss: valMae * valMae, val_mae: valMae, lr });

/** Runs the callback over scripted val_mae values; the model's weight is the epoch index. Returns the epochs run. */
async function drive(cb: EarlyStopping | ModelCheckpoint | ReduceLROnPlateau, model: ScriptedModel, valMaes: number[]): Promise<number> {
  cb.setModel(model);
  cb.setParams({ epochs: valMaes.length, steps: 1, initialEpoch: 0 });
  await cb.onTrainBegin();
  let ran = 0;
  for (let epoch = 0; epoch < valMaes.length; epoch++) {
    model.weights.get('w')![0] = epoch;
    await cb.onEpochEnd(epoch, logsOf(valMaes[epoch], model.optimizer.learningRate));
    ran++;
    if (cb.stopTraining) break;
  }
  await cb.onTrainEnd();
  return ran;
}

test('EarlyStopping: stops after `patience` epochs without improvement and restores the best weights', async () => {
  const model = new ScriptedModel();
  const es = new EarlyStopping({ patience: 3 });
  const said: string[] = [];
  es.say = (line) => said.push(line);
  // best at epoch 2; epochs 3, 4, 5 do not improve (epoch 4 ties: not an improvement with min_delta 0)
  const ran = await drive(es, model, [0.5, 0.4, 0.3, 0.31, 0.3, 0.35, 0.1, 0.1]);
  assert.equal(ran, 6);
  assert.equal(es.stoppedEpoch, 5);
  assert.equal(es.bestEpoch, 2);
  assert.equal(model.weights.get('w')![0], 2, 'weights of the best epoch restored');
  assert.deepEqual(said, ['Epoch 6: early stopping (val_mae has not improved for 3 epochs)', 'Restoring model weights from the end of the best epoch: 3']);
});

test('EarlyStopping: improvements reset the wait; min_delta counts small gains as none', async () => {
  const model = new ScriptedModel();
  const es = new EarlyStopping({ patience: 2 });
  assert.equal(await drive(es, model, [0.5, 0.49, 0.48, 0.47, 0.46]), 5);
  assert.equal(es.stopTraining, false);
  assert.equal(model.weights.get('w')![0], 4, 'restored at train end also without a stop (Keras 3)');

  const es2 = new EarlyStopping({ patience: 2, minDelta: 0.05 });
  const m2 = new ScriptedModel();
  assert.equal(await drive(es2, m2, [0.5, 0.49, 0.48, 0.47, 0.46]), 3);
  assert.equal(m2.weights.get('w')![0], 0);
});

test('ModelCheckpoint: the best checkpoint is the epoch with the lowest val_mae; final written at the end', async () => {
  const model = new ScriptedModel();
  const ck = new ModelCheckpoint({ filepath: 'best', finalFilepath: 'final', metadata: { exercise: 'squat' } });
  const valMaes = [0.5, 0.3, 0.4, 0.2, 0.25, 0.2, 0.9];
  await drive(ck, model, valMaes);
  const bestSaves = model.saves.filter((s) => s.dir === 'best');
  assert.deepEqual(bestSaves.map((s) => s.w), [0, 1, 3], 'saved on strict improvements only');
  const argmin = valMaes.indexOf(Math.min(...valMaes));
  assert.equal(bestSaves.at(-1)!.w, argmin);
  assert.equal(ck.bestEpoch, argmin);
  assert.equal(bestSaves.at(-1)!.training!.exercise, 'squat');
  assert.equal(model.saves.at(-1)!.dir, 'final');
  assert.equal(model.saves.at(-1)!.w, 6);
});

test('ReduceLROnPlateau: halves the learning rate after `patience` flat epochs, never below the minimum', async () => {
  const model = new ScriptedModel();
  model.optimizer.learningRate = 1e-6;
  const rl = new ReduceLROnPlateau({ factor: 0.5, patience: 5, minLr: 1e-7 });
  const lrs: number[] = [];
  rl.setModel(model);
  rl.onTrainBegin();
  for (let epoch = 0; epoch < 40; epoch++) {
    rl.onEpochEnd(epoch, logsOf(epoch === 0 ? 0.2 : 0.3, model.optimizer.learningRate));
    lrs.push(model.optimizer.learningRate);
  }
  // epoch 0 sets the best; epochs 1–5 are 5 flat epochs: halved after epoch 5, then every 5 epochs
  assert.equal(lrs[4], 1e-6);
  assert.equal(lrs[5], 5e-7);
  assert.equal(lrs[9], 5e-7);
  assert.equal(lrs[10], 2.5e-7);
  assert.equal(lrs[15], 1.25e-7);
  assert.equal(lrs[20], 1e-7, 'clamped to the minimum');
  assert.ok(lrs.every((lr) => lr >= 1e-7));
  assert.equal(lrs[39], 1e-7);
});

test('ReduceLROnPlateau: says when it cuts the rate', () => {
  const model = new ScriptedModel();
  const rl = new ReduceLROnPlateau({ patience: 1 });
  const said: string[] = [];
  rl.say = (line) => said.push(line);
  rl.setModel(model);
  [0.5, 0.6].forEach((v, e) => rl.onEpochEnd(e, logsOf(v)));
  assert.deepEqual(said, ['Epoch 2: ReduceLROnPlateau reducing learning rate to 5.00e-4']);
});

test('ReduceLROnPlateau: an improvement (beyond min_delta) resets the wait; cooldown delays counting', async () => {
  const model = new ScriptedModel();
  const rl = new ReduceLROnPlateau({ patience: 2, minDelta: 0.01 });
  rl.setModel(model);
  const seq = [0.5, 0.45, 0.445, 0.44, 0.3, 0.3];
  const lrs = seq.map((v, e) => (rl.onEpochEnd(e, logsOf(v, model.optimizer.learningRate)), model.optimizer.learningRate));
  // 0.445 and 0.44 improve by < 0.01 over 0.45: two flat epochs -> halved at epoch 3; 0.3 improves
  assert.deepEqual(lrs, [1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4]);

  const m2 = new ScriptedModel();
  const cool = new ReduceLROnPlateau({ patience: 1, cooldown: 2 });
  cool.setModel(m2);
  const lrs2 = [0.5, 0.6, 0.6, 0.6, 0.6].map((v, e) => (cool.onEpochEnd(e, logsOf(v, m2.optimizer.learningRate)), m2.optimizer.learningRate));
  // Keras: the counter runs down during the epochs after a cut, and counting resumes on the epoch it reaches 0
  assert.deepEqual(lrs2, [1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4]);
  const m3 = new ScriptedModel();
  const noCool = new ReduceLROnPlateau({ patience: 1 });
  noCool.setModel(m3);
  const lrs3 = [0.5, 0.6, 0.6, 0.6].map((v, e) => (noCool.onEpochEnd(e, logsOf(v, m3.optimizer.learningRate)), m3.optimizer.learningRate));
  assert.deepEqual(lrs3, [1e-3, 5e-4, 2.5e-4, 1.25e-4]);
});

test('callbacks: getConfig round-trips through the constructor; state round-trips through setState', () => {
  const cases = [
    new ModelCheckpoint({ filepath: 'a', finalFilepath: 'b', monitor: 'val_loss', mode: 'min', saveBestOnly: false, metadata: { phase: 2 } }),
    new EarlyStopping({ monitor: 'val_loss', minDelta: 0.01, patience: 4, mode: 'min', restoreBestWeights: false }),
    new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.2, patience: 3, mode: 'min', minDelta: 0.001, cooldown: 1, minLr: 1e-6 }),
    new CSVLogger({ filename: 'h.csv', separator: ';', append: true }),
    new TensorBoard({ logDir: 'logs/x', append: true }),
  ];
  for (const cb of cases) {
    const Ctor = cb.constructor as new (c: never) => typeof cb;
    assert.deepEqual(new Ctor(cb.getConfig() as never).getConfig(), cb.getConfig(), cb.constructor.name);
  }
  const es = new EarlyStopping();
  assert.deepEqual(es.getConfig(), { monitor: 'val_mae', minDelta: 0, patience: 10, mode: 'min', restoreBestWeights: true });
  assert.deepEqual(new ReduceLROnPlateau().getConfig(), { monitor: 'val_mae', factor: 0.5, patience: 5, mode: 'min', minDelta: 1e-4, cooldown: 0, minLr: 1e-7 });
  es.wait = 3; es.best = 0.2; es.bestEpoch = 4;
  const es2 = new EarlyStopping();
  es2.setState(JSON.parse(JSON.stringify(es.getState())));
  assert.deepEqual(es2.getState(), es.getState());
  const fresh = new ReduceLROnPlateau();
  const back = new ReduceLROnPlateau();
  back.setState(JSON.parse(JSON.stringify(fresh.getState())));
  assert.equal(back.best, Infinity, 'no best yet survives JSON');
});

test('CSVLogger: header once, a row per epoch; appending keeps earlier rows and drops redone epochs', async () => {
  const dir = tempDir();
  const file = join(dir, 'logs', 'squat_phase1_history.csv');
  const model = new ScriptedModel();
  const run = async (append: boolean, initialEpoch: number, epochs: number) => {
    const csv = new CSVLogger({ filename: file, append });
    csv.setModel(model);
    csv.setParams({ epochs, steps: 1, initialEpoch });
    csv.onTrainBegin();
    for (let e = initialEpoch; e < epochs; e++) csv.onEpochEnd(e, logsOf(0.1 * (e + 1)));
  };
  await run(false, 0, 3);
  assert.deepEqual(readHistoryCsv(file).map((r) => r.epoch), [0, 1, 2]);
  // a resumed run that redoes epoch 2 (its row was written before the interruption)
  writeFileSync(file, readFileSync(file, 'utf8') + '3,0.1,0.1'); // and a half-written line
  await run(true, 2, 5);
  const rows = readHistoryCsv(file);
  assert.deepEqual(rows.map((r) => r.epoch), [0, 1, 2, 3, 4]);
  assert.equal(readFileSync(file, 'utf8').split('\n')[0], 'epoch,loss,mae,val_loss,val_mae,lr');
  assert.equal(readFileSync(file, 'utf8').match(/epoch/g)!.length, 1);
  assert.ok(Math.abs(rows[4].val_mae - 0.5) < 1e-12);
  assert.equal(rows[0].lr, 1e-3);
  // a fresh run starts the file anew
  await run(false, 0, 1);
  assert.equal(readHistoryCsv(file).length, 1);
});

test('TensorBoard: Keras layout, train/ and validation/ runs with epoch_loss and epoch_mae per epoch, readable back', async () => {
  // Issue 13: formerly one folder with loss, mae, val_loss, val_mae and lr tags, which TensorBoard does not overlay.
  const dir = tempDir();
  const root = join(dir, 'squat_phase1');
  const tb = new TensorBoard({ logDir: root });
  tb.setModel(new ScriptedModel());
  tb.onTrainBegin();
  for (let e = 0; e < 3; e++) tb.onEpochEnd(e, { loss: 0.01 * e, mae: 0.1 * e, val_loss: 0.02 * e, val_mae: 0.2 * e, lr: 1e-3 / (e + 1) });
  tb.onTrainEnd();
  assert.deepEqual(readdirSync(root).sort(), ['train', 'validation']);
  for (const run of ['train', 'validation'] as const) {
    const files = readdirSync(join(root, run));
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.\d+\..+\.v2$/);
    assert.equal(tb.eventFiles![run], join(root, run, files[0]));
  }
  const train = readEventFile(tb.eventFiles!.train), val = readEventFile(tb.eventFiles!.validation);
  assert.equal(train.length, 4);
  assert.equal(train[0].fileVersion, 'brain.Event:2');
  assert.deepEqual(train.slice(1).map((e) => e.step), [0, 1, 2]);
  assert.deepEqual(Object.keys(train[3].scalars), ['epoch_loss', 'epoch_mae', 'epoch_learning_rate']);
  assert.deepEqual(Object.keys(val[3].scalars), ['epoch_loss', 'epoch_mae']);
  assert.equal(train[3].scalars.epoch_mae, Math.fround(0.2));
  assert.equal(val[3].scalars.epoch_mae, Math.fround(0.4));
  assert.equal(train[2].scalars.epoch_learning_rate, Math.fround(5e-4));
  assert.ok(Math.abs(train[1].wallTime - Date.now() / 1000) < 60);

  // A resumed run adds its own files; a fresh run replaces the earlier runs' files (also old single-folder ones).
  const resumed = new TensorBoard({ logDir: root, append: true });
  resumed.onTrainBegin();
  resumed.onEpochEnd(3, { loss: 0, mae: 0, val_loss: 0, val_mae: 0, lr: 1e-3 });
  assert.equal(readdirSync(join(root, 'train')).length, 2);
  assert.equal(readdirSync(join(root, 'validation')).length, 2);
  writeFileSync(join(root, 'notes.txt'), 'mine');
  writeFileSync(join(root, 'events.out.tfevents.1.old.v2'), '');
  const fresh = new TensorBoard({ logDir: root });
  fresh.onTrainBegin();
  assert.deepEqual(readdirSync(root).sort(), ['notes.txt', 'train', 'validation']);
  assert.deepEqual(readdirSync(join(root, 'train')), [basename(fresh.eventFiles!.train)]);
  assert.deepEqual(readdirSync(join(root, 'validation')), [basename(fresh.eventFiles!.validation)]);
});
