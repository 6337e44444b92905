// `formscore train` as a user runs it: help, missing data, skipping with --exercise all,
// Ctrl-C (exit 130, last good checkpoint kept) and --resume.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthetic, writeSynthetic } from '../src/data/synthetic.js';
import type { Exercise } from '../src/data/exercises.js';
import { readHistoryCsv } from '../src/train/callbacks.js';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';

const BIN = join(REPO_ROOT, 'bin', 'formscore.js');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function writeReps(dir: string, exercise: Exercise, n: number, seed: number): void {
  writeSynthetic(dir, generateSynthetic(exercise, n, seed));
}

test('train --help explains the phases, the files and resuming', () => {
  const r = cli(tempDir(), 'train', '--help');
  assert.equal(r.code, 0);
  for (const s of ['--exercise', '--phase', '--resume', 'conv1+conv2', 'saved/<ex>_phase<p>_best/', 'tensorboard --logdir', 'exit 130']) {
    assert.ok(r.out.includes(s), s);
  }
});

test('train: phase 2 without real data names the folder and the annotation command; exit 1', () => {
  const cwd = tempDir();
  writeReps(join(cwd, 'data', 'generated', 'squat'), 'squat', 20, 1);
  const r = cli(cwd, 'train', '--exercise', 'squat', '--phase', '2');
  assert.equal(r.code, 1);
  assert.match(r.err, /needs real annotated reps in data\/real\/squat\/ .*formscore annotate --exercise squat --input session\.csv/);
  const bad = cli(cwd, 'train', '--exercise', 'squat', '--batch', 'x');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--batch must be a positive whole number, got "x"/);
});

test('train: generated data of another profile is refused before any work, naming both profiles', () => {
  const cwd = tempDir();
  writeSynthetic(join(cwd, 'data', 'generated', 'squat'), generateSynthetic('squat', 20, 1, 'seed'));
  const r = cli(cwd, 'train', '--exercise', 'squat', '--phase', '1');
  assert.equal(r.code, 1);
  assert.match(r.err, /data\/generated\/squat\/ holds seed-profile reps, not realistic \(or train on them with --profile seed\); run: formscore generate --exercise squat/);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.equal(existsSync(join(cwd, 'models')), false, 'nothing written');
  // With --profile seed the profile check passes (phase 2 then stops at the missing real data).
  const seed = cli(cwd, 'train', '--exercise', 'squat', '--phase', '2', '--profile', 'seed');
  assert.equal(seed.code, 1);
  assert.match(seed.err, /needs real annotated reps/);
});

