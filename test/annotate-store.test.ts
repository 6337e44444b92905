import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnnotationStore, checkScores, formatAnnotations, sourceKey } from '../src/annotate/store.js';
import { interRater } from '../src/annotate/adjudication.js';
const ANNOTATION_HEADER = 'source_file,rep_id,rep_index,annotator,time,mode,status,comment,depth,stability,symmetry,tempo,alignment,overall';
import { readNpy } from '../src/data/npy.js';
import { readPoseLog } from '../src/data/poselog.js';
import { hasRealData, readRepFolder } from '../src/data/dataset.js';
import { icc21 } from '../src/evaluate/metrics.js';
import { fixture, tempDir } from './helpers/fixtures.js';

const session = () => readPoseLog(fixture('poselog', 'squat_session.csv'));
const S = (depth: number, rest = 50) => ({ depth, stability: rest, symmetry: rest, tempo: rest, alignment: rest, overall: rest });

/** A test on a squat store in a fresh temporary folder, with the fixture session; the folder is removed afterwards. */
function storeTest(name: string, body: (t: { dir: string; src: ReturnType<typeof session>; store: AnnotationStore }) => void): void {
  test(name, () => {
    const dir = tempDir();
    try {
      body({ dir, src: session(), store: new AnnotationStore(dir, 'squat') });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]).sort();
}

storeTest('store: a save writes annotations.csv, the source reps and the training arrays', ({ dir, src, store }) => {
  const key = store.resolveSource('squat_session.csv', src);
  assert.equal(key, 'squat_session.csv');
  store.save(key, src, '3', 'ana', S(80));
  assert.deepEqual(listFiles(store.dir), [
    'annotations.csv', 'derived.json', 'reps/squat_session.csv.json', 'reps/squat_session.csv.npy',
    'scores.npy', 'sequences.npy', 'sequences_index.csv', 'undo.json',
  ]);
  const lines = readFileSync(store.annotationsPath, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'source_file,rep_id,rep_index,annotator,time,mode,status,comment,depth,stability,symmetry,tempo,alignment,overall');
  assert.match(lines[1], /^squat_session\.csv,3,2,ana,\d{4}-\d\d-\d\dT[\d:.]+Z,,scored,,80,50,50,50,50,50$/);
  const seq = readNpy(join(store.dir, 'sequences.npy'));
  const scores = readNpy(join(store.dir, 'scores.npy'));
  assert.deepEqual(seq.shape, [1, 90, 9]);
  assert.deepEqual(scores.shape, [1, 6]);
  assert.deepEqual(Array.from(seq.data), Array.from(src.reps[2].sequence));
  assert.deepEqual(Array.from(scores.data), [80, 50, 50, 50, 50, 50]);
  assert.deepEqual(readNpy(join(store.dir, 'reps', 'squat_session.csv.npy')).shape, [12, 90, 9]);
  // What annotate writes is what the training loader reads.
  assert.equal(hasRealData('squat', dir), true);
  assert.equal(readRepFolder(store.dir).n, 1);
});

storeTest('store: changing a score replaces the row; a second annotator is kept and averaged', ({ src, store }) => {
  const key = store.resolveSource('squat_session.csv', src);
  store.save(key, src, '1', 'ana', S(60));
  store.save(key, src, '2', 'ana', S(70));
  store.save(key, src, '1', 'ana', S(64)); // changed: replaces, not appends
  store.save(key, src, '1', 'ben', S(80, 70));
  const rows = store.rows();
  assert.equal(rows.length, 3);
  const keys = rows.map((r) => `${r.sourceFile}/${r.repId}/${r.annotator}`);
  assert.equal(new Set(keys).size, keys.length, 'no duplicate keys');
  assert.deepEqual(rows.find((r) => r.repId === '1' && r.annotator === 'ana')!.scores, [64, 50, 50, 50, 50, 50]);
  const scores = readNpy(join(store.dir, 'scores.npy'));
  const seq = readNpy(join(store.dir, 'sequences.npy'));
  assert.deepEqual(scores.shape, [2, 6]); // one row per (source, rep), not per annotator
  assert.deepEqual(seq.shape, [2, 90, 9]);
  assert.deepEqual(Array.from(scores.data.subarray(0, 6)), [72, 60, 60, 60, 60, 60]); // mean of ana and ben
  assert.deepEqual(Array.from(scores.data.subarray(6, 12)), [70, 50, 50, 50, 50, 50]);
  assert.deepEqual(Array.from(seq.data.subarray(810, 1620)), Array.from(src.reps[1].sequence));
  const index = readFileSync(join(store.dir, 'sequences_index.csv'), 'utf8');
  assert.match(index, /^row,source_file,rep_id,rep_index,annotators\n0,squat_session\.csv,1,0,ana ben\n1,squat_session\.csv,2,1,ana\n$/);
});

storeTest('store: refused scores throw a message naming the dimension and nothing is written', ({ dir, src, store }) => {
  const bad: [unknown, RegExp][] = [
    [S(101), /depth: 101 is outside 0-100/],
    [S(-1), /depth: -1 is outside/],
    [{ ...S(50), tempo: 'abc' }, /tempo: "abc" is not a number/],
    [{ ...S(50), tempo: '50' }, /tempo: "50" is not a number/],
    [{ ...S(50), overall: Number.NaN }, /overall: null is not a number|overall: NaN|overall: .*not a number/],
    [{ depth: 50 }, /stability: missing score/],
    [[1, 2, 3], /all six dimensions/],
    [null, /all six dimensions/],
  ];
  for (const [scores, message] of bad) {
    assert.throws(() => store.save('squat_session.csv', src, '1', 'ana', scores), message);
  }
  assert.throws(() => store.save('squat_session.csv', src, '99', 'ana', S(50)), /has no rep "99"/);
  assert.throws(() => store.save('squat_session.csv', src, '1', '../ana', S(50)), /annotator/);
  assert.throws(() => store.save('../x.csv', src, '1', 'ana', S(50)), /not a plain file name/);
  assert.equal(existsSync(join(dir, 'real')), false);
  assert.deepEqual(checkScores([0, 100, 0.5, 99.9, 1, 2]), [0, 100, 0.5, 99.9, 1, 2]);
});

storeTest('store: the reps live beside the annotations, so a moved source loses nothing; same name, other reps gets its own key', ({ dir, src, store }) => {
  store.save(store.resolveSource('session.csv', src), src, '5', 'ana', S(40));
  // A fresh store (a later session) rebuilds from annotations.csv + reps/ alone.
  unlinkSync(join(store.dir, 'sequences.npy'));
  const later = new AnnotationStore(dir, 'squat');
  assert.equal(later.needsRebuild(), true);
  assert.equal(later.rebuild(), 1);
  assert.equal(later.needsRebuild(), false);
  assert.deepEqual(Array.from(readNpy(join(store.dir, 'sequences.npy')).data), Array.from(src.reps[4].sequence));
  // Re-opening the same file finds its key; another file with the same name does not overwrite it.
  assert.equal(later.resolveSource('/elsewhere/session.csv', src), 'session.csv');
  const other = readPoseLog(fixture('poselog', 'squat_with_one_frame_rep.csv'));
  const key2 = later.resolveSource('session.csv', other);
  assert.equal(key2, 'session~2.csv');
  later.save(key2, other, '3', 'ana', S(90));
  assert.equal(later.resolveSource('session.csv', other), 'session~2.csv');
  assert.throws(() => later.save('session.csv', other, '1', 'ana', S(1)), /different reps/);
  assert.deepEqual(readNpy(join(store.dir, 'scores.npy')).shape, [2, 6]);
});

storeTest('store: a save that cannot complete leaves the files as they were (atomic, no temporary files)', ({ src, store }) => {
  store.save('a.csv', src, '1', 'ana', S(10));
  store.save('a.csv', src, '2', 'ana', S(20));
  const before = new Map(listFiles(store.dir).map((f) => [f, readFileSync(join(store.dir, f))]));
  // Damage: the reps of a.csv disappear. A save for another source must refuse before writing.
  unlinkSync(join(store.dir, 'reps', 'a.csv.npy'));
  before.delete('reps/a.csv.npy');
  assert.throws(() => store.save('b.csv', src, '1', 'ana', S(30)), /a\.csv\.npy: missing/);
  const after = listFiles(store.dir);
  assert.deepEqual(after, [...before.keys()].sort());
  for (const f of after) assert.deepEqual(readFileSync(join(store.dir, f)), before.get(f), f);
  assert.equal(after.some((f) => f.endsWith('.tmp')), false);
});

storeTest('store: a save whose training files cannot be written fails and keeps annotations.csv as it was; a restart rebuilds', ({ dir, src, store }) => {
  store.save('a.csv', src, '1', 'ana', S(10));
  const before = readFileSync(store.annotationsPath, 'utf8');
  // scores.npy cannot be replaced (a folder stands in its way, as a full disk would refuse it).
  rmSync(join(store.dir, 'scores.npy'));
  mkdirSync(join(store.dir, 'scores.npy'));
  assert.throws(() => store.save('a.csv', src, '2', 'ana', S(20)));
  assert.equal(readFileSync(store.annotationsPath, 'utf8'), before, 'a failed save is not half kept');
  assert.equal(listFiles(store.dir).some((f) => f.endsWith('.tmp')), false);
  rmSync(join(store.dir, 'scores.npy'), { recursive: true });
  const restarted = new AnnotationStore(dir, 'squat');
  assert.equal(restarted.needsRebuild(), true);
  restarted.rebuild();
  assert.equal(restarted.needsRebuild(), false);
  assert.deepEqual(Array.from(readNpy(join(store.dir, 'scores.npy')).data), [10, 50, 50, 50, 50, 50]);
});

storeTest('store: training files built from other annotations than annotations.csv holds (same row count) are found stale by content', ({ src, store }) => {
  store.save('a.csv', src, '1', 'ana', S(10));
  store.save('a.csv', src, '2', 'ana', S(20));
  assert.equal(store.needsRebuild(), false);
  // A crash after annotations.csv was written and before scores.npy was: same rows, new score.
  const rows = store.rows();
  rows[1].scores![0] = 90;
  writeFileSync(store.annotationsPath, formatAnnotations(rows));
  assert.equal(store.needsRebuild(), true);
  store.rebuild();
  assert.equal(store.needsRebuild(), false);
  assert.equal(readNpy(join(store.dir, 'scores.npy')).data[6], 90);
  // A derived file damaged on its own is found too.
  writeFileSync(join(store.dir, 'sequences_index.csv'), 'row\n');
  assert.equal(store.needsRebuild(), true);
});

storeTest('store: inter-rater ICC(2,1) per dimension once two annotators share reps', ({ src, store }) => {
  const ana = [60, 70, 80, 90], ben = [62, 75, 78, 95];
  ana.forEach((v, i) => store.save('s.csv', src, String(i + 1), 'ana', S(v, 50 + i)));
  assert.equal(interRater(store.rows()), null);
  ben.forEach((v, i) => store.save('s.csv', src, String(i + 1), 'ben', S(v, 50 + i)));
  store.save('s.csv', src, '9', 'ben', S(5)); // only ben: not a shared rep
  const r = interRater(store.rows())!;
  assert.deepEqual(r.annotators, ['ana', 'ben']);
  assert.equal(r.reps, 4);
  assert.ok(Math.abs(r.icc.depth! - icc21(ana.map((a, i) => [a, ben[i]]))) < 1e-12);
  assert.ok(r.icc.depth! > 0.8 && r.icc.depth! < 1);
  assert.ok(Math.abs(r.icc.stability! - 1) < 1e-12); // identical ratings
  // A third annotator on one rep only: the best-overlapping pair is used.
  store.save('s.csv', src, '1', 'cy', S(10));
  assert.deepEqual(interRater(store.rows())!.annotators, ['ana', 'ben']);
});

test('store: source keys are plain file names, never paths', () => {
  assert.equal(sourceKey('../../etc/passwd'), 'passwd');
  assert.equal(sourceKey('/abs/path/x.csv'), 'x.csv');
  assert.equal(sourceKey('C:\\Users\\me\\y.csv'), 'y.csv');
  assert.equal(sourceKey('..'), 'upload.csv');
  assert.equal(sourceKey('.hidden.csv'), 'hidden.csv');
  assert.equal(sourceKey('my session (1).csv'), 'my_session__1_.csv');
  assert.equal(sourceKey(''), 'upload.csv');
  assert.ok(formatAnnotations([]).startsWith('source_file,'));
});

storeTest('store: rep ids a spreadsheet would run as formulas are written as text and read back unchanged', ({ src: base, store }) => {
  const src = { reps: base.reps.slice(0, 2).map((r, i) => ({ ...r, repId: ['=HYPERLINK("http://x")', '-1+2'][i] })) };
  store.save('a.csv', src, '=HYPERLINK("http://x")', 'ana', S(10));
  store.save('a.csv', src, '-1+2', 'ana', S(20));
  const text = readFileSync(store.annotationsPath, 'utf8');
  assert.ok(text.includes(`"'=HYPERLINK(""http://x"")"`) && text.includes("'-1+2"), text);
  assert.deepEqual(store.rows().map((r) => r.repId), ['=HYPERLINK("http://x")', '-1+2']);
  assert.equal(store.needsRebuild(), false);
});

storeTest('store: skips and flags are recorded but not trained on; undo puts back the row a save replaced', ({ src, store }) => {
  store.save('s.csv', src, '1', 'ana', S(60), { mode: 'blind' });
  store.save('s.csv', src, '2', 'ana', null, { status: 'skipped', mode: 'blind' });
  store.save('s.csv', src, '3', 'ana', null, { status: 'flagged', comment: 'knee hidden, frames 10-30', mode: 'open' });
  assert.throws(() => store.save('s.csv', src, '4', 'ana', null, { status: 'flagged' }), /a flag needs a comment/);
  assert.throws(() => store.save('s.csv', src, '4', 'ana', null, { status: 'flagged', comment: 'a\nb' }), /one line/);
  const lines = readFileSync(store.annotationsPath, 'utf8').trim().split('\n');
  assert.match(lines[2], /^s\.csv,2,1,ana,[^,]+,blind,skipped,,,,,,,$/);
  assert.match(lines[3], /^s\.csv,3,2,ana,[^,]+,open,flagged,"knee hidden, frames 10-30",,,,,,$/);
  assert.deepEqual(readNpy(join(store.dir, 'scores.npy')).shape, [1, 6], 'only the scored rep is a training row');

  // Undo the change of rep 1: the first scores come back; undo again: nothing left to undo.
  store.save('s.csv', src, '1', 'ana', S(90), { mode: 'blind' });
  assert.equal(store.canUndo('ana'), true);
  const undone = store.undo('ana');
  assert.deepEqual([undone.sourceFile, undone.repId, undone.restored?.scores], ['s.csv', '1', [60, 50, 50, 50, 50, 50]]);
  assert.deepEqual(Array.from(readNpy(join(store.dir, 'scores.npy')).data), [60, 50, 50, 50, 50, 50]);
  assert.throws(() => store.undo('ana'), /ana has no save to undo/);
  // Undo of a first save leaves the rep unannotated.
  store.save('s.csv', src, '5', 'ana', S(70));
  store.undo('ana');
  assert.equal(store.rows().some((r) => r.repId === '5'), false);
  assert.equal(store.needsRebuild(), false);
});

storeTest('store: annotations.csv from before skips and flags is read as scored rows of unknown mode', ({ src, store }) => {
  store.save('s.csv', src, '1', 'ana', S(60));
  writeFileSync(store.annotationsPath, [
    'source_file,rep_id,rep_index,annotator,time,depth,stability,symmetry,tempo,alignment,overall',
    's.csv,1,0,ana,2026-01-01T00:00:00.000Z,61,50,50,50,50,50', '',
  ].join('\n'));
  assert.deepEqual(store.rows().map((r) => [r.status, r.mode, r.scores?.[0]]), [['scored', '', 61]]);
  assert.equal(store.rebuild(), 1);
  writeFileSync(store.annotationsPath, `${ANNOTATION_HEADER}\ns.csv,1,0,ana,t,open,maybe,,1,1,1,1,1,1\n`);
  assert.throws(() => store.rows(), (e: Error) => e.message === `${store.annotationsPath}: data row 1, column status: "maybe" is not one of scored, skipped, flagged`);
  writeFileSync(store.annotationsPath, `${ANNOTATION_HEADER}\ns.csv,1,0,ana,t,open,skipped,,1,,,,,\n`);
  assert.throws(() => store.rows(), /data row 1, column depth: a skipped rep has no scores/);
});
