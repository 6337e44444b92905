import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSynthetic } from '../src/data/synthetic.js';
import { drawPerformer, REALISTIC_RANGES, simulateRawRep } from '../src/data/realistic.js';
import { ruleScores } from '../src/data/rules.js';
import { DIMENSIONS, EXERCISES, REP_SIZE } from '../src/data/exercises.js';
import { pearson } from '../src/evaluate/metrics.js';
import { Random } from '../src/util/random.js';

const N = 2000;
const data = Object.fromEntries(EXERCISES.map((ex) => [ex, generateSynthetic(ex, N, 42)]));
const column = (scores: Float32Array, k: number) => Array.from({ length: scores.length / 6 }, (_, i) => scores[i * 6 + k]);

test('realistic: every dimension of every exercise covers 0-50, 50-80 and 80-100 with at least 10 % each', () => {
  for (const ex of EXERCISES) {
    DIMENSIONS.forEach((dim, k) => {
      const v = column(data[ex].scores, k);
      const shares = [v.filter((x) => x < 50), v.filter((x) => x >= 50 && x < 80), v.filter((x) => x >= 80)].map((b) => b.length / N);
      for (const [band, share] of ['0-50', '50-80', '80-100'].map((b, i) => [b, shares[i]] as const)) {
        assert.ok(share >= 0.1, `${ex} ${dim} ${band}: ${(share * 100).toFixed(1)} % of reps`);
      }
    });
  }
});

test('realistic: ground truth is the rule scorer of the final sequence; shapes, bounds, no tiers', () => {
  for (const ex of EXERCISES) {
    const d = data[ex];
    assert.equal(d.profile, 'realistic');
    assert.equal(d.tiers, null);
    assert.equal(d.sequences.length, N * REP_SIZE);
    for (const v of d.sequences) assert.ok(v >= 0 && v <= 180);
    for (let i = 0; i < 50; i++) {
      const rule = ruleScores(d.sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE), ex);
      for (let k = 0; k < 6; k++) assert.equal(d.scores[i * 6 + k], rule[k], `${ex} rep ${i} ${DIMENSIONS[k]}`);
    }
  }
});

test('realistic: the dimensions are not tied together as the seed tiers tie them', () => {
  for (const ex of EXERCISES) {
    for (let a = 0; a < 5; a++) {
      for (let b = a + 1; b < 5; b++) {
        const r = pearson(column(data[ex].scores, a), column(data[ex].scores, b));
        // The seed tiers tie depth, symmetry and alignment at r ≈ 0.9. Here only a
        // performer's skill links them a little, and stability and tempo both read
        // frame-to-frame differences, so jitter moves both.
        const limit = DIMENSIONS[a] === 'stability' && DIMENSIONS[b] === 'tempo' ? 0.9 : 0.65;
        assert.ok(Math.abs(r) < limit, `${ex} ${DIMENSIONS[a]} vs ${DIMENSIONS[b]}: r = ${r.toFixed(2)}`);
      }
    }
  }
});

test('realistic: same seed → same bytes; another seed → other reps', () => {
  const again = generateSynthetic('lunge', N, 42);
  assert.deepEqual(again.sequences, data.lunge.sequences);
  assert.deepEqual(again.scores, data.lunge.scores);
  assert.notDeepEqual(generateSynthetic('lunge', 50, 43).sequences, again.sequences.subarray(0, 50 * REP_SIZE));
});

test('realistic: raw reps last 40-160 frames, posture errors build up over frames, the knee bends', () => {
  const rng = new Random(3);
  const ranges = { ...REALISTIC_RANGES, glitchProbability: 0, jitterStd: { ordinary: [0, 0], wide: [0, 0], wideShare: 0 } } as const;
  for (let i = 0; i < 200; i++) {
    const person = drawPerformer('squat', ranges, rng);
    const { frames, count } = simulateRawRep('squat', person, ranges, rng);
    assert.ok(count >= 40 && count <= 160, `count ${count}`);
    let min = 180, maxStep = 0;
    for (let t = 0; t < count; t++) {
      min = Math.min(min, frames[t * 9]);
      // Without jitter or glitches the trunk never jumps (the seed profile's errors are 15-40° single-frame spikes).
      if (t > 0) maxStep = Math.max(maxStep, Math.abs(frames[t * 9 + 8] - frames[(t - 1) * 9 + 8]));
    }
    assert.ok(maxStep < 15, `rep ${i}: a ${maxStep.toFixed(1)}° spine jump between frames`);
    assert.ok(min < frames[0] - 2, `rep ${i}: the knee bends (${frames[0].toFixed(1)} → ${min.toFixed(1)})`);
  }
});
