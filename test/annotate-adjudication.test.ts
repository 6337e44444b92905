// Adjudication (reps where annotators disagree), import of the original project's
// annotation folder, and the grouping of a study's files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disagreements, interRater } from '../src/annotate/adjudication.js';
import { importOriginal, readOriginalFolder } from '../src/annotate/original.js';
import { AnnotationStore } from '../src/annotate/store.js';
import { folderFiles, groupOf } from '../src/annotate/study.js';
import { readNpy } from '../src/data/npy.js';
import { readPoseLog } from '../src/data/poselog.js';
import { REPO_ROOT, fixture, tempDir } from './helpers/fixtures.js';
import { writeOriginalFolder } from './helpers/original.js';

const S = (depth: number, rest = 50) => ({ depth, stability: rest, symmetry: rest, tempo: rest, alignment: rest, overall: rest });

test('adjudication lists the reps whose annotators differ by more than the threshold, per dimension', () => {
  const dir = tempDir();
  const src = readPoseLog(fixture('poselog', 'squat_session.csv'));
  const store = new AnnotationStore(dir, 'squat');
  [[60, 62], [70, 85], [80, 79]].forEach(([a, b], i) => {
    store.save('s.csv', src, String(i + 1), 'ana', S(a));
    store.save('s.csv', src, String(i + 1), 'ben', S(b, i === 2 ? 70 : 50));
  });
  store.save('s.csv', src, '4', 'ana', null, { status: 'skipped' });
  const rows = store.rows();
  const d = disagreements(rows, 10);
  assert.deepEqual(d.map((x) => [x.repId, x.over]), [['2', ['depth']], ['3', ['stability', 'symmetry', 'tempo', 'alignment', 'overall']]]);
  assert.equal(d[0].spread.depth, 15);
  assert.deepEqual(d[0].scores.ben, [85, 50, 50, 50, 50, 50]);
  assert.deepEqual(disagreements(rows, 20), []);
  assert.equal(interRater(rows)!.reps, 3, 'the skipped rep is not a shared rep');
  rmSync(dir, { recursive: true });
});

test('an original annotation folder is imported as scored reps of the named annotator; bad files are named', () => {
  const dir = tempDir();
  const folder = join(dir, 'squat');
  const scores = writeOriginalFolder(folder, 5);
  const store = new AnnotationStore(join(dir, 'data'), 'squat');
  const r = importOriginal(store, readOriginalFolder(folder), 'ana');
  assert.deepEqual(r, { sourceFile: 'original-squat', reps: 5 });
  const rows = store.rows();
  assert.deepEqual(rows.map((x) => [x.repId, x.mode, x.status, x.annotator]), [0, 1, 2, 3, 4].map((i) => [String(i), 'imported', 'scored', 'ana']));
  assert.deepEqual(Array.from(readNpy(join(store.dir, 'scores.npy')).data), scores.flat());
  assert.deepEqual(Array.from(readNpy(join(store.dir, 'sequences.npy')).data), Array.from(readNpy(join(folder, 'sequences.npy')).data));

  const csv = readFileSync(join(folder, 'annotations.csv'), 'utf8');
  const bad = (text: string) => () => importOriginal(store, { ...readOriginalFolder(folder), annotationsCsv: text }, 'ana');
  assert.throws(bad(csv.replace(',squat\n', ',pushup\n')), (e: Error) => e.message === 'squat/annotations.csv: data row 1, column exercise: "pushup" is not squat, the exercise being imported');
  assert.throws(bad(csv.replace('rep_idx', 'rep')), (e: Error) => e.message === 'squat/annotations.csv: missing column rep_idx');
  const lines = csv.trim().split('\n');
  assert.throws(bad(lines.slice(0, 5).join('\n')), /squat\/sequences\.npy: expected shape \(4, 90, 9\), found \(5, 90, 9\)/);
  writeFileSync(join(folder, 'annotations.csv'), csv.replace(/^(\d+),/m, '99,'));
  assert.throws(() => importOriginal(store, readOriginalFolder(folder), 'ana'), /squat\/scores\.npy: rep 0, depth = \d+ but squat\/annotations\.csv data row 1 says 99/);
  assert.throws(() => readOriginalFolder(join(dir, 'nothing')), /no annotations\.csv/);
  rmSync(dir, { recursive: true });
});

test('study files are grouped by subfolder, by participant_session in the name, or by manifest.csv', () => {
  assert.deepEqual(groupOf('p01_s2_squat.csv'), { participant: 'p01', session: 's2_squat', exercise: null });
  assert.deepEqual(groupOf('p03/morning.csv'), { participant: 'p03', session: 'morning', exercise: null });
  assert.deepEqual(groupOf('alone.csv'), { participant: 'alone', session: '1', exercise: null });
  const dir = tempDir();
  mkdirSync(join(dir, 'p02'));
  writeFileSync(join(dir, 'a.csv'), 'x');
  writeFileSync(join(dir, 'p02', 'b.csv'), 'y');
  assert.deepEqual(folderFiles(dir).map((f) => [f.name, f.participant, f.session]), [['a.csv', 'a', '1'], ['p02_b.csv', 'p02', 'b']]);
  writeFileSync(join(dir, 'manifest.csv'), 'file,participant,session,exercise\na.csv,P7,week 2,lunge\n');
  assert.deepEqual(folderFiles(dir).map((f) => [f.name, f.participant, f.session, f.exercise]), [['a.csv', 'P7', 'week 2', 'lunge'], ['p02_b.csv', 'p02', 'b', null]]);
  writeFileSync(join(dir, 'manifest.csv'), 'file,participant,session,exercise\na.csv,P7,week 2,yoga\n');
  assert.throws(() => folderFiles(dir), /manifest\.csv: data row 1, column exercise: "yoga" is not one of/);
  rmSync(dir, { recursive: true });
});

test('annotate --import-original stores the folder and exits; without --annotator it says why', () => {
  const dir = tempDir();
  writeOriginalFolder(join(dir, 'squat'), 3);
  const cli = join(REPO_ROOT, 'bin', 'formscore.js');
  const run = (...args: string[]) => spawnSync('node', [cli, 'annotate', '--exercise', 'squat', '--import-original', 'squat', ...args], { cwd: dir, encoding: 'utf8' });
  const refused = run();
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--import-original needs --annotator/);
  const ok = run('--annotator', 'Dr Lee');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'imported 3 annotated squat reps from squat as Dr Lee: data/real/squat/ (source original-squat)');
  assert.equal(readNpy(join(dir, 'data', 'real', 'squat', 'scores.npy')).shape[0], 3);
  rmSync(dir, { recursive: true });
});
