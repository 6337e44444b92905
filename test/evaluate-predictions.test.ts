import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, REP_SIZE } from '../src/data/exercises.js';
import { loadDataset } from '../src/data/dataset.js';
import { generateSynthetic, writeSynthetic, TIERS } from '../src/data/synthetic.js';
import { ruleScores } from '../src/data/rules.js';
import { readNpyFloat32 } from '../src/data/npy.js';
import { mae } from '../src/evaluate/metrics.js';
import { runEvaluation } from '../src/evaluate/evaluation.js';
import { PREDICTION_COLUMNS, predictionRows } from '../src/evaluate/predictions.js';
import { makeWorkspace, REPS, WITH_MODEL } from './helpers/evaluate-workspace.js';
import { tempDir } from './helpers/fixtures.js';

const ws = makeWorkspace();
const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];

test('evaluate writes predictions_<ex>_phase<p>.csv: every rep once, with its split, origin and the four score sets', async () => {
  const res = await runEvaluation(ws.opts);
  assert.deepEqual(res.predictionPaths, WITH_MODEL.map((ex) => join(ws.outDir, `predictions_${ex}_phase1.csv`)));
  const metrics = readCsv(res.csvPath);
  for (const ex of WITH_MODEL) {
    const path = join(ws.outDir, `predictions_${ex}_phase1.csv`);
    assert.equal(readFileSync(path, 'utf8').split('\n')[0], PREDICTION_COLUMNS.join(','));
    assert.equal(PREDICTION_COLUMNS.length, 6 + 4 * 6);
    const rows = readCsv(path);
    // Every generated rep exactly once, in the split loadDataset puts it in.
    assert.equal(rows.length, REPS);
    assert.deepEqual(rows.map((r) => Number(r.index)).sort((a, b) => a - b), Array.from({ length: REPS }, (_, i) => i));
    const ds = loadDataset(ex, { dataDir: ws.dataDir, seed: 42, includeReal: false });
    for (const split of ['train', 'val', 'test'] as const) {
      const mine = rows.filter((r) => r.split === split);
      assert.deepEqual(mine.map((r) => Number(r.index)), Array.from(ds[split].index), `${ex} ${split} order`);
    }
    assert.ok(rows.every((r) => r.source === 'generated' && r.tier === '' && r.exercise === ex && r.phase === '1'));
    // Truth and rule scores come from the rep at that index in the generated data.
    const seqs = readNpyFloat32(join(ws.dataDir, 'generated', ex, 'sequences.npy')).data;
    const scores = readNpyFloat32(join(ws.dataDir, 'generated', ex, 'scores.npy')).data;
    for (const r of rows.slice(0, 10)) {
      const i = Number(r.index);
      const rule = ruleScores(seqs.subarray(i * REP_SIZE, (i + 1) * REP_SIZE), ex);
      DIMENSIONS.forEach((d, k) => {
        assert.ok(Math.abs(Number(r[`truth_${d}`]) - Math.min(100, Math.max(0, scores[i * 6 + k]))) < 1e-3, `${ex} rep ${i} truth_${d}`);
        assert.ok(Math.abs(Number(r[`rule_${d}`]) - rule[k]) < 1e-3, `${ex} rep ${i} rule_${d}`);
        const hybrid = 0.3 * Number(r[`rule_${d}`]) + 0.7 * Number(r[`network_${d}`]);
        assert.ok(Math.abs(Number(r[`hybrid_${d}`]) - hybrid) < 1e-3, `${ex} rep ${i} hybrid_${d}`);
      });
    }
    // The test rows reproduce results_evaluation.csv: a user can recompute every metric from this file.
    const test = rows.filter((r) => r.split === 'test');
    for (const d of DIMENSIONS) {
      const expected = Number(metrics.find((m) => m.exercise === ex && m.dimension === d)!.mae);
      const got = mae(test.map((r) => Number(r[`network_${d}`])), test.map((r) => Number(r[`truth_${d}`])));
      assert.ok(Math.abs(got - expected) < 1e-3, `${ex} ${d}: ${got} vs ${expected}`);
    }
  }
});

test('predictionRows: seed-profile reps name their quality tier', () => {
  const dataDir = tempDir();
  const data = generateSynthetic('pushup', 40, 3, 'seed');
  writeSynthetic(join(dataDir, 'generated', 'pushup'), data);
  const ds = loadDataset('pushup', { dataDir, seed: 1 });
  const asScores = (split: 'train' | 'val' | 'test') => {
    const s = ds[split];
    return { split, n: s.n, sequences: s.sequences, truth: s.y.map((v) => v * 100), network: s.y.map((v) => v * 100), source: s.source, index: s.index };
  };
  const rows = predictionRows({ exercise: 'pushup', checkpoint: 'x', ...asScores('test'), others: [asScores('train'), asScores('val')] }, 1, dataDir);
  assert.equal(rows.length, 40);
  for (const r of rows) assert.equal(r.tier, TIERS[data.tiers![Number(r.index)]]);
  assert.deepEqual(new Set(rows.map((r) => r.tier)), new Set(TIERS));
});
