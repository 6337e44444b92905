// `formscore report`: one self-contained HTML page with everything the seed project's
// analysis notebook showed. It opens offline: vega's browser build and every chart's
// compiled Vega spec (with its data) are inlined, so charts are live (hover tooltips)
// without a CDN; tables sort by a click on their header.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { DIMENSIONS, EXERCISES, N_SCORES, type Exercise } from '../data/exercises.js';
import { hasRealData, readRepFolder } from '../data/dataset.js';
import { readNpyFloat32 } from '../data/npy.js';
import { PHASES } from '../train/phases.js';
import { VERSION } from '../version.js';
import { collectPhaseData, comparisonDisplay, COMPARISON_DISPLAY_COLUMNS, HYBRID_LABEL, type PhaseData } from './comparison.js';
import { TARGETS, TARGET_COLUMNS, ciNote, column, targetSummary, type MetricRow, type PhaseOptions } from './evaluation.js';
import { agreementDisplay, AGREEMENT_DISPLAY_COLUMNS } from './agreement.js';
import { pairedDisplay, PAIRED_DISPLAY_COLUMNS } from './paired.js';
import { readSeedCsv, seedDisplay, SEED_DISPLAY_COLUMNS, SEEDS_CSV, SEEDS_SUMMARY_CSV } from './seeds.js';
import { buildFigures, toVega, type Figure, type Section } from './figures/index.js';
import { fmt, type Row } from './table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readExportSummary, type ExportSummary } from '../workspace/export-summary.js';
import {
  DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, DEFAULT_EXPORT_DIR, repFolder, sourceFolder,
  logsFolder, tfliteFolder, EXPORT_SUMMARY_JSON, SCORES_NPY,
} from '../workspace/layout.js';

const require = createRequire(import.meta.url);

export const REPORT_HTML = 'report.html';

/** Section ids in page order, with their headings. */
export const REPORT_SECTIONS: readonly { id: Section | 'export'; heading: string }[] = [
  { id: 'dataset', heading: 'Dataset' },
  { id: 'samples', heading: 'Sample reps' },
  { id: 'training', heading: 'Training curves' },
  { id: 'evaluation', heading: 'Evaluation on the test split' },
  { id: 'transfer', heading: 'Transfer to pose-log sessions' },
  { id: 'comparison', heading: 'Rule-based vs network vs hybrid' },
  { id: 'export', heading: 'Exported TFLite models' },
];

export interface ReportOptions extends PhaseOptions {
  outDir?: string; // default 'evaluation'
  exportDir?: string; // default 'export'; reads <exportDir>/tflite/
}

// ---- small HTML helpers -------------------------------------------------------------

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A sortable table; numbers right-aligned and carried in data-v for numeric sorting. */
export function htmlTable(columns: readonly string[], rows: readonly Row[], digits = 3): string {
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows.map((r) => '<tr>' + columns.map((c) => {
    const v = r[c] ?? '';
    return typeof v === 'number'
      ? `<td class="num" data-v="${Number.isNaN(v) ? '' : v}">${esc(fmt(v, digits))}</td>`
      : `<td${/^PASS/.test(v) ? ' class="pass"' : /^MISS/.test(v) ? ' class="miss"' : ''}>${esc(v)}</td>`;
  }).join('') + '</tr>').join('\n');
  return `<table class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const note = (text: string) => `<p class="note">${esc(text)}</p>`;

/** Metric rows as a table of values with their 95 % intervals (the CSVs hold the bounds as numbers). */
function metricsTable(rows: readonly MetricRow[]): string {
  const columns = ['exercise', 'dimension', 'n', ...AGREEMENT_DISPLAY_COLUMNS];
  return htmlTable(columns, rows.map((r) => ({ exercise: r.exercise, dimension: r.dimension, n: r.n, ...agreementDisplay(r) })));
}

// ---- the sections' data -------------------------------------------------------------

/** Per exercise: synthetic and real rep counts, test reps, mean ± std of each synthetic score. */
export function datasetSummary(exercises: readonly Exercise[], dataDir: string, data: PhaseData): Row[] {
  const rows: Row[] = [];
  for (const exercise of exercises) {
    const path = join(repFolder(dataDir, 'generated', exercise), SCORES_NPY);
    if (!existsSync(path)) continue;
    const { data: scores, shape } = readNpyFloat32(path, [-1, N_SCORES]);
    const n = shape[0];
    const real = PHASES[data.phase].includeReal && hasRealData(exercise, dataDir) ? readRepFolder(repFolder(dataDir, 'real', exercise)).n : 0;
    const test = data.predictions.find((p) => p.exercise === exercise)?.n;
    const row: Row = { exercise, synthetic: n, real, 'test reps': test ?? '—' };
    DIMENSIONS.forEach((d, k) => {
      const col = column(scores, n, k);
      const mean = col.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      row[d] = `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
    });
    rows.push(row);
  }
  return rows;
}

