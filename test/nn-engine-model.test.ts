// FormScorer on the WebAssembly engine: (e) training lowers the validation loss on a
// small learnable task; (f) 1 and 2 threads give the same gradients; a fixed seed and
// thread count give the same bytes; frozen layers stay put; save -> load predicts the
// same and resumes training exactly.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TRAINABLE_LAYERS, WEIGHT_SPECS } from '../src/nn/architecture.js';
import { FormScorer } from '../src/nn/model.js';
import { Random } from '../src/util/random.js';
import { tempDir } from './helpers/fixtures.js';

const SAMPLE = 90 * 18;

/** x: per-sample channel levels plus noise; y: scores that are a smooth function of the levels. */
function task(n: number, seed: number): { x: Float32Array; y: Float32Array; n: number } {
  const rng = new Random(seed);
  const x = new Float32Array(n * SAMPLE);
  const y = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) {
    const level = Array.from({ length: 18 }, () => rng.uniform(-1, 1));
    for (let t = 0; t < 90; t++) for (let c = 0; c < 18; c++) x[i * SAMPLE + t * 18 + c] = level[c] + rng.normal(0, 0.1);
    for (let j = 0; j < 6; j++) y[i * 6 + j] = 0.5 + 0.35 * level[j];
  }
  return { x, y, n };
}

/** Per-tensor ||a - b|| / ||b||, the worst over all weights. */
function worstRelL2(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const s of WEIGHT_SPECS) {
    const u = a.get(s.name)!, v = b.get(s.name)!;
    let d = 0, m = 0;
    for (let i = 0; i < u.length; i++) {
      d += (u[i] - v[i]) ** 2;
      m += v[i] ** 2;
    }
    worst = Math.max(worst, m === 0 ? Math.sqrt(d) : Math.sqrt(d / m));
  }
  return worst;
}

const models: FormScorer[] = [];
async function make(opts: Parameters<typeof FormScorer.create>[0]): Promise<FormScorer> {
  const m = await FormScorer.create(opts);
  models.push(m);
  return m;
}
after(async () => {
  await Promise.all(models.map((m) => m.dispose()));
});

