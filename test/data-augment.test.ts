import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amplitudeScale, augmentBatch, gaussianNoise, mirror, timeWarp } from '../src/data/augment.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import { Random } from '../src/util/random.js';

const data = generateSynthetic('squat', 40, 11);
const rep0 = data.sequences.slice(0, 810);

test('timeWarp: endpoints fixed, a monotone resampling of the original (values stay within its range)', () => {
  // A strictly increasing ramp reveals the warp: out[t] = source time of frame t.
  const ramp = new Float32Array(810);
  for (let t = 0; t < 90; t++) for (let c = 0; c < 9; c++) ramp[t * 9 + c] = t;
  const rng = new Random(3);
  let changed = false;
  for (let trial = 0; trial < 50; trial++) {
    const w = timeWarp(ramp, rng);
    assert.equal(w.length, 810);
    assert.ok(Math.abs(w[0]) < 1e-6 && Math.abs(w[89 * 9] - 89) < 1e-4, 'endpoints');
    for (let t = 1; t < 90; t++) assert.ok(w[t * 9] > w[(t - 1) * 9], `monotone at ${t}`);
    // Smooth: the local speed (source frames per output frame) never jumps.
    for (let t = 2; t < 90; t++) {
      const s1 = w[t * 9] - w[(t - 1) * 9], s0 = w[(t - 1) * 9] - w[(t - 2) * 9];
      assert.ok(Math.abs(s1 - s0) < 0.5, `speed jump at ${t}: ${s0} → ${s1}`);
    }
    if (Math.abs(w[45 * 9] - 45) > 0.5) changed = true;
  }
  assert.ok(changed, 'the warp actually moves frames');
});

test('gaussianNoise, amplitudeScale, mirror do what they say', () => {
  const noisy = gaussianNoise(rep0, new Random(1), 2);
  let s2 = 0;
  for (let i = 0; i < 810; i++) s2 += (noisy[i] - rep0[i]) ** 2;
  assert.ok(Math.abs(Math.sqrt(s2 / 810) - 2) < 0.3);

  // Scaling about the channel mean keeps each channel's mean.
  const scaled = amplitudeScale(rep0, new Random(2), 1.5, 1.5);
  for (let c = 0; c < 9; c++) {
    let m0 = 0, m1 = 0;
    for (let t = 0; t < 90; t++) { m0 += rep0[t * 9 + c]; m1 += scaled[t * 9 + c]; }
    assert.ok(Math.abs(m0 - m1) / 90 < 1e-3);
    assert.ok(Math.abs((scaled[45 * 9 + c] - m1 / 90) - 1.5 * (rep0[45 * 9 + c] - m0 / 90)) < 1e-3);
  }

  const m = mirror(rep0);
  for (let t = 0; t < 90; t++) {
    for (const [l, r] of [[0, 1], [2, 3], [4, 5], [6, 7]]) {
      assert.equal(m[t * 9 + l], rep0[t * 9 + r]);
      assert.equal(m[t * 9 + r], rep0[t * 9 + l]);
    }
    assert.equal(m[t * 9 + 8], rep0[t * 9 + 8]);
  }
  assert.deepEqual(mirror(m), rep0);
});

test('augmentBatch: originals first, factor copies with the original labels, bounds kept, seeded', () => {
  const labels = Float32Array.from(data.scores, (v) => v / 100);
  const a = augmentBatch(data.sequences, labels, 40, 3, new Random(9));
  const b = augmentBatch(data.sequences, labels, 40, 3, new Random(9));
  const c = augmentBatch(data.sequences, labels, 40, 3, new Random(10));
  assert.equal(a.n, 160);
  assert.equal(a.sequences.length, 160 * 810);
  assert.equal(a.labels.length, 160 * 6);
  assert.deepEqual(a.sequences.subarray(0, 40 * 810), data.sequences);
  for (let copy = 0; copy < 4; copy++) assert.deepEqual(a.labels.subarray(copy * 240, (copy + 1) * 240), labels);
  for (const v of a.sequences) assert.ok(v >= 0 && v <= 180 && Number.isFinite(v));
  assert.deepEqual(a.sequences, b.sequences);
  assert.notDeepEqual(a.sequences, c.sequences);
  // Copies differ from their originals (noise alone is applied 60 % of the time).
  let identical = 0;
  for (let i = 40; i < 160; i++) {
    const src = data.sequences.subarray((i % 40) * 810, (i % 40 + 1) * 810);
    if (a.sequences.subarray(i * 810, (i + 1) * 810).every((v, k) => v === src[k])) identical++;
  }
  assert.ok(identical < 30, `${identical} of 120 copies unchanged`);
  assert.equal(augmentBatch(data.sequences, labels, 40, 0, new Random(1)).n, 40);
  assert.throws(() => augmentBatch(data.sequences, labels, 40, 1.5, new Random(1)), /non-negative integer/);
});
