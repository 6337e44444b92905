import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runReport, REPORT_SECTIONS, summaryRows } from '../src/evaluate/report.js';
import { readExportSummary } from '../src/workspace/export-summary.js';
import { makeWorkspace, WITH_MODEL } from './helpers/evaluate-workspace.js';
import { tempDir } from './helpers/fixtures.js';

const ws = makeWorkspace();
const exportDir = join(ws.root, 'export');
mkdirSync(join(exportDir, 'tflite'), { recursive: true });
writeFileSync(join(exportDir, 'tflite', 'form_scorer_squat_v1.tflite'), new Uint8Array(123456));
// The layout `formscore export` writes: per-exercise details plus a flat `files` list.
writeFileSync(join(exportDir, 'tflite', 'export_summary.json'), JSON.stringify({
  formscore: '0.1.0', updated_at: '2026-01-01T00:00:00Z',
  exercises: { squat: { file: 'form_scorer_squat_v1.tflite', bytes: 123456, verification: { 'tfjs-tflite': { max_abs_diff: 1.5e-4 } } } },
  files: [{ exercise: 'squat', file: 'form_scorer_squat_v1.tflite', bytes: 123456, form: 'fused', dtype: 'float16', phase: 1,
    max_abs_diff: { 'tfjs-tflite': 1.47e-4, litert: 2.1e-4 }, mean_latency_ms: { 'tfjs-tflite': 7.5, litert: 0.92 } }],
}));

// XML namespace names are identifiers, not links; nothing else may point off the page.
const NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/xmlns/', 'http://www.w3.org/1999/xhtml']);

let html = '', path = '';

test('report: one page with every section, tables, charts, and no external URL', async () => {
  ({ html, path } = await runReport({ ...ws.opts, exportDir }));
  assert.equal(path, join(ws.outDir, 'report.html'));
  for (const s of REPORT_SECTIONS) {
    assert.ok(html.includes(`<section id="${s.id}">`), `section ${s.id}`);
    assert.ok(html.includes(`href="#${s.id}"`), `nav link to ${s.id}`);
  }
  for (const name of ['score_distributions', 'sample_reps', 'training_curves_squat', 'mae_heatmap', 'hybrid_comparison', 'transfer_mae', ...WITH_MODEL.map((e) => `scatter_${e}`)]) {
    assert.ok(html.includes(`data-name="${name}"`), `chart ${name}`);
  }
  assert.ok(html.includes('<th>icc</th>') && html.includes('<th>mean_pearson</th>'), 'evaluation and comparison tables');
  assert.ok(html.includes('form_scorer_squat_v1.tflite') && html.includes('123456'), 'tflite size');
  assert.ok(html.includes('mean_latency_ms.litert') && html.includes('0.9200'), 'latency from export_summary.json');
  assert.ok(html.includes('max_abs_diff.tfjs-tflite') && html.includes('1.47e-4'), 'parity from export_summary.json');
  assert.ok(html.includes('vega.View') && html.includes('table.sortable'), 'inline vega and sorting script');
  const urls = html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
  const external = urls.filter((u) => !NAMESPACES.has(u));
  assert.deepEqual(external, []);
  assert.ok(!/<(script|link|img)[^>]+(src|href)=/i.test(html), 'no external script, stylesheet or image');
});

test('report: renders in headless Chromium offline, every chart drawn, tooltips, no errors', async () => {
  assert.ok(existsSync(path));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [], requests: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto('file://' + path);
    const total = await page.locator('.chart').count();
    await page.waitForFunction((n) => document.querySelectorAll('.chart[data-rendered] svg').length === n, total, { timeout: 30000 });
    assert.ok(total >= 9);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    // Hovering a scatter point sets vega's tooltip (the title attribute).
    const scatter = page.locator('.chart[data-name="scatter_squat"]');
    await scatter.locator('.mark-symbol path').first().hover({ force: true });
    await page.waitForFunction(() => document.querySelector('.chart[data-name="scatter_squat"]')!.getAttribute('title'), null, { timeout: 5000 });
    assert.match((await scatter.getAttribute('title'))!, /ground truth: \d/);
    // Clicking a numeric header sorts the rows by that column.
    const table = page.locator('#evaluation table').nth(1);
    await table.locator('th', { hasText: /^mae$/ }).click();
    const maes = (await table.locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
    assert.deepEqual(maes, [...maes].sort((a, b) => a - b));
  } finally {
    await browser.close();
  }
});

test('report: without models or exports it still writes the page and says what to run', async () => {
  const lines: string[] = [];
  const { html } = await runReport({ ...ws.opts, modelsDir: tempDir(), outDir: tempDir(), exportDir: tempDir(), log: (l) => lines.push(l) });
  assert.ok(html.includes('No phase 1 models found: run formscore train --phase 1.'));
  assert.ok(html.includes('run formscore export --all'));
  assert.ok(html.includes('data-name="score_distributions"'));
});

test('summaryRows: one row per exported file, the runtimes\' numbers as columns', () => {
  const summary = readExportSummary(join(exportDir, 'tflite', 'export_summary.json'));
  assert.deepEqual(summaryRows(summary), [{
    exercise: 'squat', file: 'form_scorer_squat_v1.tflite', bytes: 123456, form: 'fused', dtype: 'float16', phase: 1,
    'max_abs_diff.tfjs-tflite': 1.47e-4, 'max_abs_diff.litert': 2.1e-4, 'mean_latency_ms.tfjs-tflite': 7.5, 'mean_latency_ms.litert': 0.92,
  }]);
  assert.throws(() => readExportSummary(join(ws.root, 'nothing.json')), /ENOENT/);
});
