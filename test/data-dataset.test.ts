import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasRealData, loadDataset, stratifiedSplit, type Split } from '../src/data/dataset.js';
import { type DataProfile, generateSynthetic, writeSynthetic } from '../src/data/synthetic.js';
import { ruleScores } from '../src/data/rules.js';
import { toFeatures } from '../src/data/features.js';
import { writeNpy } from '../src/data/npy.js';
import { Random } from '../src/util/random.js';
import { tempDir } from './helpers/fixtures.js';
import { MissingInputError } from '../src/workspace/errors.js';

const N = 1000;

function makeDataDir(profile: DataProfile = 'seed'): string {
  const root = tempDir();
  const d = generateSynthetic('squat', N, 42, profile);
  writeSynthetic(join(root, 'generated', 'squat'), d);
  return root;
}

const root = makeDataDir();

/** Quartile (0-3) of each rep's overall score within the whole synthetic set. */
function quartileOf(values: number[]): (v: number) => number {
  const sorted = [...values].sort((a, b) => a - b);
  const cuts = [1, 2, 3].map((q) => sorted[Math.floor((q * sorted.length) / 4)]);
  return (v) => cuts.filter((c) => v >= c).length;
}

/** A rep's identity: a few of its angles (jitter makes them unique). */
const repKey = (seq: Float32Array, i: number) => Array.from(seq.subarray(i * 810 + 396, i * 810 + 405)).join(',');

const overalls = (s: Split) => Array.from({ length: s.n }, (_, i) => s.y[i * 6 + 5]);

test('dataset: 70/15/15 split, every quartile of the overall score proportionally in each split', () => {
  const ds = loadDataset('squat', { dataDir: root, seed: 1 });
  assert.equal(ds.realCount, 0);
  assert.equal(ds.train.n + ds.val.n + ds.test.n, N);
  assert.ok(Math.abs((100 * ds.train.n) / N - 70) <= 1, `train ${ds.train.n}`);
  assert.ok(Math.abs((100 * ds.val.n) / N - 15) <= 1, `val ${ds.val.n}`);
  assert.ok(Math.abs((100 * ds.test.n) / N - 15) <= 1, `test ${ds.test.n}`);

  const all = [...overalls(ds.train), ...overalls(ds.val), ...overalls(ds.test)];
  const q = quartileOf(all);
  for (const split of [ds.train, ds.val, ds.test]) {
    const counts = [0, 0, 0, 0];
    for (const v of overalls(split)) counts[q(v)]++;
    for (const c of counts) assert.ok(Math.abs(c / split.n - 0.25) <= 0.02, `quartile counts ${counts} of ${split.n}`);
  }
});

test('dataset: shapes, scores in [0,1], features match the sequences, deterministic per seed', () => {
  const a = loadDataset('squat', { dataDir: root, seed: 7 });
  const b = loadDataset('squat', { dataDir: root, seed: 7 });
  const c = loadDataset('squat', { dataDir: root, seed: 8 });
  for (const s of [a.train, a.val, a.test]) {
    assert.equal(s.x.length, s.n * 90 * 18);
    assert.equal(s.y.length, s.n * 6);
    assert.equal(s.sequences.length, s.n * 90 * 9);
    for (const v of s.y) assert.ok(v >= 0 && v <= 1);
    assert.deepEqual(s.x, toFeatures(s.sequences, s.n));
  }
  assert.deepEqual(a.test.y, b.test.y);
  assert.deepEqual(a.train.sequences, b.train.sequences);
  assert.notDeepEqual(a.test.y, c.test.y);
  // No rep is in two splits.
  const key = (s: Split) => Array.from({ length: s.n }, (_, i) => repKey(s.sequences, i));
  const seen = new Set([...key(a.train), ...key(a.val), ...key(a.test)]);
  assert.equal(seen.size, N);
});