/** The export section: export_summary.json as a table when present, and the .tflite files' sizes. */
export function exportSection(exportDir: string): string {
  const dir = tfliteFolder(exportDir);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tflite')).sort() : [];
  if (files.length === 0) return note(`No exported models in ${dir} yet: run formscore export --all.`);
  const parts: string[] = [];
  const summaryPath = join(dir, EXPORT_SUMMARY_JSON);
  if (existsSync(summaryPath)) {
    try {
      const rows = summaryRows(readExportSummary(summaryPath));
      if (rows.length) {
        const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
        parts.push(`<h3>Export summary (${esc(basename(summaryPath))}): sizes, parity and measured latency</h3>`, htmlTable(columns, rows, 4));
      }
    } catch (err) {
      parts.push(note(`${summaryPath}: could not be read (${(err as Error).message}); showing file sizes only.`));
    }
  }
  const sizes = files.map((f) => {
    const bytes = statSync(join(dir, f)).size;
    return { file: f, bytes, KB: bytes / 1024 };
  });
  parts.push('<h3>Files</h3>', htmlTable(['file', 'bytes', 'KB'], sizes, 1));
  return parts.join('\n');
}

/** The summary's rows, one per file, the runtimes' numbers as `max_abs_diff.<runtime>` columns. */
export function summaryRows(summary: ExportSummary): Row[] {
  return summary.files.map(({ max_abs_diff, mean_latency_ms, ...file }) => ({
    ...file,
    ...Object.fromEntries(Object.entries(max_abs_diff).map(([rt, v]) => [`max_abs_diff.${rt}`, v])),
    ...Object.fromEntries(Object.entries(mean_latency_ms).map(([rt, v]) => [`mean_latency_ms.${rt}`, v])),
  }));
}

/** The overall dimension of every phase that has models, side by side; empty with one phase. */
function phasesSection(data: PhaseData): string {
  if (data.phases.length < 2) return '';
  const rows = data.phases.flatMap((p) => p.metrics.filter((m) => m.dimension === 'overall').map((m) => ({ phase: p.phase, m })))
    .sort((a, b) => EXERCISES.indexOf(a.m.exercise) - EXERCISES.indexOf(b.m.exercise) || a.phase - b.phase)
    .map(({ phase, m }) => ({ exercise: m.exercise, phase, n: m.n, ...agreementDisplay(m) }));
  return '<h3>Phases side by side (overall dimension)</h3>' +
    note(`Every phase with a model, on its own test split: phases 2 and 3 add the real annotated reps to the synthetic test reps of phase 1 (the same synthetic reps in every phase). This report's other sections show phase ${data.phase}.`) +
    htmlTable(['exercise', 'phase', 'n', ...AGREEMENT_DISPLAY_COLUMNS], rows);
}

/** Mean ± SD across the seeds of `train --seeds` (results_seeds_summary.csv), when the phase has them. */
function seedsSection(path: string, phase: number): string {
  const rows = readSeedCsv(path).filter((r) => Number(r.phase) === phase);
  if (rows.length === 0) return '';
  const selected = [...new Map(rows.map((r) => [r.exercise, r.selected_seed])).entries()].map(([e, s]) => `${e}: seed ${s}`).join(', ');
  return '<h3>Across seeds</h3>' +
    `<p>The phase trained once per seed on one data split (<code>train --seeds</code>), every seed's model scored on the same ` +
    `test reps: mean ± SD (n − 1) over the seeds. The exported model is the seed with the lowest validation MAE: ${esc(selected)}. ` +
    `Per-seed rows: <code>${esc(SEEDS_CSV)}</code>.</p>` +
    htmlTable(SEED_DISPLAY_COLUMNS, seedDisplay(rows));
}

// ---- charts ---------------------------------------------------------------------------

/** The browser build of vega (UMD, defines `vega`), read from node_modules. */
function vegaBrowserBundle(): string {
  // vega's package exports only '.', so locate the build folder through the main entry.
  return readFileSync(join(dirname(require.resolve('vega')), 'vega.min.js'), 'utf8');
}

let chartId = 0;

