import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, N_SCORES } from '../src/data/exercises.js';
import { loadDataset } from '../src/data/dataset.js';
import { ruleScoresBatch } from '../src/data/rules.js';
import { loadCheckpoint, saveCheckpoint } from '../src/nn/checkpoint.js';
import { referenceForward } from '../src/nn/reference/network.js';
import { mae, pearson, icc21, pairRatings } from '../src/evaluate/metrics.js';
import { agreementWithCi } from '../src/evaluate/agreement.js';
import { runEvaluation, findCheckpoint, column, predictCheckpoint, predictTestSplits, EVALUATION_COLUMNS } from '../src/evaluate/evaluation.js';
import { runComparison, COMPARISON_COLUMNS } from '../src/evaluate/comparison.js';
import { PAIRED_COLUMNS } from '../src/evaluate/paired.js';
import { makeWorkspace, WITH_MODEL, WITHOUT_MODEL } from './helpers/evaluate-workspace.js';
import { REPO_ROOT, tempDir } from './helpers/fixtures.js';
import { MissingInputError } from '../src/workspace/errors.js';

const ws = makeWorkspace();
const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
const header = (path: string) => readFileSync(path, 'utf8').split('\n')[0];

test('evaluate: CSV has the contract columns, six rows per exercise with a model, and skips the rest', async () => {
  const res = await runEvaluation(ws.opts);
  assert.equal(res.csvPath, join(ws.outDir, 'results_evaluation.csv'));
  assert.equal(header(res.csvPath), EVALUATION_COLUMNS.join(','));
  // Issue 13: each metric's 95 % interval follows the point estimates (bootstrap, and the F interval of ICC).
  assert.equal(header(res.csvPath), 'exercise,dimension,n,mae,rmse,pearson,icc,' +
    'mae_lo,mae_hi,rmse_lo,rmse_hi,pearson_lo,pearson_hi,icc_lo,icc_hi,icc_f_lo,icc_f_hi');
  const rows = readCsv(res.csvPath);
  assert.equal(rows.length, WITH_MODEL.length * DIMENSIONS.length);
  assert.deepEqual([...new Set(rows.map((r) => r.exercise))], WITH_MODEL);
  assert.deepEqual(rows.slice(0, 6).map((r) => r.dimension), [...DIMENSIONS]);
  assert.deepEqual(res.skipped.map((s) => s.exercise), [WITHOUT_MODEL]);
  assert.ok(ws.lines.some((l) => l.startsWith(`skipping ${WITHOUT_MODEL}`) && l.includes(`${WITHOUT_MODEL}_phase1_{final,best}`)), ws.lines.join('\n'));
  assert.ok(ws.lines.some((l) => l.includes('Targets on the overall dimension')));
  for (const r of rows) for (const k of ['mae', 'rmse', 'pearson', 'icc']) {
    const [v, lo, hi] = [r[k], r[`${k}_lo`], r[`${k}_hi`]].map(Number);
    assert.ok(Number.isFinite(v) && lo <= v + 1e-9 && v <= hi + 1e-9 && hi > lo, `${r.exercise} ${r.dimension} ${k} = ${v} [${lo}, ${hi}]`);
  }
  // The console shows the intervals and says how they were made.
  assert.ok(ws.lines.some((l) => l.includes('percentile bootstrap, 2000 resamples')), ws.lines.join('\n'));
  assert.ok(ws.lines.some((l) => /mae 95% CI/.test(l)));
});

