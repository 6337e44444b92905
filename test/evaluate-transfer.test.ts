import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEIGHT_SPECS, sizeOf, type NamedWeights } from '../src/nn/architecture.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { runTransfer, sessionFiles } from '../src/evaluate/transfer.js';
import { BENCHMARK_SPEC, POSE_LOG_COLUMNS, sessionFileName, writeBenchmarkSessions } from '../src/data/sessions.js';
import { readPoseLog } from '../src/data/poselog.js';
import { PROFILES } from '../src/data/exercises.js';
import { fixture, tempDir } from './helpers/fixtures.js';

/** All weights zero: every LSTM state stays 0 and every output is sigmoid(0), i.e. 50 on 0-100. */
function constantModel(modelsDir: string): void {
  const weights: NamedWeights = new Map(WEIGHT_SPECS.map((s) => [s.name, new Float32Array(sizeOf(s.shape))]));
  saveCheckpoint(join(modelsDir, 'saved', 'squat_phase1_final'), weights);
}

/** Two identical frames per rep: after resampling, a rep that holds one pose. */
function holdCsv(reps: number[][]): string {
  const lines = [POSE_LOG_COLUMNS.join(',')];
  reps.forEach((angles, r) => {
    for (let f = 0; f < 2; f++) lines.push([f * 33, r + 1, ...angles, 0.9].join(','));
  });
  return lines.join('\n') + '\n';
}

test('transfer: network vs rule metrics on a small hand-checked case; a bad file is skipped by name', async () => {
  const root = tempDir();
  const modelsDir = join(root, 'models');
  constantModel(modelsDir);
  const neutral = [...PROFILES.squat.neutral];
  const leftKneeBent = [...neutral]; leftKneeBent[0] = 160; // knees 10° apart
  const leaning = [...neutral]; leaning[8] = 40; // spine past 35° in every frame
  // Rule scores [depth, stability, symmetry, tempo, alignment, overall]:
  //   neutral       0 100 100   100 100 80
  //   knee bent     0 100  87.5 100 100 77.5
  //   leaning       0 100 100   100   0 60
  const sessions = join(root, 'sessions', 'squat');
  mkdirSync(sessions, { recursive: true });
  writeFileSync(join(sessions, 'a.csv'), holdCsv([neutral, leftKneeBent]));
  writeFileSync(join(sessions, 'b.csv'), holdCsv([leaning]));
  writeFileSync(join(sessions, 'broken.csv'), 'leftKnee,rightKnee\n1,2\n');
  const lines: string[] = [];
  const outDir = join(root, 'evaluation');
  const result = await runTransfer({
    phase: 1, exercises: ['squat'], modelsDir, sessions: join(root, 'sessions'), outDir, engine: 'reference', log: (l) => lines.push(l),
  });
  const row = (d: string) => result.rows.find((r) => r.dimension === d)!;
  assert.equal(row('overall').n, 3);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);
  close(row('depth').mae, 50, 'depth MAE');
  close(row('symmetry').mae, (50 + 37.5 + 50) / 3, 'symmetry MAE');
  close(row('alignment').mae, 50, 'alignment MAE');
  close(row('overall').mae, (30 + 27.5 + 10) / 3, 'overall MAE');
  close(row('overall').rmse, Math.sqrt((30 ** 2 + 27.5 ** 2 + 10 ** 2) / 3), 'overall RMSE');
  // A constant network ranks nothing (r = 0) and agrees with nothing: MSR = MSE = 59.375, so ICC(2,1) = 0.
  close(row('overall').pearson, 0, 'overall r');
  close(row('overall').icc, 0, 'overall ICC');
  assert.ok(lines.some((l) => l.includes('broken.csv') && l.includes('file skipped')), lines.join('\n'));
  const csv = readFileSync(join(outDir, 'results_transfer.csv'), 'utf8').trim().split('\n');
  // Issue 13: the intervals follow the point estimates.
  assert.equal(csv[0], 'exercise,dimension,n,mae,rmse,pearson,icc,mae_lo,mae_hi,rmse_lo,rmse_hi,pearson_lo,pearson_hi,icc_lo,icc_hi,icc_f_lo,icc_f_hi');
  // Depth errors are 50 on every rep, so every resample's MAE is 50.
  close(row('depth').mae_lo, 50, 'depth MAE lower bound');
  close(row('depth').mae_hi, 50, 'depth MAE upper bound');
  assert.equal(csv.length, 1 + 6);
});

test('transfer: session files come from <dir>/<exercise>/, or <dir> itself for one exercise, or one file', () => {
  const root = tempDir();
  mkdirSync(join(root, 'squat'));
  writeFileSync(join(root, 'squat', 'b.csv'), '');
  writeFileSync(join(root, 'squat', 'a.CSV'), '');
  writeFileSync(join(root, 'loose.csv'), '');
  assert.deepEqual(sessionFiles(root, 'squat', false), [join(root, 'squat', 'a.CSV'), join(root, 'squat', 'b.csv')]);
  assert.deepEqual(sessionFiles(root, 'lunge', true), [join(root, 'loose.csv')]);
  assert.deepEqual(sessionFiles(root, 'lunge', false), []);
  assert.deepEqual(sessionFiles(join(root, 'loose.csv'), 'lunge', false), [join(root, 'loose.csv')]);
  assert.throws(() => sessionFiles(join(root, 'nope'), 'squat', true), /sessions .*nope does not exist/);
});

test('benchmark sessions: ordinary pose-log CSVs the importer reads back, rep by rep; same seed, same bytes', () => {
  const a = tempDir(), b = tempDir();
  const dir = writeBenchmarkSessions(a, 'lunge');
  writeBenchmarkSessions(b, 'lunge');
  for (let s = 1; s <= BENCHMARK_SPEC.sessions; s++) {
    const name = sessionFileName(s - 1);
    const text = readFileSync(join(dir, name), 'utf8');
    assert.equal(text, readFileSync(join(b, 'lunge', name), 'utf8'));
    assert.equal(text.split('\n')[0], 'timestamp_ms,rep_id,leftKnee,rightKnee,leftHip,rightHip,leftElbow,rightElbow,leftShoulder,rightShoulder,spineAngle,confidence');
    const log = readPoseLog(join(dir, name));
    assert.deepEqual(log.warnings, []);
    assert.deepEqual(log.reps.map((r) => r.repId), Array.from({ length: BENCHMARK_SPEC.repsPerSession }, (_, i) => String(i + 1)));
  }
  // The shared fixture session is read the same way (a real export from the app).
  assert.equal(readPoseLog(fixture('poselog', 'squat_session.csv')).reps.length, 12);
});
