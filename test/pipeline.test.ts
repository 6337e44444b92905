import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../src/pipeline/pipeline.js';
import { StopFlag, threadShares, trainInWorker } from '../src/train/jobs.js';
import { MissingInputError } from '../src/workspace/errors.js';
import { parsePreset, presetSamples, type Preset } from '../src/pipeline/presets.js';
import { tempDir } from './helpers/fixtures.js';

const tiny: Preset = { name: 'quick', nSamples: { realistic: 120, seed: 120 }, epochs: { realistic: { 1: 2, 2: 1, 3: 1 }, seed: { 1: 2, 2: 1, 3: 1 } }, seed: 42 };

function options(root: string, extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    preset: tiny, exercises: ['squat'], threads: 1, progress: null, log: () => {},
    dataDir: join(root, 'data'), modelsDir: join(root, 'models'), evaluationDir: join(root, 'evaluation'),
    exportDir: join(root, 'export'), stateFile: join(root, 'pipeline_state.json'), ...extra,
  };
}

test('pipeline: every step writes its outputs, a re-run skips them all, an interrupted run continues', async () => {
  const root = tempDir();

  // Interrupt during training (as Ctrl-C does): the stop flag rises once the first epoch is saved.
  const last = join(root, 'models/saved/squat_phase1_last/model.json');
  const stopped = await runPipeline(options(root, { shouldStop: () => existsSync(last) }));
  assert.equal(stopped.status, 'interrupted');
  assert.deepEqual(stopped.ran, ['generate squat', 'benchmark sessions squat']);
  assert.ok(existsSync(last), 'the last good checkpoint is kept');

  const first = await runPipeline(options(root));
  assert.equal(first.status, 'done');
  assert.deepEqual(first.skipped, ['generate squat', 'benchmark sessions squat'], 'generation is not redone after the interruption');
  assert.ok(first.ran.includes('train squat phase 1'));
  for (const p of [
    'data/generated/squat/sequences.npy', 'models/saved/squat_phase1_final/model.json', 'models/logs/squat_phase1_history.csv',
    'evaluation/results_evaluation.csv', 'evaluation/results_comparison.csv', 'evaluation/figures/mae_heatmap.png',
    'data/benchmark/squat/session_01.csv', 'evaluation/results_transfer.csv', 'evaluation/figures/transfer_mae.png',
    'evaluation/report.html', 'export/tflite/form_scorer_squat_v1.tflite', 'export/tflite/export_summary.json',
  ]) assert.ok(existsSync(join(root, p)), `${p} written`);
  // Resumed, not restarted: the history has one row per epoch, none twice.
  const history = readFileSync(join(root, 'models/logs/squat_phase1_history.csv'), 'utf8').trim().split('\n');
  assert.equal(history.length, 1 + tiny.epochs.realistic[1]);
  assert.equal(first.summary.length, 1);
  assert.equal(first.summary[0].exercise, 'squat');
  assert.ok(first.summary[0].mae > 0 && first.summary[0].mae < 100);
  assert.ok(first.summary[0].transferMae! > 0 && first.summary[0].transferMae! < 100, 'the closing summary has the sessions column');
  assert.ok(first.summary[0].tfliteBytes! > 100_000);

  const again = await runPipeline(options(root));
  assert.deepEqual(again.ran, []);
  assert.equal(again.skipped.length, first.ran.length + first.skipped.length);

  // A different recipe makes the steps it touches stale (and everything downstream of them).
  const bigger = await runPipeline(options(root, { preset: { ...tiny, nSamples: { realistic: 140, seed: 140 } } }));
  assert.ok(bigger.ran.includes('generate squat') && bigger.ran.includes('train squat phase 1') && bigger.ran.includes('report'));
});

test('pipeline --seeds: every seed trained and evaluated, the best exported, the spread in the summary and the report', async () => {
  const root = tempDir();
  const r = await runPipeline(options(root, { seeds: [42, 43] }));
  assert.equal(r.status, 'done');
  assert.ok(r.ran.includes('seeds'));
  for (const p of ['models/saved/squat_phase1_seed42_final/model.json', 'models/saved/squat_phase1_seed43_final/model.json',
    'models/saved/squat_phase1_seeds.json', 'evaluation/results_seeds.csv', 'evaluation/results_seeds_summary.csv']) {
    assert.ok(existsSync(join(root, p)), `${p} written`);
  }
  const record = JSON.parse(readFileSync(join(root, 'models/saved/squat_phase1_seeds.json'), 'utf8'));
  const best = record.runs.reduce((a: { bestValMae: number }, b: { bestValMae: number }) => (b.bestValMae < a.bestValMae ? b : a));
  assert.equal(record.selected, best.seed);
  const s = r.summary[0].seeds!;
  assert.equal(s.count, 2);
  assert.equal(s.selected, record.selected);
  assert.ok(s.maeMean > 0 && s.maeSd >= 0);
  assert.match(readFileSync(join(root, 'evaluation/report.html'), 'utf8'), new RegExp(`<h3>Across seeds</h3>[\\s\\S]*squat: seed ${record.selected}`));
  const again = await runPipeline(options(root, { seeds: [42, 43] }));
  assert.deepEqual(again.ran, [], 'a re-run with the same seeds is current');
});