test('evaluate: metrics are recomputed independently from the same test split and checkpoint', async () => {
  const rows = readCsv(join(ws.outDir, 'results_evaluation.csv'));
  const { test: split } = loadDataset('squat', { dataDir: ws.dataDir, seed: 42, includeReal: false });
  const net = referenceForward(loadCheckpoint(join(ws.modelsDir, 'saved', 'squat_phase1_final')).weights, split.x, split.n);
  DIMENSIONS.forEach((dim, d) => {
    const row = rows.find((r) => r.exercise === 'squat' && r.dimension === dim)!;
    const truth = Array.from({ length: split.n }, (_, i) => split.y[i * N_SCORES + d] * 100);
    const pred = Array.from({ length: split.n }, (_, i) => net[i * N_SCORES + d] * 100);
    assert.equal(Number(row.n), split.n);
    assert.ok(Math.abs(Number(row.mae) - mae(pred, truth)) < 1e-4, `${dim} mae`);
    assert.ok(Math.abs(Number(row.pearson) - pearson(pred, truth)) < 1e-4, `${dim} r`);
    assert.ok(Math.abs(Number(row.icc) - icc21(pairRatings(truth, pred))) < 1e-4, `${dim} icc`);
    // The intervals are reproducible from the same scores with the default seed.
    const a = agreementWithCi(truth, pred);
    for (const k of ['mae_lo', 'mae_hi', 'pearson_lo', 'pearson_hi', 'icc_lo', 'icc_hi', 'icc_f_lo', 'icc_f_hi'] as const) {
      assert.ok(Math.abs(Number(row[k]) - a[k]) < 1e-3, `${dim} ${k}: ${row[k]} vs ${a[k]}`);
    }
  });
});

test('compare: three approaches per exercise; rule MAE equals ruleScoresBatch on the same sequences', async () => {
  const res = await runComparison(ws.opts);
  assert.equal(header(res.csvPath), COMPARISON_COLUMNS.join(','));
  const rows = readCsv(res.csvPath);
  assert.equal(rows.length, WITH_MODEL.length * 3);
  for (const ex of WITH_MODEL) {
    const mine = rows.filter((r) => r.exercise === ex);
    assert.deepEqual(mine.map((r) => r.approach), ['rule', 'network', 'hybrid']);
    const { test: split } = loadDataset(ex, { dataDir: ws.dataDir, seed: 42, includeReal: false });
    const truth = split.y.map((v) => v * 100);
    const rule = ruleScoresBatch(split.sequences, split.n, ex);
    assert.ok(Math.abs(Number(mine[0].mae) - mae(rule, truth)) < 1e-4, `${ex}: rule MAE ${mine[0].mae} vs ${mae(rule, truth)}`);
    const rs = DIMENSIONS.map((_, d) => pearson(column(rule, split.n, d), column(truth, split.n, d)));
    assert.ok(Math.abs(Number(mine[0].mean_pearson) - rs.reduce((a, b) => a + b) / 6) < 1e-4);
    // The hybrid is the app's 0.3/0.7 blend of the other two.
    const net = (await predictCheckpoint(join(ws.modelsDir, 'saved', `${ex}_phase1_final`), split.x, split.n, { engine: 'reference' })).map((v) => v * 100);
    const hybrid = rule.map((r, i) => 0.3 * r + 0.7 * net[i]);
    assert.ok(Math.abs(Number(mine[2].mae) - mae(hybrid, truth)) < 1e-4);
    for (const r of mine) for (const k of ['mae', 'mean_pearson', 'overall_mae', 'overall_pearson']) {
      assert.ok(Number(r[`${k}_lo`]) <= Number(r[k]) + 1e-9 && Number(r[k]) <= Number(r[`${k}_hi`]) + 1e-9, `${ex} ${r.approach} ${k}`);
    }
    assert.equal(Number(mine[0].n), split.n);
    // Paired rows: a − b per pair; the mean difference is the difference of the MAEs over all six dimensions.
    const paired = readCsv(res.pairedPath).filter((r) => r.exercise === ex);
    assert.deepEqual(paired.map((r) => `${r.a}-${r.b}`), ['network-rule', 'hybrid-rule', 'network-hybrid']);
    assert.ok(Math.abs(Number(paired[0].diff) - (Number(mine[1].mae) - Number(mine[0].mae))) < 1e-3, `${ex} network − rule`);
    for (const r of paired) {
      assert.ok(Number(r.diff_lo) <= Number(r.diff) && Number(r.diff) <= Number(r.diff_hi), `${ex} ${r.a}-${r.b} CI`);
      assert.ok(Number(r.p_value) > 0 && Number(r.p_value) <= 1);
    }
  }
  assert.equal(header(res.pairedPath), PAIRED_COLUMNS.join(','));
  assert.equal(res.pairedPath, join(ws.outDir, 'results_paired.csv'));
});

