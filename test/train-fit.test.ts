// The fit loop with callbacks, on a stand-in model whose validation MAE is scripted,
// so the epoch at which early stopping fires and the restored weights are known.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAMES, N_FEATURES, N_SCORES } from '../src/data/exercises.js';
import { Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, StopOnSignal, type BatchLogs, type EpochLogs } from '../src/train/callbacks.js';
import { ProgbarLogger, ProgressBar } from '../src/train/progress.js';
import { epochSeed, fit } from '../src/train/trainer.js';
import { FakeScorer } from './helpers/train-fake-model.js';

function split(n: number, seed: number) {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { x: Float32Array.from({ length: n * FRAMES * N_FEATURES }, rnd), y: Float32Array.from({ length: n * N_SCORES }, rnd), n };
}

/** Calls `f` at every epoch end (after the callbacks before it in the list). */
class OnEpochEnd extends Callback {
  constructor(private readonly f: (epoch: number, logs: EpochLogs) => void) { super(); }
  onEpochEnd(epoch: number, logs: EpochLogs): void { this.f(epoch, logs); }
  getConfig(): Record<string, unknown> { return {}; }
}

class ScriptedVal extends FakeScorer {
  constructor(private readonly valMaes: number[]) { super(5); }
  evaluations = 0;
  async evaluate(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }> {
    const real = await super.evaluate(x, y, n);
    return { loss: real.loss, mae: this.valMaes[this.evaluations++] };
  }
}

test('fit: early stopping ends training `patience` epochs after the best one and leaves the best weights in the model', async () => {
  const valMaes = [0.30, 0.25, 0.20, 0.22, 0.21, 0.23, 0.24, 0.26, 0.27, 0.28];
  const model = new ScriptedVal(valMaes);
  const weightsAfter: Float32Array[] = [];
  const saves: string[] = [];
  model.save = (dir: string) => { saves.push(dir); };
  const es = new EarlyStopping({ patience: 3 });
  const ck = new ModelCheckpoint({ filepath: 'best', finalFilepath: 'final' });
  const seen: EpochLogs[] = [];
  const r = await fit(model, split(50, 1), split(10, 2), {
    epochs: 10, batchSize: 16, seed: 1,
    callbacks: [es, ck, new OnEpochEnd((_e, logs) => { seen.push(logs); weightsAfter.push(Float32Array.from(model.weights.get('dense1/kernel')!)); })],
  });
  assert.equal(r.stoppedEarly, true);
  assert.equal(r.lastEpoch, 5, 'epochs 3, 4, 5 without improvement on epoch 2');
  assert.equal(r.history.length, 6);
  assert.equal(model.steps, 6 * 4, '4 batches of ≤16 per epoch for 50 samples');
  assert.equal(r.samples, 6 * 50);
  assert.deepEqual(model.weights.get('dense1/kernel'), weightsAfter[2], 'best epoch weights restored');
  assert.deepEqual(saves, ['best', 'best', 'best', 'final']);
  assert.ok(seen.every((l) => l.lr === 1e-3 && l.loss > 0 && l.mae > 0));
});

test('fit: the learning rate in the logs follows ReduceLROnPlateau; shuffles are per-epoch and reproducible', async () => {
  const model = new ScriptedVal([0.3, 0.3, 0.3, 0.3, 0.3]);
  const r = await fit(model, split(20, 3), split(5, 4), { epochs: 5, batchSize: 8, seed: 9, callbacks: [new ReduceLROnPlateau({ patience: 2 })] });
  // logs carry the rate the epoch trained with; a cut at the end of epoch e applies from e + 1
  assert.deepEqual(r.history.map((h) => h.lr), [1e-3, 1e-3, 1e-3, 5e-4, 5e-4]);
  assert.equal(model.optimizer.learningRate, 2.5e-4);
  assert.notEqual(epochSeed(9, 0), epochSeed(9, 1));
  assert.equal(epochSeed(9, 3), epochSeed(9, 3));
  // Same seed, same data, same model -> the same weights.
  const a = new FakeScorer(2), b = new FakeScorer(2), c = new FakeScorer(2);
  await fit(a, split(20, 3), split(5, 4), { epochs: 2, batchSize: 8, seed: 1 });
  await fit(b, split(20, 3), split(5, 4), { epochs: 2, batchSize: 8, seed: 1 });
  await fit(c, split(20, 3), split(5, 4), { epochs: 2, batchSize: 8, seed: 2 });
  assert.deepEqual(a.weights, b.weights);
  assert.notDeepEqual(a.weights, c.weights);
});

