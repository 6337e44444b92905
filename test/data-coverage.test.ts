import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainGaps, jitterLevel, measureCoverage, parseCoverage } from '../src/data/coverage.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import { readPoseLog } from '../src/data/poselog.js';
import { REP_SIZE } from '../src/data/exercises.js';
import { fixture } from './helpers/fixtures.js';

const training = generateSynthetic('squat', 2000, 42);
const coverage = measureCoverage(training.sequences, training.n);
const session = readPoseLog(fixture('poselog', 'squat_session.csv'));

test('coverage: one [low, high] range per statistic, low ≤ high, round-trips through JSON', () => {
  assert.ok(Object.keys(coverage).length >= 3 + 18);
  for (const [name, [lo, hi]] of Object.entries(coverage)) assert.ok(lo <= hi, name);
  assert.deepEqual(parseCoverage(JSON.parse(JSON.stringify(coverage))), coverage);
  assert.equal(parseCoverage({ 'peak angular velocity': [1, 'x'] }), null);
  assert.equal(parseCoverage(undefined), null);
});

test('domain gap: ordinary squat reps of a real session are covered; each out-of-range rep names its statistic', () => {
  for (const rep of session.reps) assert.deepEqual(domainGaps(rep.sequence, coverage), [], `rep ${rep.repId}`);

  // A pose-estimator failure: the left knee jumps by 80° for one frame.
  const glitch = Float32Array.from(session.reps[0].sequence);
  glitch[40 * 9] = Math.max(0, glitch[40 * 9] - 80);
  const gaps = domainGaps(glitch, coverage);
  assert.ok(gaps.some((g) => g.startsWith('peak angular velocity ')), gaps.join('; '));

  // The right elbow bent far beyond any squat in training (arms are held still in a squat).
  const elbow = Float32Array.from(session.reps[1].sequence);
  for (let t = 0; t < 90; t++) elbow[t * 9 + 5] = 20;
  const elbowGaps = domainGaps(elbow, coverage);
  assert.ok(elbowGaps.some((g) => /^rightElbow min 20\.0 ° \(training \d+\.\d-\d+\.\d\)$/.test(g)), elbowGaps.join('; '));
  assert.ok(elbowGaps.some((g) => g.startsWith('left/right difference')), elbowGaps.join('; '));
});

test('jitterLevel: zero for a straight line, grows with noise', () => {
  const line = new Float32Array(REP_SIZE);
  for (let t = 0; t < 90; t++) for (let c = 0; c < 9; c++) line[t * 9 + c] = 100 + t * 0.5;
  assert.ok(jitterLevel(line) < 1e-4);
  const noisy = line.map((v, i) => v + (i % 2 ? 1 : -1));
  assert.ok(Math.abs(jitterLevel(noisy) - 4) < 1e-3, String(jitterLevel(noisy)));
});