test('dataset: augmentation appends copies to train only; seed-profile labels kept, realistic copies labelled by the rules', () => {
  const plain = loadDataset('squat', { dataDir: root, seed: 3 });
  const aug = loadDataset('squat', { dataDir: root, seed: 3, augment: 2 });
  assert.equal(aug.train.n, plain.train.n * 3);
  assert.equal(aug.val.n, plain.val.n);
  assert.deepEqual(aug.test.y, plain.test.y);
  assert.deepEqual(aug.train.y.subarray(0, plain.train.y.length), plain.train.y);
  assert.deepEqual(aug.train.y.subarray(plain.train.y.length, 2 * plain.train.y.length), plain.train.y);
  for (const v of aug.train.sequences) assert.ok(v >= 0 && v <= 180);

  const realistic = makeDataDir('realistic');
  const r = loadDataset('squat', { dataDir: realistic, seed: 3, augment: 1 });
  assert.equal(r.profile, 'realistic');
  const n0 = r.train.n / 2;
  let changed = 0;
  for (let i = n0; i < r.train.n; i++) {
    const rule = ruleScores(r.train.sequences.subarray(i * 810, (i + 1) * 810), 'squat');
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(r.train.y[i * 6 + k] - rule[k] / 100) < 1e-6, `copy ${i} dim ${k}`);
    if (Math.abs(r.train.y[i * 6 + 3] - r.train.y[(i - n0) * 6 + 3]) > 0.01) changed++;
  }
  assert.ok(changed > 0, 'noise and time warp change the tempo of some copies');
});

test('dataset: real reps are mixed into every split when present; includeReal=false leaves them out', () => {
  const local = makeDataDir();
  assert.equal(hasRealData('squat', local), false);
  const real = generateSynthetic('squat', 40, 99);
  writeNpy(join(local, 'real', 'squat', 'sequences.npy'), real.sequences, [40, 90, 9]);
  writeNpy(join(local, 'real', 'squat', 'scores.npy'), real.scores, [40, 6]);
  assert.equal(hasRealData('squat', local), true);
  const ds = loadDataset('squat', { dataDir: local, seed: 5 });
  assert.equal(ds.realCount, 40);
  assert.equal(ds.train.n + ds.val.n + ds.test.n, N + 40);
  const realKeys = new Set(Array.from({ length: 40 }, (_, i) => repKey(real.sequences, i)));
  for (const s of [ds.train, ds.val, ds.test]) {
    let count = 0;
    for (let i = 0; i < s.n; i++) if (realKeys.has(repKey(s.sequences, i))) count++;
    assert.ok(count >= 4, `real reps in split: ${count}`);
  }
  const synthOnly = loadDataset('squat', { dataDir: local, seed: 5, includeReal: false });
  assert.equal(synthOnly.realCount, 0);
  assert.equal(synthOnly.train.n + synthOnly.val.n + synthOnly.test.n, N);
});

test('dataset: every rep carries its source and row, through the shuffle and the augmentation', () => {
  const local = makeDataDir();
  const synth = generateSynthetic('squat', N, 42, 'seed');
  const real = generateSynthetic('squat', 40, 99);
  writeNpy(join(local, 'real', 'squat', 'sequences.npy'), real.sequences, [40, 90, 9]);
  writeNpy(join(local, 'real', 'squat', 'scores.npy'), real.scores, [40, 6]);
  const ds = loadDataset('squat', { dataDir: local, seed: 5, augment: 1 });
  const seen = new Set<string>();
  for (const [name, s] of Object.entries({ train: ds.train, val: ds.val, test: ds.test })) {
    assert.equal(s.source.length, s.n);
    assert.equal(s.index.length, s.n);
    // Augmented copies (the second half of train) are not the original rep, so only originals are compared.
    const originals = name === 'train' ? s.n / 2 : s.n;
    for (let i = 0; i < s.n; i++) {
      const from = s.source[i] === 0 ? synth : real;
      assert.equal(s.y[i * 6 + 5], Math.fround(Math.min(1, Math.max(0, from.scores[s.index[i] * 6 + 5] / 100))), `${name} rep ${i} overall score`);
      if (i < originals) {
        assert.equal(repKey(s.sequences, i), repKey(from.sequences, s.index[i]), `${name} rep ${i}`);
        seen.add(`${s.source[i]}:${s.index[i]}`);
      }
    }
  }
  // Each of the 1,040 reps appears in exactly one split.
  assert.equal(seen.size, N + 40);
});

