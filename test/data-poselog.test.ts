// Every pose-log fixture exported by the app, plus the CSV dialect details (BOM, CRLF,
// quoted headers) the fixtures do not show.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOW_CONFIDENCE, MAX_LOST_FRACTION, parsePoseLog, readPoseLog, resampleRep } from '../src/data/poselog.js';
import { ANGLES } from '../src/data/exercises.js';
import { fixture, tempDir } from './helpers/fixtures.js';

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

test('poselog: a non-numeric value on data row 40 is reported by its file line (41) and column', () => {
  const path = fixture('poselog', 'bad_value_row40.csv');
  assert.throws(() => readPoseLog(path), (e: Error) => e.message === `${path}: line 41, column leftHip: "abc" is not a number`);
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

  assert.throws(() => parsePoseLog('', 'nothing.csv'), /nothing\.csv: empty file/);
  assert.throws(() => parsePoseLog(ANGLES.join(',') + '\n1,2\n', 'short.csv'), (e: Error) => e.message === 'short.csv: line 2 has 2 fields, the header has 9');
});

/** A pose log of `frames` rows per rep (angle = 100 + frame number in every channel), edited by `edit`. */
function session(reps: number, frames: number, edit: (rep: number, frame: number, cells: string[]) => void = () => {}, extra = ''): string {
  const lines = [`rep_id,${ANGLES.join(',')},confidence`];
  for (let r = 1; r <= reps; r++) {
    for (let f = 0; f < frames; f++) {
      const cells = [String(r), ...ANGLES.map(() => String(100 + f)), '0.9'];
      edit(r, f, cells);
      lines.push(cells.join(','));
    }
  }
  return lines.join('\n') + '\n' + extra;
}

test('poselog: lost frames (blank, NaN or infinite angles, low confidence) are interpolated with a warning naming their lines', () => {
  // rep 1: frames 3 and 4 (lines 5 and 6) blank / NaN; rep 2: frame 9 (line 21) at confidence 0.1 and frame 0 (line 12) infinite.
  const text = session(2, 10, (rep, f, cells) => {
    if (rep === 1 && f === 3) cells[5] = '';
    if (rep === 1 && f === 4) cells.fill('NaN', 1, 10);
    if (rep === 2 && f === 9) cells[10] = '0.1';
    if (rep === 2 && f === 0) cells[1] = '1e999';
  });
  const log = parsePoseLog(text, 'lost.csv');
  assert.deepEqual(log.reps.map((r) => r.repId), ['1', '2']);
  assert.deepEqual(log.warnings, [
    'lost.csv: rep_id 1 lost the pose in 2 frames (lines 5-6); interpolated',
    'lost.csv: rep_id 2 lost the pose in 2 frames (lines 12, 21); interpolated',
  ]);
  // Every channel moves 100 → 109 in a straight line, so interpolation gives back the same line;
  // the edges hold the nearest kept value (frame 0 of rep 2 takes frame 1's 101 on leftKnee).
  const straight = resampleRep(Array.from({ length: 90 }, (_, i) => 100 + Math.floor(i / 9)), 10);
  assertRepsValid(log.reps);
  for (let i = 0; i < 810; i++) assert.ok(Math.abs(log.reps[0].sequence[i] - straight[i]) < 1e-4, `rep 1 value ${i}`);
  assert.ok(Math.abs(log.reps[1].sequence[0] - 101) < 1e-4);
  assert.ok(Math.abs(log.reps[1].sequence[89 * 9 + 3] - 108) < 1e-4, 'the low-confidence last frame holds frame 8');
  // The threshold is documented and exported.
  assert.equal(LOW_CONFIDENCE, 0.3);
});

test('poselog: a rep that lost more than a quarter of its frames is skipped with a warning', () => {
  const text = session(2, 8, (rep, f, cells) => {
    if (rep === 2 && f >= 2 && f < 5) cells[1] = '';
  });
  const log = parsePoseLog(text, 'gappy.csv');
  assert.deepEqual(log.reps.map((r) => r.repId), ['1']);
  assert.deepEqual(log.warnings, ['gappy.csv: rep_id 2 lost the pose in 3 of 8 frames (lines 12-14), more than 25 %; skipped']);
  assert.equal(MAX_LOST_FRACTION, 0.25);
});

