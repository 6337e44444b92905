import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { exerciseSeed, generateSynthetic, tierCounts, TIERS } from '../src/data/synthetic.js';
import { scoreRep } from '../src/data/scores.js';
import { EXERCISES, PROFILES } from '../src/data/exercises.js';
import { readNpy } from '../src/data/npy.js';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';

test('synthetic: shapes, bounds, exact tier shares, deterministic per seed', () => {
  const a = generateSynthetic('pushup', 400, 42, 'seed');
  assert.equal(a.n, 400);
  assert.equal(a.sequences.length, 400 * 90 * 9);
  assert.equal(a.scores.length, 400 * 6);
  assert.equal(a.tiers!.length, 400);
  for (const v of a.sequences) assert.ok(v >= 0 && v <= 180);
  for (const v of a.scores) assert.ok(v >= 0 && v <= 100);
  const counts = [0, 0, 0, 0];
  for (const t of a.tiers!) counts[t]++;
  assert.deepEqual(counts, [100, 140, 100, 60]);
  assert.deepEqual(tierCounts(7), [2, 2, 2, 1]);
  assert.equal(tierCounts(5001).reduce((x, y) => x + y), 5001);

  const b = generateSynthetic('pushup', 400, 42, 'seed');
  assert.deepEqual(a.sequences, b.sequences);
  assert.deepEqual(a.scores, b.scores);
  assert.notDeepEqual(generateSynthetic('pushup', 400, 43, 'seed').sequences, a.sequences);
  assert.notEqual(exerciseSeed(42, 'squat'), exerciseSeed(42, 'lunge'));
});

test('synthetic: ground truth follows the formulas; depth ratio inside its tier range', () => {
  for (const ex of EXERCISES) {
    const d = generateSynthetic(ex, 80, 5, 'seed');
    for (let i = 0; i < d.n; i++) {
      const seq = d.sequences.subarray(i * 810, (i + 1) * 810);
      const s = d.scores.subarray(i * 6, (i + 1) * 6);
      const again = scoreRep(seq, s[0], s[4]);
      for (let k = 0; k < 6; k++) assert.ok(Math.abs(again[k] - s[k]) < 1e-3, `${ex} rep ${i} dim ${k}`);
      const [lo, hi] = [[90, 100], [70, 90], [50, 70], [20, 50]][d.tiers![i]];
      assert.ok(s[0] >= lo - 1e-3 && s[0] <= hi + 1e-3, `${ex} depth ${s[0]} in tier ${TIERS[d.tiers![i]]}`);
      // Alignment is a whole number of the 90 frames.
      assert.ok(Math.abs(s[4] * 0.9 - Math.round(s[4] * 0.9)) < 1e-3);
    }
  }
});

test('synthetic: the movement reaches the achieved peak (squat knee) and isometric plank holds it', () => {
  const d = generateSynthetic('squat', 200, 8, 'seed');
  for (let i = 0; i < d.n; i++) {
    if (d.tiers![i] !== 0) continue; // excellent: little jitter and asymmetry
    const ratio = d.scores[i * 6] / 100;
    let min = 180;
    for (let t = 0; t < 90; t++) min = Math.min(min, d.sequences[i * 810 + t * 9]);
    const achieved = 170 + ratio * (85 - 170);
    assert.ok(Math.abs(min - achieved) < 8, `knee min ${min} vs achieved ${achieved}`);
    // Rests at neutral for the last frames.
    assert.ok(Math.abs(d.sequences[i * 810 + 89 * 9] - 170) < 8);
  }
  const p = generateSynthetic('plank', 50, 8, 'seed');
  const elbow = PROFILES.plank.neutral[4];
  for (let i = 0; i < p.n; i++) assert.ok(Math.abs(p.sequences[i * 810 + 45 * 9 + 4] - elbow) < 60);
});

test('synthetic: excellent reps score higher overall than poor ones, tier by tier', () => {
  for (const ex of EXERCISES) {
    const d = generateSynthetic(ex, 1000, 42, 'seed');
    const mean = [0, 0, 0, 0], count = [0, 0, 0, 0];
    for (let i = 0; i < d.n; i++) {
      mean[d.tiers![i]] += d.scores[i * 6 + 5];
      count[d.tiers![i]]++;
    }
    const m = mean.map((s, t) => s / count[t]);
    assert.ok(m[0] > m[1] && m[1] > m[2] && m[2] > m[3], `${ex} tier means ${m.map((x) => x.toFixed(1))}`);
    assert.ok(m[0] - m[3] > 30, `${ex} excellent ${m[0]} vs poor ${m[3]}`);
  }
});