test('dataset: missing data names the command to run; shape mismatches name the file', () => {
  const empty = tempDir();
  assert.throws(() => loadDataset('lunge', { dataDir: empty }), (err: Error) =>
    err instanceof MissingInputError && err.kind === 'synthetic-data' && err.remedy.startsWith('generate --exercise lunge'));
  const bad = tempDir();
  const dir = join(bad, 'generated', 'plank');
  mkdirSync(dir, { recursive: true });
  writeNpy(join(dir, 'sequences.npy'), new Float32Array(2 * 90 * 9), [2, 90, 9]);
  writeNpy(join(dir, 'scores.npy'), new Float32Array(3 * 6), [3, 6]);
  assert.throws(() => loadDataset('plank', { dataDir: bad }), (e: Error) =>
    e.message.includes(join(dir, 'scores.npy')) && /3 rows but .* 2 reps/.test(e.message));
  writeNpy(join(dir, 'scores.npy'), new Float32Array(2 * 5), [2, 5]);
  assert.throws(() => loadDataset('plank', { dataDir: bad }), (e: Error) =>
    e.message === `${join(dir, 'scores.npy')}: expected shape (N, 6), found (2, 5)`);
});

test('dataset: a NaN or out-of-range angle or score is refused naming the file, rep and value; scores on a 0-1 or 0-10000 scale are named', () => {
  const dir = tempDir();
  const ex = join(dir, 'generated', 'squat');
  const good = generateSynthetic('squat', 20, 3, 'seed');
  const write = (sequences: Float32Array, scores: Float32Array) => {
    writeSynthetic(ex, good);
    writeNpy(join(ex, 'sequences.npy'), sequences, [20, 90, 9]);
    writeNpy(join(ex, 'scores.npy'), scores, [20, 6]);
  };
  const refused = (sequences: Float32Array, scores: Float32Array, message: RegExp) => {
    write(sequences, scores);
    assert.throws(() => loadDataset('squat', { dataDir: dir }), (e: Error) => message.test(e.message) && !e.message.includes('\n'), message.source);
  };
  const seqWith = (i: number, v: number) => { const s = good.sequences.slice(); s[i] = v; return s; };
  const scoresWith = (i: number, v: number) => { const s = good.scores.slice(); s[i] = v; return s; };
  const seqFile = join(ex, 'sequences.npy').replace(/[.\\]/g, '\\$&');
  const scoreFile = join(ex, 'scores.npy').replace(/[.\\]/g, '\\$&');
  refused(seqWith(3 * 810 + 2 * 9 + 4, NaN), good.scores, new RegExp(`^${seqFile}: rep 3, frame 2, leftElbow = NaN is not a finite number$`));
  refused(seqWith(810 + 8, 250), good.scores, new RegExp(`^${seqFile}: rep 1, frame 0, spineAngle = 250 is outside 0-180 degrees$`));
  refused(good.sequences, scoresWith(7 * 6 + 5, NaN), new RegExp(`^${scoreFile}: rep 7, overall = NaN is not a finite number`));
  refused(good.sequences, scoresWith(2 * 6 + 1, -4), new RegExp(`^${scoreFile}: rep 2, stability = -4 is below 0`));
  refused(good.sequences, good.scores.map((v) => v / 100), new RegExp(`^${scoreFile}: every score is between 0 and 1 .*0-1 scale.*multiply by 100`));
  refused(good.sequences, good.scores.map((v) => v * 100), new RegExp(`^${scoreFile}: rep \\d+, \\w+ = \\d+(\\.\\d+)? is above 100 .*0-10000 scale`));
  write(good.sequences, good.scores);
  const loaded = loadDataset('squat', { dataDir: dir });
  assert.equal(loaded.train.n + loaded.val.n + loaded.test.n, 20, 'the unchanged data loads');
});

test('stratifiedSplit: small sets still cover all indices exactly once', () => {
  for (const n of [0, 1, 3, 7, 10, 33]) {
    const scores = Float32Array.from({ length: n * 6 }, (_, i) => (i * 37) % 101);
    const s = stratifiedSplit(scores, n, new Random(1));
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
  }
});
