// Whole-network gradient check at the real shapes (float64, central differences on a
// random subset of every weight tensor and of the input), and the Keras initialisers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/util/random.js';
import { centralDifference, relativeError } from './helpers/gradcheck.js';
import { PARAM_COUNT, WEIGHT_SPECS, sizeOf } from '../src/nn/architecture.js';
import { initWeights, orthogonal } from '../src/nn/init.js';
import {
  type WeightMap, convert, dropoutMasksOf, networkForward, networkLossAndGrads, referenceForward,
} from '../src/nn/reference/index.js';
import { FRAMES, N_FEATURES, N_SCORES } from '../src/data/exercises.js';

function randomBatch(rng: Random, n: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * FRAMES * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  const y = new Float32Array(n * N_SCORES);
  for (let i = 0; i < y.length; i++) y[i] = rng.next();
  return { x, y };
}

test('whole network: gradients match float64 central differences (real shapes, dropout on)', () => {
  const n = 2;
  const rng = new Random(7);
  const w32 = initWeights(3);
  // larger biases than the zero init so that every unit and gate is exercised
  const w: WeightMap = new Map();
  for (const spec of WEIGHT_SPECS) {
    const a = convert(w32.get(spec.name)!, 'float64');
    if (spec.name.endsWith('bias')) for (let i = 0; i < a.length; i++) a[i] += rng.normal(0, 0.1);
    w.set(spec.name, a);
  }
  const { x, y } = randomBatch(rng, n);
  const x64 = convert(x, 'float64');
  const opts = { training: true, seed: 11 } as const;
  const lossAt = () => networkLossAndGrads(w, x64, y, n, opts).loss;
  const { grads, dx } = networkLossAndGrads(w, x64, y, n, opts);
  assert.deepEqual([...grads.keys()], WEIGHT_SPECS.map((s) => s.name));

  const eps = 1e-5;
  const check = (what: string, buf: Float64Array, analytic: ArrayLike<number>, count: number) => {
    // largest-gradient entry plus random ones: the random ones are often tiny, the largest never
    let big = 0;
    for (let i = 1; i < analytic.length; i++) if (Math.abs(analytic[i]) > Math.abs(analytic[big])) big = i;
    const picks = [big];
    for (let k = 1; k < count; k++) picks.push(rng.int(0, buf.length - 1));
    for (const i of picks) {
      const numeric = centralDifference(buf, i, eps, lossAt);
      const err = relativeError(numeric, analytic[i], 1e-6);
      assert.ok(err < 1e-4, `${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric} (rel ${err.toExponential(2)})`);
    }
  };
  for (const spec of WEIGHT_SPECS) check(spec.name, w.get(spec.name) as Float64Array, grads.get(spec.name)!, 2);
  check('x', x64 as Float64Array, dx, 4);
});

test('dropout: same seed same scores, different seed different, inference ignores the seed', () => {
  const w = initWeights(1);
  const { x } = randomBatch(new Random(2), 2);
  const a = networkForward(w, x, 2, { training: true, seed: 5 }).scores;
  const b = networkForward(w, x, 2, { training: true, seed: 5 }).scores;
  const c = networkForward(w, x, 2, { training: true, seed: 6 }).scores;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // masks handed in (as the engine parity test does with the engine's) reproduce the pass
  const masks = dropoutMasksOf(networkForward(w, x, 2, { training: true, seed: 5 }));
  assert.deepEqual(Object.keys(masks), ['drop1', 'drop2']);
  const given = networkForward(w, x, 2, { masks });
  assert.deepEqual(given.scores, a);
  assert.throws(() => networkForward(w, x, 2, { masks: { ...masks, drop1: new Float32Array(3) } }), /network masks: drop1 needs 5760 values, got 3/);
  assert.throws(() => dropoutMasksOf(networkForward(w, x, 2)), /drop1 did not drop/);
  const inf = referenceForward(w, x, 2);
  assert.deepEqual(inf, networkForward(w, x, 2, { seed: 9 }).scores);
  assert.ok(inf instanceof Float32Array && inf.length === 12);
  for (const s of inf) assert.ok(s > 0 && s < 1);
});

test('referenceForward rejects a missing weight or a wrong input size with a one-line error', () => {
  const w = initWeights(1);
  w.delete('dense1/bias');
  assert.throws(() => referenceForward(w, new Float32Array(FRAMES * N_FEATURES), 1), /missing "dense1\/bias"/);
  assert.throws(() => referenceForward(initWeights(1), new Float32Array(10), 1), /network input: 10 values/);
});

test('initWeights: Keras initialisers, seeded', () => {
  const a = initWeights(42);
  const b = initWeights(42);
  const c = initWeights(43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.get('conv1/kernel'), c.get('conv1/kernel'));
  let total = 0;
  for (const spec of WEIGHT_SPECS) {
    const w = a.get(spec.name)!;
    assert.equal(w.length, sizeOf(spec.shape), spec.name);
    total += w.length;
    if (spec.init === 'glorot_uniform') {
      const fanIn = spec.shape.length === 3 ? spec.shape[0] * spec.shape[1] : spec.shape[0];
      const fanOut = spec.shape.length === 3 ? spec.shape[0] * spec.shape[2] : spec.shape[1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      let sq = 0;
      for (const v of w) {
        assert.ok(Math.abs(v) <= limit, `${spec.name} within ±${limit}`);
        sq += v * v;
      }
      // U(-l, l) has variance l²/3
      assert.ok(Math.abs(sq / w.length / (limit * limit / 3) - 1) < 0.15, `${spec.name} variance`);
    } else if (spec.init === 'zeros') {
      assert.ok(w.every((v) => v === 0), spec.name);
    } else if (spec.init === 'lstm_bias') {
      const units = w.length / 4; // gates i, f, c, o: the forget gate's bias is 1
      w.forEach((v, i) => assert.equal(v, i >= units && i < 2 * units ? 1 : 0, `${spec.name}[${i}]`));
    } else {
      // orthogonal (H, 4H): orthonormal rows
      const [rows, cols] = spec.shape;
      for (let i = 0; i < rows; i += 7) {
        for (let j = 0; j < rows; j += 5) {
          let dot = 0;
          for (let k = 0; k < cols; k++) dot += w[i * cols + k] * w[j * cols + k];
          assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `${spec.name} rows ${i}·${j} = ${dot}`);
        }
      }
    }
  }
  assert.equal(total, PARAM_COUNT);
});

test('orthogonal: tall matrices get orthonormal columns', () => {
  const q = orthogonal(6, 3, new Random(1));
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let r = 0; r < 6; r++) dot += q[r * 3 + i] * q[r * 3 + j];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-6);
    }
  }
});
