// Output paths that cannot be written are named with the reason before the work starts;
// writes that fail name their path; temporary files of a killed run are removed; CSV
// cells a spreadsheet would run as formulas are escaped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';
import { recoverDir, writeDirAtomic, writeFileAtomic } from '../src/util/atomic.js';
import { checkWritableDir, writeReason } from '../src/util/writable.js';
import { csvField, csvText } from '../src/util/csv.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { initWeights } from '../src/nn/init.js';

const CLI = join(REPO_ROOT, 'bin', 'formscore.js');
const formscore = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('output folders: a file in the way is named before any work, with exit 1', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'taken'), 'a file where a folder should be');
  const r = formscore(dir, 'generate', '--exercise', 'squat', '--n-samples', '10', '--out', 'taken/generated');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^formscore: output folder taken\/generated is not writable \(.*taken is a file\)\n$/);
  assert.deepEqual(readdirSync(dir), ['taken'], 'nothing written');
  // The same check guards evaluate/compare/plot/report --out, train --models-dir, annotate --data-dir and pipeline.
  assert.throws(() => checkWritableDir(join(dir, 'taken'), 'data folder'), (e: Error) =>
    e.message === `data folder ${join(dir, 'taken')} is not writable (${join(dir, 'taken')} is a file)`);
});

test('output folders: the reason is said in words (read-only, full, permission)', () => {
  assert.equal(writeReason(Object.assign(new Error('x'), { code: 'EROFS' })), 'the file system is read-only (EROFS)');
  assert.equal(writeReason(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'the disk is full (ENOSPC)');
  assert.equal(writeReason(Object.assign(new Error('x'), { code: 'EACCES' })), 'permission denied (EACCES)');
  checkWritableDir(join(tempDir(), 'new', 'deeper')); // creatable: fine, and nothing is created
});

test('atomic writes name the path that could not be written', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(() => writeFileAtomic(join(dir, 'file', 'a.npy'), 'data'), (e: Error) =>
    e.message === `cannot write ${join(dir, 'file', 'a.npy')}: ${join(dir, 'file')} is a file, not a folder`);
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'folder', 'x'), 'x');
  assert.throws(() => writeFileAtomic(join(dir, 'folder'), 'data'), (e: Error) =>
    e.message.startsWith(`cannot write ${join(dir, 'folder')}: `) && !e.message.includes('\n'));
  assert.deepEqual(readdirSync(dir).sort(), ['file', 'folder'], 'no temporary file left');
});

test('temporary files and folders of a killed run are removed by the next write of the same path', () => {
  const dir = tempDir();
  // A pid that surely no longer runs: a child that has exited.
  const dead = spawnSync('true').pid!;
  const ckpt = join(dir, 'squat_phase1_final');
  mkdirSync(join(dir, `.squat_phase1_final.${dead}.0.tmp`));
  writeFileSync(join(dir, `.squat_phase1_final.${dead}.0.tmp`, 'weights.bin'), 'half');
  writeFileSync(join(dir, `.history.csv.${dead}.3.tmp`), 'half');
  writeFileSync(join(dir, `.history.csv.${process.pid}.999.tmp`), 'this run is alive: kept');
  saveCheckpoint(ckpt, initWeights(1));
  writeFileAtomic(join(dir, 'history.csv'), 'epoch\n');
  assert.deepEqual(readdirSync(dir).sort(), [`.history.csv.${process.pid}.999.tmp`, 'history.csv', 'squat_phase1_final']);
  writeDirAtomic(join(dir, 'other'), { a: 'x' });
  assert.ok(existsSync(join(dir, 'other', 'a')));
});

test('a folder that a killed run moved aside to replace it comes back when the folder is missing', () => {
  const dir = tempDir();
  const dead = spawnSync('true').pid!;
  const last = join(dir, 'squat_phase1_last');
  // killed between moving the old checkpoint aside and renaming the new one in
  mkdirSync(join(dir, `.squat_phase1_last.${dead}.4.old`));
  writeFileSync(join(dir, `.squat_phase1_last.${dead}.4.old`, 'model.json'), 'epoch 7');
  mkdirSync(join(dir, `.squat_phase1_last.${dead}.5.tmp`));
  assert.equal(recoverDir(last), true);
  assert.equal(readFileSync(join(last, 'model.json'), 'utf8'), 'epoch 7');
  assert.deepEqual(readdirSync(dir), ['squat_phase1_last'], 'the half-written replacement is removed');
  // where the folder exists, a stale moved-aside copy is only removed
  mkdirSync(join(dir, `.squat_phase1_last.${dead}.6.old`));
  writeDirAtomic(last, { 'model.json': 'epoch 8' });
  assert.deepEqual(readdirSync(dir), ['squat_phase1_last']);
  assert.equal(readFileSync(join(last, 'model.json'), 'utf8'), 'epoch 8');
  assert.equal(recoverDir(join(dir, 'never_written')), false);
});

test('CSV cells starting with = + - @ are escaped as text; numbers are not; the escape reads back', () => {
  for (const s of ['=1+2', '+cmd', '-x', '@SUM(A1)', "'=already", '\t=x']) {
    const field = csvField(s);
    const cell = (parse(field + '\n') as string[][])[0][0];
    assert.ok(cell.startsWith("'"), `${s} → ${field}`);
    assert.equal(csvText(cell), s);
  }
  for (const s of ['-0.5', '+3', '-1e-7', '12', 'squat', "it's", '']) {
    assert.equal(csvText((parse(csvField(s) + ',\n') as string[][])[0][0]), s);
    assert.ok(!csvField(s).startsWith("'"), s);
  }
});
