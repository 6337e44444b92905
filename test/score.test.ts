import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initWeights } from '../src/nn/init.js';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { exportTflite } from '../src/export/export.js';
import { scoreSession } from '../src/score/session.js';
import { measureCoverage } from '../src/data/coverage.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import { readPoseLog } from '../src/data/poselog.js';
import { ruleScores } from '../src/data/rules.js';
import { fixture, REPO_ROOT, tempDir, withoutRepId } from './helpers/fixtures.js';

const session = fixture('poselog', 'squat_session.csv');
const cli = join(REPO_ROOT, 'bin', 'formscore.js');

function modelFolder(): { root: string; checkpoint: string; tflite: string } {
  const root = tempDir();
  const weights = initWeights(3);
  const checkpoint = join(root, 'models', 'saved', 'squat_phase1_final');
  saveCheckpoint(checkpoint, weights);
  const tflite = join(root, 'form_scorer_squat_v1.tflite');
  writeFileSync(tflite, exportTflite(weights, { exercise: 'squat', phase: 1 }));
  return { root, checkpoint, tflite };
}

test('score: every rep of a session gets rule, network and hybrid scores; the .tflite file agrees with the checkpoint', async () => {
  const { root, checkpoint, tflite } = modelFolder();
  const fromCheckpoint = await scoreSession(session, 'squat', { modelsDir: join(root, 'models'), threads: 1 });
  assert.equal(fromCheckpoint.model.path, checkpoint);
  assert.equal(fromCheckpoint.reps.length, 12);
  for (const rep of fromCheckpoint.reps) {
    for (const set of [rep.rule, rep.network, rep.hybrid]) {
      assert.equal(set.length, 6);
      for (const v of set) assert.ok(v >= 0 && v <= 100);
    }
    rep.hybrid.forEach((h, d) => assert.ok(Math.abs(h - (0.3 * rep.rule[d] + 0.7 * rep.network[d])) < 1e-3));
  }
  const fromTflite = await scoreSession(session, 'squat', { model: tflite });
  assert.equal(fromTflite.model.kind, 'tflite');
  assert.ok(fromTflite.model.runtime);
  fromTflite.reps.forEach((rep, i) => {
    assert.equal(rep.repId, fromCheckpoint.reps[i].repId);
    rep.network.forEach((v, d) => assert.ok(Math.abs(v - fromCheckpoint.reps[i].network[d]) <= 0.5, `rep ${i} dim ${d}`));
    assert.deepEqual(rep.rule, fromCheckpoint.reps[i].rule);
  });
});

test('score CLI: --json for machines, a table for people, one-line errors', () => {
  const { root } = modelFolder();
  const json = JSON.parse(execFileSync('node', [cli, 'score', '--exercise', 'squat', session, '--json'], { cwd: root, encoding: 'utf8' }));
  assert.equal(json.reps.length, 12);
  const table = execFileSync('node', [cli, 'score', '--exercise', 'squat', session], { cwd: root, encoding: 'utf8' });
  assert.equal(table.split('\n').filter((l) => /^\S+\s+rule\s/.test(l)).length, 12);

  const noModel = spawnSync('node', [cli, 'score', '--exercise', 'lunge', session], { cwd: root, encoding: 'utf8' });
  assert.equal(noModel.status, 1);
  assert.match(noModel.stderr, /no trained lunge model .*formscore train --exercise lunge/);
  const badCsv = spawnSync('node', [cli, 'score', '--exercise', 'squat', fixture('poselog', 'missing_rightElbow.csv')], { cwd: root, encoding: 'utf8' });
  assert.equal(badCsv.status, 1);
  assert.match(badCsv.stderr, /missing_rightElbow\.csv.*rightElbow/);
});