test('fit: a stop request ends training after the current step, without epoch-end or train-end callbacks', async () => {
  const model = new FakeScorer(3);
  const ck = new ModelCheckpoint({ filepath: 'best', finalFilepath: 'final' });
  const saves: string[] = [];
  model.save = (dir: string) => { saves.push(dir); };
  let polls = 0;
  const r = await fit(model, split(40, 5), split(5, 6), { epochs: 3, batchSize: 8, seed: 1, callbacks: [ck, new StopOnSignal(() => ++polls === 3)] });
  assert.equal(r.interrupted, true);
  assert.equal(model.steps, 3);
  assert.equal(r.lastEpoch, -1);
  assert.deepEqual(saves, []);
});

test('progress: a redrawn bar with step count, ETA and running metrics on a terminal; one line per epoch elsewhere', () => {
  const logs: EpochLogs = { loss: 0.01, mae: 0.08, val_loss: 0.012, val_mae: 0.0234, lr: 1e-3 };
  let tty = '';
  const bar = new ProgressBar({ write: (s: string) => (tty += s), isTTY: true });
  bar.epochBegin(0, 50, 3);
  bar.step(1, { loss: 0.02, mae: 0.1 });
  bar.step(3, { loss: 0.01, mae: 0.08 });
  bar.epochEnd(0, logs, 1.2);
  assert.match(tty, /^Epoch 1\/50\n/);
  assert.match(tty, /\r1\/3 \[=+>?\.*\] - ETA: \d+s - loss: 0\.0200 - mae: 0\.1000/);
  assert.match(tty, /\r3\/3 \[={30}\] - 1s 400ms\/step - loss: 0\.0100 .* val_mae: 0\.0234 \(2\.34 on 0-100\) - lr: 1\.0e-3\x1b\[K\n$/);

  let plain = '';
  const log = new ProgressBar({ write: (s: string) => (plain += s), isTTY: false });
  log.epochBegin(4, 50, 3);
  log.step(1, { loss: 0.02, mae: 0.1 });
  log.epochEnd(4, logs, 75);
  assert.equal(plain, 'Epoch 5/50 - 3 steps - 1m 15s 25000ms/step - loss: 0.0100 - mae: 0.0800 - val_loss: 0.0120 - val_mae: 0.0234 (2.34 on 0-100) - lr: 1.0e-3\n');
});

test('fit: the Keras hooks run in order, batch logs are running means, and a ProgbarLogger shows the others\' notices', async () => {
  const calls: string[] = [];
  class Recorder extends Callback {
    onTrainBegin(): void { calls.push('train-begin'); }
    onEpochBegin(epoch: number): void { calls.push(`epoch-begin ${epoch}`); }
    onBatchBegin(batch: number): void { calls.push(`batch-begin ${batch}`); }
    onBatchEnd(batch: number, logs: BatchLogs): void { calls.push(`batch-end ${batch}`); assert.ok(logs.loss > 0 && logs.mae > 0); }
    onEpochEnd(epoch: number): void { calls.push(`epoch-end ${epoch}`); this.say(`said ${epoch}`); }
    onTrainEnd(): void { calls.push('train-end'); }
    getConfig(): Record<string, unknown> { return {}; }
  }
  let out = '';
  const progbar = new ProgbarLogger(new ProgressBar({ write: (s: string) => (out += s), isTTY: false }));
  await fit(new FakeScorer(4), split(12, 7), split(4, 8), { epochs: 2, batchSize: 8, seed: 3, callbacks: [progbar, new Recorder()] });
  assert.deepEqual(calls, [
    'train-begin',
    'epoch-begin 0', 'batch-begin 0', 'batch-end 0', 'batch-begin 1', 'batch-end 1', 'epoch-end 0',
    'epoch-begin 1', 'batch-begin 0', 'batch-end 0', 'batch-begin 1', 'batch-end 1', 'epoch-end 1',
    'train-end',
  ]);
  assert.match(out, /^Epoch 1\/2 - 2 steps - .*\nsaid 0\nEpoch 2\/2 - 2 steps - .*\nsaid 1\n$/);
});