test('train: --exercise all skips exercises without real data and trains the others', () => {
  const cwd = tempDir();
  writeReps(join(cwd, 'data', 'generated', 'squat'), 'squat', 40, 1);
  writeReps(join(cwd, 'data', 'real', 'squat'), 'squat', 12, 2);
  const p1 = cli(cwd, 'train', '--exercise', 'squat', '--phase', '1', '--epochs', '1', '--batch', '32', '--threads', '1');
  assert.equal(p1.code, 0, p1.err);
  assert.match(p1.out, /Epoch 1\/1 - \d+ steps/);
  assert.match(p1.out, /squat phase 1: Best val MAE: \d+\.\d\d \(target < 15/);
  const all = cli(cwd, 'train', '--exercise', 'all', '--phase', '2', '--epochs', '1', '--threads', '1');
  assert.equal(all.code, 0, all.err);
  assert.match(all.out, /squat phase 2: Best val MAE: .*\(target < 10/);
  for (const ex of ['pushup', 'plank', 'bicep_curl', 'lunge']) {
    assert.match(all.err, new RegExp(`skipping ${ex}: .*data/real/${ex}/`));
    assert.match(all.out, new RegExp(`\n  ${ex} phase 2: skipped \\(missing real-data\\)`));
  }
  assert.match(all.out, /Phase 2 overview:\n  squat phase 2: Best val MAE/);
  assert.ok(existsSync(join(cwd, 'models', 'saved', 'squat_phase2_final', 'model.json')));
});

test('train: --exercise all --jobs 2 trains two exercises at once, each line naming its exercise; too many jobs are refused first', () => {
  const cwd = tempDir();
  const exercises: Exercise[] = ['squat', 'pushup', 'plank', 'bicep_curl', 'lunge'];
  for (const [i, ex] of exercises.entries()) writeReps(join(cwd, 'data', 'generated', ex), ex, ex === 'plank' ? 60 : 30, i + 1);
  const refused = cli(cwd, 'train', '--exercise', 'all', '--threads', '2', '--jobs', '3');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /train: --jobs 3 is more than the 2 threads \(--threads\); each job needs a thread of its own/);
  assert.ok(!existsSync(join(cwd, 'models', 'saved')), 'nothing trained before the refusal');

  const r = cli(cwd, 'train', '--exercise', 'all', '--phase', '1', '--epochs', '1', '--batch', '16', '--threads', '2', '--jobs', '2');
  assert.equal(r.code, 0, r.err);
  for (const ex of exercises) {
    assert.match(r.out, new RegExp(`\n${ex}: Epoch 1/1 - \\d+ steps`));
    assert.ok(existsSync(join(cwd, 'models', 'saved', `${ex}_phase1_final`, 'model.json')), ex);
  }
  assert.ok(!/^(\w+): \1 /m.test(r.out), 'no line names its exercise twice');
  assert.match(r.out, /Phase 1 overview:\n  squat phase 1: .*\n  pushup phase 1: .*\n  plank phase 1: .*\n  bicep_curl phase 1: .*\n  lunge phase 1: /);

  // one at a time: the plank, which has the most reps, first, then the others in their order
  const one = cli(cwd, 'train', '--exercise', 'all', '--phase', '1', '--epochs', '1', '--batch', '16', '--threads', '2', '--jobs', '1');
  assert.equal(one.code, 0, one.err);
  const starts = ['plank', 'squat', 'pushup', 'bicep_curl', 'lunge'].map((ex) => one.out.indexOf(`${ex} phase 1 (pre-train)`));
  assert.ok(starts.every((at, i) => at >= 0 && (i === 0 || at > starts[i - 1])), one.out);
  assert.ok(!/^\w+: Epoch/m.test(one.out), 'one job: no prefixes');
});

test('train: Ctrl-C stops after the current step with exit 130; --resume continues from the last good checkpoint', async () => {
  const cwd = tempDir();
  writeReps(join(cwd, 'data', 'generated', 'squat'), 'squat', 40, 1);
  const child = spawn(process.execPath, [BIN, 'train', '--exercise', 'squat', '--epochs', '500', '--batch', '16', '--threads', '1'], { cwd });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    if (/Epoch 2\/500/.test(out) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, out);
  assert.match(out, /Interrupt: stopping after the current step/);
  assert.match(out, /last good checkpoint: models\/saved\/squat_phase1_last\/ \(after epoch (\d+)\); continue with --resume/);
  const done = Number(/after epoch (\d+)\)/.exec(out)![1]);
  assert.ok(!existsSync(join(cwd, 'models', 'saved', 'squat_phase1_final')));
  const history = join(cwd, 'models', 'logs', 'squat_phase1_history.csv');
  assert.equal(readHistoryCsv(history).length, done);

  const r = cli(cwd, 'train', '--exercise', 'squat', '--epochs', String(done + 2), '--threads', '1', '--resume');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`resumed from models/saved/squat_phase1_last/ at epoch ${done + 1}`));
  assert.deepEqual(readHistoryCsv(history).map((row) => row.epoch), Array.from({ length: done + 2 }, (_, i) => i));
  assert.ok(existsSync(join(cwd, 'models', 'saved', 'squat_phase1_final', 'model.json')));
});
