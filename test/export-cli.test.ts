// `formscore export` end to end in a scratch folder: skips and errors, nothing
// partial written, the files and export_summary.json for the report page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';
import { initWeights } from '../src/nn/init.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { readTflite } from '../src/export/tflite/reader.js';
import { TOLERANCE } from '../src/export/verify.js';

const CLI = join(REPO_ROOT, 'bin', 'formscore.js');

function formscore(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withModel(dir: string, exercise: string, phase: number, kind: 'final' | 'best', seed = 1): void {
  saveCheckpoint(join(dir, 'models', 'saved', `${exercise}_phase${phase}_${kind}`), initWeights(seed));
}

test('missing model for --exercise: one-line error, exit 1, nothing written', () => {
  const dir = tempDir();
  const r = formscore(dir, 'export', '--exercise', 'squat', '--phase', '2');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^formscore: squat: no trained model \(looked for models\/saved\/squat_phase2_final\/ or .*_best\/\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(join(dir, 'export')));
});

test('--all without any model is an error; argument mistakes are named', () => {
  const dir = tempDir();
  let r = formscore(dir, 'export', '--all');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nothing to export/);
  r = formscore(dir, 'export');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /give --all or --exercise/);
  r = formscore(dir, 'export', '--exercise', 'situp');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /situp/);
  r = formscore(dir, 'export', '--all', '--samples', '10');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--samples/);
  assert.ok(!existsSync(join(dir, 'export')));
});

test('unwritable output folder: clear error, exit 1, nothing written', () => {
  const dir = tempDir();
  withModel(dir, 'squat', 1, 'final');
  writeFileSync(join(dir, 'blocker'), 'a file where a folder should be');
  const r = formscore(dir, 'export', '--exercise', 'squat', '--export-dir', 'blocker');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /output folder blocker\/tflite is not writable \(.*blocker is a file\)/);
  assert.deepEqual(readdirSync(dir).sort(), ['blocker', 'models']);
});

test('a corrupt model fails the export and leaves the previous files untouched', () => {
  const dir = tempDir();
  withModel(dir, 'squat', 1, 'final');
  withModel(dir, 'pushup', 1, 'final');
  writeFileSync(join(dir, 'models', 'saved', 'pushup_phase1_final', 'weights.bin'), 'truncated');
  const out = join(dir, 'export', 'tflite');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'form_scorer_squat_v1.tflite'), 'previous export');
  const r = formscore(dir, 'export', '--all', '--no-verify');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pushup_phase1_final/);
  assert.deepEqual(readdirSync(out), ['form_scorer_squat_v1.tflite']);
  assert.equal(readFileSync(join(out, 'form_scorer_squat_v1.tflite'), 'utf8'), 'previous export');
});

test('--all --unroll: exports the exercises that have models, verifies in both runtimes, writes the summary', () => {
  const dir = tempDir();
  withModel(dir, 'squat', 1, 'best', 2); // no _final: falls back to _best
  withModel(dir, 'pushup', 1, 'final', 3);
  withModel(dir, 'pushup', 2, 'final', 4); // the latest phase wins
  const gen = formscore(dir, 'generate', '--exercise', 'squat', '--n-samples', '700');
  assert.equal(gen.code, 0, gen.stderr);
  const r = formscore(dir, 'export', '--all', '--unroll');
  assert.equal(r.code, 0, r.stderr);
  for (const skipped of ['plank', 'bicep_curl', 'lunge']) assert.match(r.stdout, new RegExp(`skipping ${skipped}: no trained model`));
  assert.match(r.stdout, /on 100 reps \(test split\)/);
  assert.match(r.stdout, /on 100 reps \(random\)/);
  assert.match(r.stdout, /litert .*input angle_sequence \[1, 90, 18\] float32; output scores \[1, 6\] float32/);
  assert.match(r.stdout, /Copy these to the app's assets\/models\//);
  const out = join(dir, 'export', 'tflite');
  assert.deepEqual(readdirSync(out).sort(), ['export_summary.json', 'form_scorer_pushup_v1.tflite', 'form_scorer_squat_v1.tflite']);
  const model = readTflite(readFileSync(join(out, 'form_scorer_pushup_v1.tflite')));
  assert.match(model.description, /exercise pushup, phase 2, unroll LSTM, float16 weights/);
  const summary = JSON.parse(readFileSync(join(out, 'export_summary.json'), 'utf8'));
  assert.deepEqual(Object.keys(summary.exercises).sort(), ['pushup', 'squat']);
  const squat = summary.exercises.squat;
  assert.equal(squat.file, 'form_scorer_squat_v1.tflite');
  assert.equal(squat.form, 'unroll');
  assert.equal(squat.dtype, 'float16');
  assert.equal(squat.phase, 1);
  assert.match(squat.model, /squat_phase1_best$/);
  assert.equal(squat.bytes, readFileSync(join(out, squat.file)).length);
  assert.ok(squat.bytes <= 500_000);
  for (const rt of ['tfjs-tflite', 'litert']) {
    assert.ok(squat.verification[rt].max_abs_diff <= TOLERANCE.float16, rt);
    assert.ok(squat.verification[rt].mean_latency_ms > 0, rt);
  }
  assert.equal(summary.exercises.pushup.phase, 2);
  // One row per file for the report page's table.
  const row = summary.files.find((f: { exercise: string }) => f.exercise === 'squat');
  assert.equal(row.bytes, squat.bytes);
  assert.equal(row.max_abs_diff.litert, squat.verification.litert.max_abs_diff);
  assert.equal(row.mean_latency_ms['tfjs-tflite'], squat.verification['tfjs-tflite'].mean_latency_ms);

  // A later single-exercise export (fused, float32) updates its entry and keeps the others.
  const again = formscore(dir, 'export', '--exercise', 'squat', '--float32');
  assert.equal(again.code, 0, again.stderr);
  const summary2 = JSON.parse(readFileSync(join(out, 'export_summary.json'), 'utf8'));
  assert.equal(summary2.exercises.squat.form, 'fused');
  assert.equal(summary2.exercises.squat.dtype, 'float32');
  assert.deepEqual(Object.keys(summary2.exercises.squat.verification), ['tfjs-tflite']);
  assert.ok(summary2.exercises.squat.verification['tfjs-tflite'].max_abs_diff <= 1e-5);
  assert.equal(summary2.exercises.pushup.form, 'unroll');
});

test('a runtime disagreeing with the engine fails verification and nothing is written', async () => {
  const { exportModels } = await import('../src/export/export.js');
  const dir = tempDir();
  withModel(dir, 'plank', 1, 'final', 8);
  const out = join(dir, 'out');
  const lines: string[] = [];
  // An "engine" that is off by 0.01 on every score: the runtimes must not match it.
  const { loadCheckpoint } = await import('../src/nn/checkpoint.js');
  const { referenceForward } = await import('../src/nn/reference/network.js');
  const { weights } = loadCheckpoint(join(dir, 'models', 'saved', 'plank_phase1_final'));
  const engine = { name: 'shifted reference', predict: async (x: Float32Array, n: number) => referenceForward(weights, x, n).map((v) => v + 0.01) };
  await assert.rejects(
    exportModels({ exercises: ['plank'], requireModel: true, modelsDir: join(dir, 'models'), dataDir: join(dir, 'data'), outputDir: out, engine, log: (l) => lines.push(l) }),
    /plank: verification failed \(tfjs-tflite: max abs diff 1\.\d+e-2 exceeds 0\.005\); nothing written/,
  );
  assert.ok(!existsSync(out), 'not even the output folder');
  assert.ok(lines.some((l) => l.includes('FAILED')));
});