/** A chart placeholder plus its compiled Vega spec as inline JSON. */
function chart(f: Figure): string {
  const id = `chart-${chartId++}`;
  // Browsers lack DejaVu Sans unless installed; fall back to their own sans-serif.
  const spec = toVega({ ...f.spec, config: { font: 'DejaVu Sans, Verdana, Arial, sans-serif' } } as TopLevelSpec);
  delete spec.$schema; // a URL; the page must hold none besides XML namespaces
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<figure><div class="chart" id="${id}" data-name="${esc(f.name)}"></div>` +
    `<figcaption>${esc(f.title)} <span class="file">(figures/${esc(f.name)}.png)</span></figcaption>` +
    `<script type="application/json" data-chart="${id}">${json}</script></figure>`;
}

// ---- the page -------------------------------------------------------------------------

export function renderReport(data: PhaseData, figures: Figure[], opts: ReportOptions): string {
  chartId = 0;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  // Charts of a section (optionally only some names) side by side where the page is wide enough.
  const charts = (section: Section, names?: (name: string) => boolean) => {
    const mine = figures.filter((f) => f.section === section && (!names || names(f.name)));
    return mine.length ? `<div class="charts">${mine.map(chart).join('\n')}</div>` : '';
  };
  const trained = data.predictions.map((p) => p.exercise);
  const noModels = note(`No phase ${data.phase} models found: run formscore train --phase ${data.phase}.`);
  const skipped = data.skipped.length
    ? `<ul class="skipped">${data.skipped.map((s) => `<li>${esc(s.exercise)}: ${esc(s.reason)}</li>`).join('')}</ul>` : '';

  const body: Record<string, string> = {
    dataset: (() => {
      const rows = datasetSummary(opts.exercises, dataDir, data);
      if (!rows.length) return note(`No synthetic data in ${sourceFolder(dataDir, 'generated')}: run formscore generate.`);
      return '<p>Synthetic reps per exercise (plus real annotated reps in phases 2–3), split 70/15/15 stratified by overall score; ' +
        'ground-truth scores on 0–100 as mean ± std.</p>' +
        htmlTable(['exercise', 'synthetic', 'real', 'test reps', ...DIMENSIONS], rows) + charts('dataset');
    })(),
    samples: charts('samples') || note('No synthetic data to draw sample reps from.'),
    training: charts('training') || note(`No training history for phase ${data.phase} in ${logsFolder(opts.modelsDir ?? DEFAULT_MODELS_DIR)}.`),
    evaluation: trained.length === 0 ? noModels + skipped : [
      `<p>Network vs ground truth on the held-out test split, scores 0–100. ICC is ICC(2,1) (absolute agreement) with ` +
        `ground truth and network as two raters. Targets on the overall dimension: MAE &lt; ${TARGETS.mae}, ` +
        `Pearson r &gt; ${TARGETS.pearson}, ICC &gt; ${TARGETS.icc}; ci_clear says whether the whole 95 % interval meets ` +
        `all three. Intervals: ${esc(ciNote(opts.bootstrap))}; the bootstrap resamples reps of the test split.</p>`,
      '<h3>Targets (overall dimension)</h3>', htmlTable(TARGET_COLUMNS, targetSummary(data.metrics)),
      phasesSection(data), seedsSection(join(opts.outDir ?? DEFAULT_EVALUATION_DIR, SEEDS_SUMMARY_CSV), data.phase),
      charts('evaluation', (n) => n === 'mae_heatmap'),
      '<h3>Per dimension</h3>', metricsTable(data.metrics), skipped,
      ...trained.map((ex) => `<h3>${esc(ex)}</h3>` + charts('evaluation', (n) => n === `scatter_${ex}` || n === `error_dist_${ex}` || n === `bland_altman_${ex}`)),
    ].join('\n'),
    transfer: data.transfer.rows.length === 0 ? noModels : [
      `<p>What the phone will see: the network against the app's rule scorer (layer 1, which it learns) on the pose-log ` +
        `sessions in <code>${esc(data.transfer.source)}</code>, read and resampled exactly as the app's exports. A model can ` +
        'fit its synthetic test split closely and still misjudge ordinary recordings; these numbers say whether it does. ' +
        'ICC is ICC(2,1) with rule and network as two raters.</p>',
      metricsTable(data.transfer.rows), charts('transfer'),
    ].join('\n'),
    comparison: trained.length === 0 ? noModels : [
      '<p>Rule-based (layer 1, from the raw angles), network only (layer 2), and the hybrid the app ships ' +
        `(${HYBRID_LABEL}) on the same test reps. MAE over all six dimensions; mean Pearson r over the six.</p>`,
      htmlTable(COMPARISON_DISPLAY_COLUMNS, comparisonDisplay(data.comparison)), charts('comparison'),
      '<h3>Paired comparison on the same reps</h3>',
      '<p>Each rep\'s absolute error is the mean over the six dimensions of |score − truth|; diff is the mean over reps of ' +
        '(error of a − error of b), negative when a errs less, with its 95 % percentile-bootstrap interval, and the two-sided ' +
        'Wilcoxon signed-rank p-value of the per-rep differences.</p>',
      htmlTable(PAIRED_DISPLAY_COLUMNS, pairedDisplay(data.paired)),
    ].join('\n'),
    export: exportSection(opts.exportDir ?? DEFAULT_EXPORT_DIR),
  };

  const sections = REPORT_SECTIONS.map((s) => `<section id="${s.id}"><h2>${esc(s.heading)}</h2>\n${body[s.id]}\n</section>`).join('\n');
  const nav = REPORT_SECTIONS.map((s) => `<a href="#${s.id}">${esc(s.heading)}</a>`).join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>formscore report: phase ${data.phase}</title>