test('poselog: rows are named by their file line, also after blank lines', () => {
  const text = session(1, 20, (_rep, f, cells) => {
    if (f === 18) cells[3] = 'x';
  }).replace(/\n/, '\n\n\n\n');
  // Header on line 1, three blank lines, data from line 5: frame 18 sits on line 23.
  assert.throws(() => parsePoseLog(text, 'blank.csv'), (e: Error) => e.message === 'blank.csv: line 23, column leftHip: "x" is not a number');
});

test('poselog: only decimal numbers are read ("0x10" is not 16); a decimal comma is named', () => {
  const hex = session(1, 3, (_r, f, cells) => { if (f === 1) cells[2] = '0x10'; });
  assert.throws(() => parsePoseLog(hex, 'hex.csv'), (e: Error) => e.message === 'hex.csv: line 3, column rightKnee: "0x10" is not a number');
  const comma = session(1, 3, (_r, f, cells) => { if (f === 2) cells[1] = '"171,5"'; });
  assert.throws(() => parsePoseLog(comma, 'comma.csv'), (e: Error) =>
    e.message === 'comma.csv: line 4, column leftKnee: "171,5" is not a number (a decimal comma? pose logs use decimal points)');
});

test('poselog: a duplicated angle column is refused naming both positions', () => {
  const text = `rep_id,${ANGLES.join(',')},leftKnee\n1,${ANGLES.map(() => '1').join(',')},2\n`;
  assert.throws(() => parsePoseLog(text, 'dup.csv'), (e: Error) => e.message === 'dup.csv: column leftKnee appears twice (columns 2 and 11); keep one');
});

test('poselog: semicolon- or tab-separated files, decimal commas, UTF-16 and Latin-1 are named', () => {
  const dir = tempDir();
  const european = session(1, 3).replace(/,/g, ';').replace(/(\d)\.?(\d*);/g, '$1,5;');
  assert.throws(() => parsePoseLog(european, 'eu.csv'), (e: Error) =>
    e.message === 'eu.csv: columns are separated by semicolons (;) and numbers use decimal commas; formscore reads pose logs as the app exports them: comma-separated, decimal points');
  assert.throws(() => parsePoseLog(session(1, 3).replace(/,/g, '\t'), 'tab.csv'), (e: Error) => /^tab\.csv: columns are separated by tabs; /.test(e.message));

  const text = session(1, 3);
  const utf16 = join(dir, 'utf16.csv');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  assert.throws(() => readPoseLog(utf16), (e: Error) => e.message === `${utf16}: encoded as UTF-16, not UTF-8; save it as "CSV UTF-8" and try again`);
  writeFileSync(utf16, Buffer.from(text, 'utf16le'));
  assert.throws(() => readPoseLog(utf16), /encoded as UTF-16/);
  const latin1 = join(dir, 'latin1.csv');
  const row = ANGLES.map(() => '90').join(',');
  writeFileSync(latin1, Buffer.from(`rep_id,${ANGLES.join(',')},note\n1,${row},Übung\n1,${row},ok\n`, 'latin1'));
  assert.throws(() => readPoseLog(latin1), (e: Error) => e.message.startsWith(`${latin1}: not UTF-8 text (line 2 holds a byte that is not UTF-8`));
});

test('poselog: binary input is described, never echoed', () => {
  const dir = tempDir();
  const path = join(dir, 'photo.csv');
  const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919 + 13) % 256));
  writeFileSync(path, bytes);
  assert.throws(() => readPoseLog(path), (e: Error) => {
    assert.match(e.message, new RegExp(`^${path.replace(/[.\\]/g, '\\$&')}: binary data, not a CSV text file \\(control byte 0x[0-9a-f]{2} on line \\d+\\)$`));
    return true;
  });
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