describe('FormScorer', () => {
  it('has the parameter count and the API shapes of the contract', async () => {
    const m = await make({ seed: 1, threads: 1 });
    assert.equal(m.paramCount(), 200326);
    const w = m.getWeights();
    assert.deepEqual([...w.keys()], WEIGHT_SPECS.map((s) => s.name));
    assert.deepEqual(Object.keys(m.trainable), [...TRAINABLE_LAYERS]);
    const p = await m.predict(new Float32Array(3 * SAMPLE), 3);
    assert.equal(p.length, 18);
    for (const v of p) assert.ok(v > 0 && v < 1);
    await assert.rejects(m.predict(new Float32Array(10), 1), /predict: x has 10 values, expected/);
    await assert.rejects(m.trainStep(new Float32Array(SAMPLE), new Float32Array(5), 1), /trainStep: y has 5 values/);
    assert.throws(() => m.setTrainable('pool' as never, false), /unknown layer "pool"/);
  });

  it('(e) a short training run lowers the validation loss', async () => {
    const train = task(256, 1);
    const val = task(64, 2);
    const m = await make({ seed: 3, threads: 2 });
    m.optimizer.learningRate = 0.003;
    const before = await m.evaluate(val.x, val.y, val.n);
    const bs = 32;
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let s = 0; s < train.n; s += bs) {
        await m.trainStep(train.x.subarray(s * SAMPLE, (s + bs) * SAMPLE), train.y.subarray(s * 6, (s + bs) * 6), bs);
      }
    }
    const afterTraining = await m.evaluate(val.x, val.y, val.n);
    assert.ok(afterTraining.loss < 0.5 * before.loss, `val loss ${before.loss} -> ${afterTraining.loss}`);
    assert.ok(afterTraining.mae < before.mae);
  });

  it('(f) 1 thread and 2 threads give the same loss and gradients (dropout on, same masks)', async () => {
    const { x, y } = task(20, 4);
    const one = await make({ seed: 5, threads: 1 });
    const two = await make({ seed: 5, threads: 2 });
    const g1 = await one.computeGradients(x, y, 20);
    const g2 = await two.computeGradients(x, y, 20);
    assert.ok(Math.abs(g1.loss - g2.loss) <= 1e-6 * g1.loss, `loss ${g1.loss} vs ${g2.loss}`);
    const e = worstRelL2(g2.grads, g1.grads);
    assert.ok(e <= 1e-6, `gradients differ by ${e.toExponential(2)}`);
    // and the dropout masks do matter: another seed gives other gradients
    const other = await make({ seed: 6, threads: 1 });
    assert.ok(worstRelL2((await other.computeGradients(x, y, 20)).grads, g1.grads) > 1e-3);
  });

  it('is deterministic for a fixed seed and thread count', async () => {
    const { x, y } = task(24, 5);
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const m = await make({ seed: 9, threads: 2 });
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push((await m.trainStep(x, y, 24)).loss);
      runs.push({ losses, weights: m.getWeights() });
    }
    assert.deepEqual(runs[0].losses, runs[1].losses);
    for (const s of WEIGHT_SPECS) assert.deepEqual(runs[0].weights.get(s.name), runs[1].weights.get(s.name), s.name);
  });

  it('calls made without awaiting run one at a time, in call order', async () => {
    const { x, y } = task(8, 10);
    const a = await make({ seed: 4, threads: 2 });
    const b = await make({ seed: 4, threads: 2 });
    const together = await Promise.all([a.trainStep(x, y, 8), a.predict(x, 8), a.trainStep(x, y, 8)]);
    const oneByOne = [await b.trainStep(x, y, 8), await b.predict(x, 8), await b.trainStep(x, y, 8)];
    assert.deepEqual(together, oneByOne);
  });

  it('multi-threaded prediction equals single-threaded prediction exactly', async () => {
    const { x } = task(37, 6);
    const one = await make({ seed: 2, threads: 1 });
    const two = await make({ seed: 2, threads: 2 });
    assert.deepEqual(await two.predict(x, 37), await one.predict(x, 37));
    // one rep and three (too few to split: the kernels use the second core inside a layer)
    const all = await one.predict(x, 37);
    for (const n of [1, 3]) {
      const some = await two.predict(x.subarray(0, n * 90 * 18), n);
      assert.deepEqual(some, await one.predict(x.subarray(0, n * 90 * 18), n), `${n} reps`);
      assert.deepEqual(some, all.subarray(0, n * 6), `${n} reps alone and within the batch`);
    }
  });

  it('frozen layers are not updated and keep their Adam state; gradients still flow through frozen layers', async () => {
    const { x, y } = task(16, 7);
    const m = await make({ seed: 11, threads: 2 });
    await m.trainStep(x, y, 16); // some Adam state everywhere
    m.setTrainable('conv1', false);
    m.setTrainable('conv2', false);
    m.setTrainable('dense1', false);
    const w0 = m.getWeights();
    const o0 = m.optimizer.getState();
    for (let i = 0; i < 2; i++) await m.trainStep(x, y, 16);
    const w1 = m.getWeights();
    const o1 = m.optimizer.getState();
    assert.equal(o1.step, o0.step + 2);
    for (const s of WEIGHT_SPECS) {
      const frozen = !m.trainable[s.layer];
      const same = w0.get(s.name)!.every((v, i) => v === w1.get(s.name)![i]);
      assert.equal(same, frozen, `${s.name}: ${frozen ? 'changed while frozen' : 'not updated'}`);
      if (frozen) {
        assert.deepEqual(o1.m.get(s.name), o0.m.get(s.name));
        assert.deepEqual(o1.v.get(s.name), o0.v.get(s.name));
      }
    }
  });

  it('save -> load gives identical predictions, flags and optimizer state, and resumes training exactly', async () => {
    const { x, y } = task(12, 8);
    const m = await make({ seed: 13, threads: 2 });
    m.optimizer.learningRate = 0.002;
    for (let i = 0; i < 2; i++) await m.trainStep(x, y, 12);
    m.setTrainable('conv1', false);
    const dir = join(tempDir(), 'ckpt');
    m.save(dir, { epoch: 2 });
    const l = await FormScorer.load(dir, { seed: 13, threads: 2 });
    models.push(l);
    assert.deepEqual(await l.predict(x, 12), await m.predict(x, 12));
    assert.equal(l.trainable.conv1, false);
    assert.equal(l.optimizer.learningRate, 0.002);
    const a = m.optimizer.getState(), b = l.optimizer.getState();
    assert.equal(b.step, a.step);
    for (const s of WEIGHT_SPECS) assert.deepEqual(b.m.get(s.name), a.m.get(s.name));
    assert.deepEqual(await l.trainStep(x, y, 12), await m.trainStep(x, y, 12));
    const wa = m.getWeights(), wb = l.getWeights();
    for (const s of WEIGHT_SPECS) assert.deepEqual(wb.get(s.name), wa.get(s.name), s.name);
  });

  it('setWeights / fromWeights round-trip the weights', async () => {
    const m = await make({ seed: 14, threads: 1 });
    const w = m.getWeights();
    const n = await FormScorer.fromWeights(w, { threads: 1 });
    models.push(n);
    const { x } = task(3, 9);
    assert.deepEqual(await n.predict(x, 3), await m.predict(x, 3));
    w.get('scores/bias')!.fill(0.5);
    n.setWeights(w);
    assert.deepEqual(n.getWeights().get('scores/bias'), w.get('scores/bias'));
    w.delete('conv1/kernel');
    assert.throws(() => n.setWeights(w), /missing "conv1\/kernel"/);
  });
});
