// Issue 13: phases 1, 2 and 3 side by side in the heatmap and the report when their
// models exist; a Bland-Altman plot of two annotators of the real reps; the report's
// across-seeds table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { saveCheckpoint } from '../src/nn/checkpoint.js';
import { initWeights } from '../src/nn/init.js';
import { AnnotationStore } from '../src/annotate/store.js';
import { sharedPair } from '../src/annotate/adjudication.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import { REP_SIZE } from '../src/data/exercises.js';
import { collectPhaseData } from '../src/evaluate/comparison.js';
import { annotatorAgreementRows, buildFigures, renderSvg } from '../src/evaluate/figures/index.js';
import { blandAltman } from '../src/evaluate/bland-altman.js';
import { runReport } from '../src/evaluate/report.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { makeWorkspace } from './helpers/evaluate-workspace.js';

/** 12 real squat reps scored by anna, and the first 10 of them by ben (ben 5 points higher on overall, ± 1). */
function annotate(dataDir: string): { anna: number[]; ben: number[] } {
  const store = new AnnotationStore(dataDir, 'squat');
  const g = generateSynthetic('squat', 12, 99);
  const source = { reps: Array.from({ length: 12 }, (_, i) => ({ repId: `r${i}`, sequence: g.sequences.slice(i * REP_SIZE, (i + 1) * REP_SIZE) })) };
  const key = store.resolveSource('session.csv', source);
  const anna: number[] = [], ben: number[] = [];
  for (let i = 0; i < 12; i++) {
    const base = 40 + 4 * i;
    store.save(key, source, `r${i}`, 'anna', [50, 60, 70, 80, 90, base]);
    anna.push(base);
    if (i < 10) {
      const other = base + 5 + (i % 2 ? 1 : -1);
      store.save(key, source, `r${i}`, 'ben', [55, 60, 70, 80, 90, other]);
      ben.push(other);
    }
  }
  return { anna: anna.slice(0, 10), ben };
}

test('two annotators: the pair sharing the most reps, second − first, with the Bland-Altman bias and limits', async () => {
  const ws = makeWorkspace();
  assert.equal(annotatorAgreementRows(ws.dataDir, 'squat'), null, 'no annotations: no figure');
  const { anna, ben } = annotate(ws.dataDir);
  const pair = sharedPair(new AnnotationStore(ws.dataDir, 'squat').rows())!;
  assert.deepEqual(pair.annotators, ['anna', 'ben']);
  assert.equal(pair.scores[0].length, 10, 'only the reps both scored');
  const rows = annotatorAgreementRows(ws.dataDir, 'squat')!;
  assert.equal(rows.points.length, 10);
  assert.ok(rows.points.every((p) => p.method === 'ben − anna'));
  const bias = rows.lines.find((l) => l.line === 'bias')!;
  const expected = blandAltman(anna, ben);
  assert.equal(bias.value, Number(expected.bias.toFixed(4)));
  assert.equal(expected.bias, 5, 'ben scores 5 points higher on average');

  const figures = buildFigures(await collectPhaseData({ ...ws.opts, exercises: ['squat'] }), { exercises: ['squat'], dataDir: ws.dataDir, modelsDir: ws.modelsDir, log: () => {} });
  const f = figures.find((x) => x.name === 'bland_altman_annotators_squat')!;
  assert.equal(f.section, 'dataset');
  const svg = await renderSvg(f.spec);
  assert.match(svg, /Bland-Altman agreement with annotator anna, overall score/);
  assert.match(svg, /real reps both annotated, 10 reps/);
  assert.match(svg, /ben − anna/);
});

test('phases side by side: the heatmap has one panel per phase with models, the report a table of the overall rows', async () => {
  const ws = makeWorkspace();
  annotate(ws.dataDir); // phases 2 and 3 read the real reps
  saveCheckpoint(join(ws.modelsDir, 'saved', 'squat_phase3_final'), initWeights(9));
  const data = await collectPhaseData(ws.opts);
  assert.deepEqual(data.phases.map((p) => p.phase), [1, 3]);
  const three = data.phases[1].metrics.find((m) => m.exercise === 'squat' && m.dimension === 'overall')!;
  const one = data.metrics.find((m) => m.exercise === 'squat' && m.dimension === 'overall')!;
  assert.ok(three.n > one.n, 'phase 3 adds the real reps to the test split');
  assert.ok(ws.lines.some((l) => /phase 3 models exist too/.test(l)));

  const heatmap = buildFigures(data, { exercises: ws.opts.exercises, dataDir: ws.dataDir, modelsDir: ws.modelsDir, log: () => {} }).find((f) => f.name === 'mae_heatmap')!;
  const svg = await renderSvg(heatmap.spec);
  assert.match(svg, /Network MAE by exercise and dimension, phases 1, 3/);
  assert.match(svg, />phase 1</);
  assert.match(svg, />phase 3</);

  // The report: the phases table, and the across-seeds table when results_seeds_summary.csv has the phase.
  writeFileAtomic(join(ws.outDir, 'results_seeds_summary.csv'), [
    'exercise,phase,dimension,seeds,selected_seed,best_val_mae_mean,best_val_mae_sd,mae_mean,mae_sd,rmse_mean,rmse_sd,pearson_mean,pearson_sd,icc_mean,icc_sd',
    'squat,1,overall,3,43,12.5,0.5,13.25,0.75,15,1,0.9,0.01,0.8,0.02',
    'squat,2,overall,3,7,9,1,9,1,9,1,0.9,0.01,0.8,0.02',
  ].join('\n') + '\n');
  const { html } = await runReport({ ...ws.opts, exportDir: ws.root });
  assert.match(html, /<h3>Phases side by side \(overall dimension\)<\/h3>/);
  const table = html.slice(html.indexOf('Phases side by side'), html.indexOf('</table>', html.indexOf('Phases side by side')));
  assert.equal((table.match(/<td>squat<\/td><td class="num" data-v="(1|3)">/g) ?? []).length, 2, 'squat in phase 1 and phase 3');
  assert.match(html, /<h3>Across seeds<\/h3>/);
  assert.match(html, /lowest validation MAE: squat: seed 43/);
  assert.match(html, /13\.250 ± 0\.750/);
  assert.doesNotMatch(html, /seed 7/, 'only this phase\'s seeds');
});
