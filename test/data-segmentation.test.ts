// Rep segmentation of recordings without rep_id, checked against the app's own tags.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ANGLES, N_ANGLES } from '../src/data/exercises.js';
import { parsePoseLog, readPoseLog } from '../src/data/poselog.js';
import { HOLD_WINDOW_FRAMES, MIN_REP_FRAMES, checkCuts, cutRanges, segmentReps } from '../src/data/segmentation.js';
import { fixture, withoutRepId } from './helpers/fixtures.js';

test('segmentation finds the 12 tagged squat reps of the app session, every cut within 8 frames of the tag', () => {
  const tagged = readPoseLog(fixture('poselog', 'squat_session.csv'));
  const text = withoutRepId(readFileSync(fixture('poselog', 'squat_session.csv'), 'utf8'));
  const log = parsePoseLog(text, 'untagged.csv', { exercise: 'squat' });
  assert.equal(log.segmentation, 'automatic');
  assert.equal(log.reps.length, 12);
  assert.deepEqual(log.reps.map((r) => r.repId), Array.from({ length: 12 }, (_, i) => String(i + 1)));
  for (let i = 0; i < 11; i++) assert.ok(Math.abs(log.cuts[i] - tagged.cuts[i]) <= 8, `cut ${i + 1}: ${log.cuts[i]} vs tag ${tagged.cuts[i]}`);
  // Every frame belongs to exactly one rep, and each rep's duration comes from timestamp_ms.
  assert.equal(log.reps.reduce((s, r) => s + r.count, 0), 1101);
  assert.equal(log.reps[0].start, 0);
  assert.equal(log.reps[1].start, log.cuts[0]);
  assert.equal(log.reps[0].durationMs, 33 * (log.cuts[0] - 1));
  assert.equal(log.reps[0].confidence?.length, log.reps[0].count);
});

test('--segment re-segments a tagged log; without an exercise a log without rep_id stays one rep', () => {
  const log = readPoseLog(fixture('poselog', 'squat_columns_shuffled.csv'), { exercise: 'squat', segment: true });
  assert.equal(log.segmentation, 'automatic');
  assert.equal(log.reps.length, 4);
  const whole = readPoseLog(fixture('poselog', 'single_rep_no_rep_id.csv'));
  assert.equal(whole.segmentation, 'whole file');
  assert.equal(whole.reps.length, 1);
  const one = readPoseLog(fixture('poselog', 'single_rep_no_rep_id.csv'), { exercise: 'squat' });
  assert.equal(one.reps.length, 1, 'one squat is one rep');
  assert.equal(one.reps[0].repId, '1');
  assert.equal(one.reps[0].durationMs, null, 'no timestamp_ms column');
  assert.deepEqual(Array.from(one.reps[0].sequence), Array.from(whole.reps[0].sequence));
});

test('expert cuts win over tags and segmentation, and are checked', () => {
  const path = fixture('poselog', 'squat_columns_shuffled.csv');
  const log = readPoseLog(path, { exercise: 'squat', cuts: [100, 200] });
  assert.equal(log.segmentation, 'edited');
  assert.deepEqual(log.reps.map((r) => r.count), [100, 100, 121]);
  assert.throws(() => readPoseLog(path, { cuts: [100, 101] }), (e: Error) => e.message === `${path}: cut 2 at frame 101: reps need at least 2 frames (the rep before starts at frame 100)`);
  assert.throws(() => checkCuts([5, 'x'], 50), /cut 2: "x" is not a frame number/);
  assert.throws(() => checkCuts([49], 50), /the recording has 50 frames/);
  assert.throws(() => checkCuts('1,2', 50), /cuts must be a list/);
  assert.deepEqual(cutRanges([3, 7], 10), [[0, 3], [3, 7], [7, 10]]);
});

test('the plank is cut into fixed windows; short wiggles are not reps', () => {
  const frames = (n: number, primary: (t: number) => number, channel: number) => {
    const out = new Float32Array(n * N_ANGLES).fill(170);
    for (let t = 0; t < n; t++) out[t * N_ANGLES + channel] = primary(t);
    return out;
  };
  assert.deepEqual(segmentReps(frames(250, () => 2, 8), 250, 'plank'), [HOLD_WINDOW_FRAMES, 2 * HOLD_WINDOW_FRAMES]);
  assert.deepEqual(segmentReps(frames(120, () => 2, 8), 120, 'plank'), [], 'a 30-frame remainder joins the window');
  // A 10° tremble of the knee is far below 30 % of the squat's 85° ROM.
  assert.deepEqual(segmentReps(frames(200, (t) => 170 - 10 * Math.abs(Math.sin(t / 5)), 0), 200, 'squat'), []);
  // Two deep squats 8 frames apart would make a rep shorter than MIN_REP_FRAMES: merged.
  const dips = (t: number) => (t === 50 || t === 58 ? 60 : 170);
  const cuts = segmentReps(frames(120, dips, 0), 120, 'squat');
  assert.ok(cutRanges(cuts, 120).every(([a, b]) => b - a >= MIN_REP_FRAMES), String(cuts));
  assert.equal(ANGLES[0], 'leftKnee');
});