/** `formscore generate --profile seed --n-samples 200 --seed 42`, recorded from the generator before profiles existed. */
const SEED_PROFILE_SHA256: Record<string, string> = {
  bicep_curl: '2f61e4adaf687e78d8cd41ef4e483f5102b7d9f511fc042a05b03c9aa8c2e185',
  lunge: 'd521eb33df235ffeb21153b2440d8f2a2e05db2383c7fcc57957865e342c7b0d',
  plank: '83a0ee81393bebbeabc6b0a44c8804d6c5ac9c44d7f108502fdf80d7e3e4784b',
  pushup: 'f6147a048485f77fea11dcb2e0125b95d1ab597824ee95dfa507d557ec2d2952',
  squat: '424c957afc67566030ab4a26dfdf582c37afde6fb275db606dad78009267e575',
};

const CLI = join(REPO_ROOT, 'bin', 'formscore.js');
const run = (args: string[], cwd?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });

test('CLI generate --profile seed: the original project\'s bytes, same seed → identical bytes, --exercise alone matches all', () => {
  const a = tempDir(), b = tempDir(), c = tempDir();
  const r1 = run(['generate', '--profile', 'seed', '--n-samples', '200', '--out', a]);
  assert.equal(r1.status, 0, r1.stderr);
  assert.match(r1.stdout, /squat .*depth \d+\.\d±\d+\.\d .*overall/);
  assert.match(r1.stdout, /Done: 1000 reps in \d+\.\d+ s/);
  assert.deepEqual(readdirSync(a).sort(), [...EXERCISES].sort());
  for (const ex of EXERCISES) {
    assert.deepEqual(readdirSync(join(a, ex)).sort(), ['generation.json', 'scores.npy', 'sequences.npy', 'tiers.npy']);
    // sha256 of sequences.npy + scores.npy + tiers.npy as written before the realistic profile existed.
    const bytes = Buffer.concat(['sequences.npy', 'scores.npy', 'tiers.npy'].map((f) => readFileSync(join(a, ex, f))));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), SEED_PROFILE_SHA256[ex], `${ex} seed profile bytes changed`);
    const seq = readNpy(join(a, ex, 'sequences.npy'));
    const sc = readNpy(join(a, ex, 'scores.npy'));
    const ti = readNpy(join(a, ex, 'tiers.npy'));
    assert.deepEqual([seq.shape, sc.shape, ti.shape], [[200, 90, 9], [200, 6], [200]]);
    assert.ok(seq.data instanceof Float32Array && sc.data instanceof Float32Array && ti.data instanceof Uint8Array);
  }
  const r2 = run(['generate', '--profile', 'seed', '--n-samples', '200', '--out', b]);
  assert.equal(r2.status, 0, r2.stderr);
  const r3 = run(['generate', '--profile', 'seed', '--exercise', 'lunge', '--n-samples', '200', '--out', c]);
  assert.equal(r3.status, 0, r3.stderr);
  assert.deepEqual(readdirSync(c), ['lunge']);
  for (const f of ['sequences.npy', 'scores.npy', 'tiers.npy']) {
    for (const ex of EXERCISES) assert.ok(readFileSync(join(a, ex, f)).equals(readFileSync(join(b, ex, f))), `${ex}/${f}`);
    assert.ok(readFileSync(join(a, 'lunge', f)).equals(readFileSync(join(c, 'lunge', f))), `lunge/${f} alone`);
  }
});

test('CLI generate: default output under ./data/generated; bad arguments exit non-zero with one line', () => {
  const cwd = tempDir();
  const ok = run(['generate', '--exercise', 'plank', '--n-samples', '10'], cwd);
  assert.equal(ok.status, 0, ok.stderr);
  const record = JSON.parse(readFileSync(join(cwd, 'data', 'generated', 'plank', 'generation.json'), 'utf8'));
  assert.deepEqual(record, { profile: 'realistic', groundTruth: 'rule-scorer', exercise: 'plank', n: 10, seed: 42 });
  assert.equal(existsSync(join(cwd, 'data', 'generated', 'plank', 'tiers.npy')), false);
  for (const [args, pattern] of [
    [['--n-samples', '0'], /--n-samples must be a positive integer, got "0"/],
    [['--n-samples', '2.5'], /--n-samples must be a positive integer/],
    [['--n-samples', 'many'], /--n-samples must be a positive integer/],
    [['--seed', '-3'], /--seed must be a non-negative integer/],
    [['--exercise', 'situp'], /unknown exercise "situp"/],
    [['--profile', 'tiers'], /unknown profile "tiers" \(expected realistic or seed\)/],
  ] as [string[], RegExp][]) {
    const r = run(['generate', ...args, '--out', join(cwd, 'bad')], cwd);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(join(cwd, 'bad')), false);
  }
});