test('findCheckpoint: final first, then best, else null', () => {
  const models = tempDir();
  assert.equal(findCheckpoint(models, 'squat', 1), null);
  const best = join(models, 'saved', 'squat_phase2_best');
  cpSync(join(ws.modelsDir, 'saved', 'squat_phase1_final'), best, { recursive: true });
  assert.equal(findCheckpoint(models, 'squat', 2), best);
  const final = join(models, 'saved', 'squat_phase2_final');
  cpSync(best, final, { recursive: true });
  assert.equal(findCheckpoint(models, 'squat', 2), final);
});

test('wasm engine and the reference oracle give the same scores', async () => {
  const { test: split } = loadDataset('plank', { dataDir: ws.dataDir, seed: 42, includeReal: false });
  const dir = join(ws.modelsDir, 'saved', 'plank_phase1_final');
  const a = await predictCheckpoint(dir, split.x, split.n, { engine: 'reference' });
  const b = await predictCheckpoint(dir, split.x, split.n, { engine: 'wasm', threads: 1 });
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-4, `max |wasm − reference| = ${worst}`);
});

test('evaluate and compare with no models fail, write nothing and keep existing CSVs', async () => {
  const out = tempDir();
  const csv = join(out, 'results_evaluation.csv'), cmp = join(out, 'results_comparison.csv');
  writeFileSync(csv, 'keep me\n');
  const opts = { ...ws.opts, modelsDir: tempDir(), outDir: out, log: () => {} };
  await assert.rejects(runEvaluation(opts), (err: Error) =>
    err instanceof MissingInputError && /no phase 1 model for squat, plank, lunge .*nothing written$/.test(err.message) && err.remedy === 'train --phase 1');
  await assert.rejects(runComparison({ ...opts, exercises: ['plank'] }), (err: Error) =>
    err instanceof MissingInputError && err.remedy === 'train --phase 1 --exercise plank');
  assert.equal(readFileSync(csv, 'utf8'), 'keep me\n');
  assert.ok(!existsSync(cmp));
});

test('CLI: bad phase and missing data give one-line errors and exit 1', () => {
  const cli = join(REPO_ROOT, 'bin', 'formscore.js');
  const bad = spawnSync(process.execPath, [cli, 'evaluate', '--phase', '4'], { cwd: ws.root, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /phase/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  const few = spawnSync(process.execPath, [cli, 'evaluate', '--phase', '1', '--resamples', '100'], { cwd: ws.root, encoding: 'utf8' });
  assert.equal(few.status, 1);
  assert.equal(few.stderr.trim(), 'formscore: --resamples must be a whole number ≥ 1000, got "100"');
  // A model but no synthetic data: the error names the command that makes it.
  const empty = tempDir();
  mkdirSync(join(empty, 'models', 'saved'), { recursive: true });
  cpSync(join(ws.modelsDir, 'saved', 'squat_phase1_final'), join(empty, 'models', 'saved', 'squat_phase1_final'), { recursive: true });
  const missing = spawnSync(process.execPath, [cli, 'compare', '--phase', '1', '--exercise', 'squat', '--engine', 'reference'], { cwd: empty, encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /formscore generate --exercise squat/);
  assert.ok(!existsSync(join(empty, 'evaluation')));
});

test('the split seed defaults to the one the checkpoint records; a different --seed warns', async () => {
  const models = tempDir();
  const { weights } = loadCheckpoint(join(ws.modelsDir, 'saved', 'plank_phase1_final'));
  saveCheckpoint(join(models, 'saved', 'plank_phase1_final'), weights, { training: { seed: 7 } });
  const base = { ...ws.opts, exercises: ['plank' as const], modelsDir: models, seed: undefined };
  const lines: string[] = [];
  const { results } = await predictTestSplits({ ...base, log: (l) => lines.push(l) });
  const seven = loadDataset('plank', { dataDir: ws.dataDir, seed: 7, includeReal: false }).test;
  assert.deepEqual(results[0].sequences, seven.sequences);
  assert.ok(!lines.some((l) => l.startsWith('warning')));
  await predictTestSplits({ ...base, seed: 42, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.startsWith('warning') && l.includes('seed 7')), lines.join('\n'));
});