<style>${CSS}</style></head>
<body><header><h1>formscore: form scorer analysis, phase ${data.phase} (${esc(PHASES[data.phase].name)})</h1>
<p class="meta">formscore ${esc(VERSION)} · generated ${esc(new Date().toISOString().replace('T', ' ').slice(0, 16))} UTC · ` +
    `exercises: ${esc(opts.exercises.join(', '))} · ${N_SCORES} score dimensions: ${esc(DIMENSIONS.join(', '))}</p>
<nav>${nav}</nav></header>
<main>
${sections}
</main>
<script>${vegaBrowserBundle()}</script>
<script>${PAGE_JS}</script>
</body></html>
`;
}

const CSS = `
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #20364f; color: white; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { margin: 0 0 8px; opacity: .85; font-size: 13px; }
nav a { color: #cfe3ff; font-size: 14px; }
main { padding: 8px 28px 40px; max-width: 1800px; }
section { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 20px 16px; margin: 18px 0; }
h2 { font-size: 19px; border-bottom: 2px solid #20364f; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 14px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; }
th { background: #eef2f7; cursor: pointer; user-select: none; white-space: nowrap; }
th.asc::after { content: " ▲"; } th.desc::after { content: " ▼"; }
tbody tr:nth-child(even) { background: #f7f9fb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { color: #1b7a2f; font-weight: bold; } td.miss { color: #b3261e; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 36px; align-items: flex-start; }
figure { margin: 12px 0 22px; } figcaption { font-size: 12px; color: #666; }
figcaption .file { color: #999; }
.note { color: #8a5a00; background: #fff7e0; padding: 6px 10px; border-radius: 4px; }
.skipped { color: #8a5a00; font-size: 13px; }
`;

// Renders every chart with vega's SVG renderer (hover tooltips come from vega's default
// tooltip handler, the title attribute) and makes tables sortable.
const PAGE_JS = `
document.querySelectorAll('script[data-chart]').forEach(function (s) {
  var el = document.getElementById(s.getAttribute('data-chart'));
  var view = new vega.View(vega.parse(JSON.parse(s.textContent)), { renderer: 'svg', container: el, hover: true });
  view.runAsync().then(function () { el.setAttribute('data-rendered', 'yes'); })
    .catch(function (e) { el.textContent = 'chart failed: ' + e; });
});
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var dir = th.classList.contains('asc') ? -1 : 1;
    table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
    th.classList.add(dir > 0 ? 'asc' : 'desc');
    var key = function (tr) { var c = tr.cells[i]; return c.hasAttribute('data-v') ? parseFloat(c.getAttribute('data-v')) : c.textContent; };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x === 'number' && typeof y === 'number') return dir * ((isNaN(x) ? Infinity : x) - (isNaN(y) ? Infinity : y));
      return dir * String(x).localeCompare(String(y));
    }).forEach(function (tr) { body.appendChild(tr); });
  });
});
`;

/** `formscore report`: collects the phase's results and writes <outDir>/report.html. */
export async function runReport(opts: ReportOptions): Promise<{ path: string; html: string }> {
  const log = opts.log ?? console.log;
  const data = await collectPhaseData(opts);
  const figures = buildFigures(data, opts);
  const html = renderReport(data, figures, opts);
  const path = join(opts.outDir ?? DEFAULT_EVALUATION_DIR, REPORT_HTML);
  writeFileAtomic(path, html);
  log(`wrote ${path} (${(html.length / 1024 / 1024).toFixed(1)} MB, ${figures.length} charts; opens offline)`);
  return { path, html };
}
