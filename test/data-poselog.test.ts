// Every pose-log fixture exported by the app, plus the CSV dialect details (BOM, CRLF,
// quoted headers) the fixtures do not show.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parsePoseLog, readPoseLog, resampleRep } from '../src/data/poselog.js';
import { ANGLES } from '../src/data/exercises.js';
import { fixture } from './helpers/fixtures.js';

const FILES = [
  'bad_value_row40.csv', 'missing_rightElbow.csv', 'single_rep_no_rep_id.csv',
  'squat_columns_shuffled.csv', 'squat_session.csv', 'squat_with_one_frame_rep.csv',
];

function assertRepsValid(reps: { sequence: Float32Array }[]) {
  for (const r of reps) {
    assert.equal(r.sequence.length, 90 * 9);
    for (const v of r.sequence) assert.ok(v >= 0 && v <= 180 && Number.isFinite(v));
  }
}

test('poselog fixtures: the folder holds exactly the files these tests cover', () => {
  assert.deepEqual(readdirSync(fixture('poselog')).sort(), FILES);
});

test('poselog: squat_session.csv gives 12 reps of (90, 9) in first-seen order, first/last frames kept', () => {
  const path = fixture('poselog', 'squat_session.csv');
  const log = readPoseLog(path);
  assert.equal(log.reps.length, 12);
  assert.deepEqual(log.reps.map((r) => r.repId), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  assert.deepEqual(log.warnings, []);
  assertRepsValid(log.reps);
  // First data row: 0,1,171.031,171.16,170.053,169.388,159.126,160.025,84.182,83.851,10.159,0.74
  const first = Array.from(log.reps[0].sequence.subarray(0, 9));
  [171.031, 171.16, 170.053, 169.388, 159.126, 160.025, 84.182, 83.851, 10.159].forEach((v, c) =>
    assert.ok(Math.abs(first[c] - v) < 1e-4, `channel ${c}`));
  // The squat goes down: the left knee bottoms out well below where it started.
  const knee = Array.from({ length: 90 }, (_, t) => log.reps[0].sequence[t * 9]);
  assert.ok(Math.min(...knee) < first[0] - 40);
});

test('poselog: shuffled columns give the same numbers as ordered ones (4 reps)', () => {
  const log = readPoseLog(fixture('poselog', 'squat_columns_shuffled.csv'));
  assert.equal(log.reps.length, 4);
  assertRepsValid(log.reps);
  // Row 1: rep_id,spineAngle,rightShoulder,leftShoulder,timestamp_ms,rightElbow,leftElbow,rightHip,leftHip,rightKnee,leftKnee
  //        1,9.14,84.399,84.668,0,158.878,160.668,170.117,170.316,169.47,171.871
  const expect = [171.871, 169.47, 170.316, 170.117, 160.668, 158.878, 84.668, 84.399, 9.14];
  expect.forEach((v, c) => assert.ok(Math.abs(log.reps[0].sequence[c] - v) < 1e-4, ANGLES[c]));
});

test('poselog: a file without rep_id is one rep', () => {
  const log = readPoseLog(fixture('poselog', 'single_rep_no_rep_id.csv'));
  assert.equal(log.reps.length, 1);
  assert.equal(log.reps[0].repId, '1');
  assert.deepEqual(log.warnings, []);
  assertRepsValid(log.reps);
});

test('poselog: a one-frame rep is skipped with a warning naming its rep_id', () => {
  const path = fixture('poselog', 'squat_with_one_frame_rep.csv');
  const log = readPoseLog(path);
  assert.deepEqual(log.reps.map((r) => r.repId), ['1', '3']);
  assert.equal(log.warnings.length, 1);
  assert.ok(log.warnings[0].includes(path), log.warnings[0]);
  assert.match(log.warnings[0], /rep_id 2 has 1 frame .*skipped/);
  assertRepsValid(log.reps);
});

test('poselog: missing columns are listed by name with the file', () => {
  const path = fixture('poselog', 'missing_rightElbow.csv');
  assert.throws(() => readPoseLog(path), (e: Error) => e.message === `${path}: missing column rightElbow`);
  assert.throws(
    () => parsePoseLog('rep_id,leftKnee,rightKnee,leftHip\n1,1,2,3\n', 'x.csv'),
    (e: Error) => e.message === 'x.csv: missing columns rightHip, leftElbow, rightElbow, leftShoulder, rightShoulder, spineAngle',
  );
});

test('poselog: a non-numeric value reports data row 40 and its column', () => {
  const path = fixture('poselog', 'bad_value_row40.csv');
  assert.throws(() => readPoseLog(path), (e: Error) => e.message === `${path}: data row 40, column leftHip: "abc" is not a number`);
});

test('poselog: empty values, BOM, CRLF, quoted headers, extra columns', () => {
  const header = ['"rep_id"', ...ANGLES.map((a) => `"${a}"`), '"note, free text"'].join(',');
  const row = (id: string, v: number) => [id, ...ANGLES.map(() => String(v)), '"a, b"'].join(',');
  const text = '\uFEFF' + [header, row('a', 10), row('a', 20), row('b', 200), row('b', -5), row('b', 100)].join('\r\n') + '\r\n';
  const log = parsePoseLog(text, 'crlf.csv');
  assert.deepEqual(log.reps.map((r) => r.repId), ['a', 'b']);
  // rep a: 10 → 20 linearly over 90 frames.
  assert.ok(Math.abs(log.reps[0].sequence[0] - 10) < 1e-6);
  assert.ok(Math.abs(log.reps[0].sequence[89 * 9] - 20) < 1e-6);
  assert.ok(Math.abs(log.reps[0].sequence[44 * 9 + 3] - (10 + (10 * 44) / 89)) < 1e-4);
  // rep b: 200 clips to 180, −5 to 0.
  assert.equal(log.reps[1].sequence[0], 180);
  // Interpolated first, clipped after: frame 10 sits at 20/89 between 200 and −5, frame 44 just before −5.
  assert.ok(Math.abs(log.reps[1].sequence[10 * 9] - (200 - (205 * 20) / 89)) < 1e-3);
  assert.equal(log.reps[1].sequence[44 * 9], 0);
  assert.equal(log.reps[1].sequence[89 * 9 + 8], 100);

  const empty = [ANGLES.join(','), ANGLES.map(() => '1').join(','), ANGLES.map((_, i) => (i === 4 ? '' : '2')).join(',')].join('\n');
  assert.throws(() => parsePoseLog(empty, 'e.csv'), (e: Error) => e.message === 'e.csv: data row 2, column leftElbow: empty value');
  assert.throws(() => parsePoseLog('', 'nothing.csv'), /nothing\.csv: empty file/);
  assert.throws(() => parsePoseLog(ANGLES.join(',') + '\n1,2\n', 'short.csv'), /short\.csv: not a readable CSV/);
  assert.throws(() => parsePoseLog(ANGLES.join(',') + '\n' + ANGLES.map(() => '1e999').join(',') + '\n', 'inf.csv'), /inf\.csv: data row 1, column leftKnee: "1e999" is not a number/);
});

test('resampleRep: linear interpolation keeps the ends and straight lines', () => {
  const values = [0, 0, 0, 0, 0, 0, 0, 0, 0, 90, 90, 90, 90, 90, 90, 90, 90, 90, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const out = resampleRep(values, 3);
  assert.equal(out[0], 0);
  assert.equal(out[89 * 9], 0);
  // Frame t sits at position 2t/89 of the three input frames.
  for (const t of [10, 30, 44, 60, 80]) {
    const pos = (2 * t) / 89;
    const expect = pos <= 1 ? 90 * pos : 90 * (2 - pos);
    assert.ok(Math.abs(out[t * 9 + 5] - expect) < 1e-3, `frame ${t}`);
  }
  assert.ok(readFileSync(fixture('poselog', 'squat_session.csv'), 'utf8').startsWith('timestamp_ms'));
});