test('presets: the full recipe draws 16,000 realistic plank reps and 8,000 of the others; the seed profile keeps 5,000', () => {
  const full = parsePreset('full');
  assert.equal(presetSamples(full, 'realistic', 'plank'), 16000);
  assert.equal(presetSamples(full, 'realistic', 'squat'), 8000);
  assert.equal(presetSamples(full, 'seed', 'plank'), 5000);
  assert.equal(presetSamples(parsePreset('quick'), 'realistic', 'plank'), 500);
  assert.deepEqual([full.epochs.realistic[1], full.epochs.seed[1]], [80, 50]);
});

test('pipeline jobs: two exercises train at once, a stop reaches both, and the re-run resumes both', async () => {
  const root = tempDir();
  const lines: string[] = [];
  // epochs enough that neither job finishes before the stop (polled every 100 ms) reaches it
  const preset: Preset = { ...tiny, epochs: { ...tiny.epochs, realistic: { ...tiny.epochs.realistic, 1: 6 } } };
  const opts = (extra: Partial<PipelineOptions> = {}) =>
    options(root, { preset, exercises: ['squat', 'lunge'], threads: 2, log: (l) => lines.push(l), ...extra });
  const last = (e: string) => join(root, `models/saved/${e}_phase1_last/model.json`);
  const stopped = await runPipeline(opts({ shouldStop: () => existsSync(last('squat')) && existsSync(last('lunge')) }));
  assert.equal(stopped.status, 'interrupted');
  const state = JSON.parse(readFileSync(join(root, 'pipeline_state.json'), 'utf8')).steps;
  assert.equal(state['train squat phase 1'].status, 'running');
  assert.equal(state['train lunge phase 1'].status, 'running');
  assert.ok(lines.some((l) => l.startsWith('squat: ')) && lines.some((l) => l.startsWith('lunge: ')), 'each job\'s lines carry its exercise');
  assert.ok(lines.some((l) => l.startsWith('squat phase 1')), 'a line that names its exercise is not prefixed');
  assert.ok(!lines.some((l) => /^(\w+): \1 /.test(l)), 'no line names its exercise twice');

  const done = await runPipeline(opts());
  assert.equal(done.status, 'done');
  for (const e of ['squat', 'lunge']) {
    const history = readFileSync(join(root, `models/logs/${e}_phase1_history.csv`), 'utf8').trim().split('\n');
    assert.equal(history.length, 1 + 6, `${e} resumed, not restarted`);
  }
  assert.deepEqual(done.summary.map((s) => s.exercise), ['squat', 'lunge']);
});

test('pipeline jobs: each job trains on threads / jobs threads, and a job that will run alone on all of them', () => {
  assert.deepEqual(threadShares([1, 1, 1, 1, 1], 2, 2), [1, 1, 1, 1, 2], 'five equal exercises on two cores: the last one runs alone');
  assert.deepEqual(threadShares([2, 1, 1, 1, 1], 2, 2), [1, 1, 1, 1, 1], 'the full recipe\'s plank twice the others: the two slots stay busy to the end');
  assert.deepEqual(threadShares([3, 1], 8, 2), [4, 4]);
  assert.deepEqual(threadShares([1, 1, 1], 4, 1), [4, 4, 4], 'one job at a time: every thread, as before jobs existed');
  assert.deepEqual(threadShares([5], 2, 2), [2]);
});

test('pipeline jobs: the exercise planned to train alone on every thread starts once the others have finished', async () => {
  const root = tempDir();
  const lines: string[] = [];
  const r = await runPipeline(options(root, { exercises: ['squat', 'pushup', 'lunge'], threads: 2, log: (l) => lines.push(l) }));
  assert.equal(r.status, 'done');
  const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
  const lungeStarts = at(/\] train lunge phase 1$/);
  for (const e of ['squat', 'pushup']) assert.ok(at(new RegExp(`^${e}: .*epochs run`)) < lungeStarts, `${e} finished before the lunge started`);
});

test('pipeline jobs: --jobs must be between 1 and the threads, before any work', async () => {
  const root = tempDir();
  await assert.rejects(runPipeline(options(root, { threads: 2, jobs: 3 })), /--jobs 3 is more than the 2 threads/);
  await assert.rejects(runPipeline(options(root, { jobs: 0 })), /jobs = 0 is not a whole number >= 1/);
  assert.ok(!existsSync(join(root, 'data')), 'nothing generated');
});

test('pipeline jobs: a training job\'s missing input reaches the caller as the same error, with its remedy', async () => {
  const root = tempDir();
  const job = {
    exercise: 'squat', phase: 1, dataDir: join(root, 'data'), modelsDir: join(root, 'models'), epochs: 1, seed: 42, profile: 'realistic',
    threads: 1, resume: false,
  } as const;
  await assert.rejects(trainInWorker(job, new StopFlag(), { log: () => {}, sideBySide: false }), (err: unknown) => {
    assert.ok(err instanceof MissingInputError);
    assert.match(err.remedy, /^generate --exercise squat/);
    return true;
  });
});