test('score: reps outside the training data are flagged by statistic, from a checkpoint and from a .tflite file', async () => {
  const root = tempDir();
  const weights = initWeights(5);
  const training = generateSynthetic('squat', 1500, 42);
  const coverage = measureCoverage(training.sequences, training.n);
  const checkpoint = join(root, 'models', 'saved', 'squat_phase1_final');
  saveCheckpoint(checkpoint, weights, { training: { exercise: 'squat', phase: 1, coverage } });
  const tflite = join(root, 'form_scorer_squat_v1.tflite');
  writeFileSync(tflite, exportTflite(weights, { exercise: 'squat', phase: 1, coverage }));

  // The real session, with one pose-estimator failure in rep 3: the left knee reads 20° for a frame.
  const lines = readFileSync(session, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rep3 = lines.findIndex((l, i) => i > 0 && l.split(',')[header.indexOf('rep_id')] === '3');
  const cells = lines[rep3 + 20].split(',');
  cells[header.indexOf('leftKnee')] = '20';
  lines[rep3 + 20] = cells.join(',');
  const glitched = join(root, 'glitched.csv');
  writeFileSync(glitched, lines.join('\n') + '\n');

  for (const model of [checkpoint, tflite]) {
    const scored = await scoreSession(glitched, 'squat', { model, threads: 1 });
    assert.equal(scored.domainCheck, true);
    const flagged = scored.reps.filter((r) => r.domainGaps.length).map((r) => r.repId);
    assert.deepEqual(flagged, ['3'], model);
    assert.ok(scored.reps[2].domainGaps.some((g) => g.startsWith('peak angular velocity')), scored.reps[2].domainGaps.join('; '));
  }
  const table = execFileSync('node', [cli, 'score', '--exercise', 'squat', glitched, '--model', tflite], { cwd: root, encoding: 'utf8' });
  assert.match(table, /outside the training data, do not trust the network here: .*peak angular velocity/);
  assert.match(table, /1 of 12 reps outside the model's training data/);

  // A model without a coverage record says so instead of staying silent.
  const { checkpoint: bare } = modelFolder();
  const unchecked = await scoreSession(glitched, 'squat', { model: bare, threads: 1 });
  assert.equal(unchecked.domainCheck, false);
  assert.ok(unchecked.warnings.some((w) => w.includes('records no training coverage')));
});

test('score: a damaged .tflite file and a checkpoint folder without model.json are named in one line', () => {
  const { root, tflite } = modelFolder();
  const damaged = join(root, 'damaged.tflite');
  writeFileSync(damaged, readFileSync(tflite).subarray(0, 3000));
  const r = spawnSync('node', [cli, 'score', '--exercise', 'squat', session, '--model', damaged], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /damaged\.tflite: not a usable TFLite model \(/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

  const empty = tempDir();
  mkdirSync(join(empty, 'models', 'saved', 'squat_phase1_final'), { recursive: true });
  const m = spawnSync('node', [cli, 'score', '--exercise', 'squat', session], { cwd: empty, encoding: 'utf8' });
  assert.equal(m.status, 1);
  assert.match(m.stderr, /no trained squat model under models\/saved\/ \(models\/saved\/squat_phase1_final\/ exists but holds no model\.json: a save cut short or a partial copy\)/);
});

test('score: a log without rep_id is scored rep by rep with the segmentation annotate uses; --segment re-segments a tagged one', async () => {
  const { root } = modelFolder();
  const untagged = join(root, 'untagged.csv');
  writeFileSync(untagged, withoutRepId(readFileSync(session, 'utf8')));
  const scored = await scoreSession(untagged, 'squat', { modelsDir: join(root, 'models'), threads: 1 });
  const segmented = readPoseLog(untagged, { exercise: 'squat' });
  assert.equal(scored.reps.length, 12);
  scored.reps.forEach((rep, i) => assert.deepEqual(rep.rule, Array.from(ruleScores(segmented.reps[i].sequence, 'squat'))));
  const json = JSON.parse(execFileSync('node', [cli, 'score', '--exercise', 'squat', session, '--segment', '--json'], { cwd: root, encoding: 'utf8' }));
  assert.equal(json.reps.length, 12);
  assert.deepEqual(json.reps.map((r: { rule: number[] }) => r.rule), scored.reps.map((r) => r.rule), 'the same cuts with or without the tags');
});
