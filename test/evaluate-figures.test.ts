import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { runPlot, sampleRepsSpec, hybridComparisonSpec } from '../src/evaluate/figures/index.js';
import { svgToPng, renderSvg } from '../src/evaluate/figures/render.js';
import { dejaVuWidths } from '../src/evaluate/figures/font.js';
import { blandAltmanRows, histogram, readHistory } from '../src/evaluate/figures/data.js';
import { predictTestSplits } from '../src/evaluate/evaluation.js';
import { ruleScoresBatch } from '../src/data/rules.js';
import { tempDir } from './helpers/fixtures.js';
import { makeWorkspace, WITH_MODEL, WITHOUT_MODEL } from './helpers/evaluate-workspace.js';

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG (what resvg writes) to its pixels. */
function decodePng(buf: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR', 'first chunk is IHDR');
  const width = buf.readUInt32BE(16), height = buf.readUInt32BE(20);
  const depth = buf[24], colorType = buf[25], interlace = buf[28];
  assert.equal(depth, 8);
  assert.equal(interlace, 0);
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : assert.fail(`colour type ${colorType}`);
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length;) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Distinct colours and the share of pixels that are not (near) white. */
function inkStats(png: ReturnType<typeof decodePng>): { colours: number; ink: number } {
  const seen = new Set<number>();
  let ink = 0;
  const { pixels, channels } = png;
  for (let i = 0; i < pixels.length; i += channels) {
    seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) ink++;
  }
  return { colours: seen.size, ink: ink / (png.width * png.height) };
}

const ws = makeWorkspace();
const expected = [
  'score_distributions', 'sample_reps', 'training_curves_squat', 'mae_heatmap', 'hybrid_comparison', 'transfer_mae',
  ...WITH_MODEL.flatMap((ex) => [`scatter_${ex}`, `error_dist_${ex}`, `bland_altman_${ex}`]),
];
const titles: Record<string, string> = {
  scatter_squat: 'squat: network score vs ground truth',
  error_dist_plank: 'plank: prediction error',
  training_curves_squat: 'squat: training curves, phase 1',
  mae_heatmap: 'Network MAE by exercise and dimension',
  hybrid_comparison: 'Rule-based vs network vs hybrid',
  score_distributions: 'Synthetic data: score distributions',
  sample_reps: 'A typical rep of each exercise',
  transfer_mae: 'network vs rule scorer on the pose-log sessions',
  bland_altman_squat: 'squat: Bland-Altman agreement with the ground truth, overall score',
};

test('plot: every figure is written as SVG and a valid, non-blank PNG of sensible size', async () => {
  const { written, figures } = await runPlot(ws.opts);
  assert.deepEqual(figures.map((f) => f.name).sort(), [...expected].sort());
  assert.equal(written.length, 2 * expected.length);
  for (const name of expected) {
    const svgPath = join(ws.outDir, 'figures', `${name}.svg`), pngPath = join(ws.outDir, 'figures', `${name}.png`);
    const svg = readFileSync(svgPath, 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, name);
    assert.ok((svg.match(/<text/g) ?? []).length >= 5, `${name}: SVG has text`);
    assert.ok(svg.includes('font-family="DejaVu Sans"'), `${name}: bundled font named`);
    if (titles[name]) assert.ok(svg.includes(titles[name]), `${name}: title "${titles[name]}"`);
    const png = decodePng(readFileSync(pngPath));
    assert.ok(png.width >= 400 && png.width <= 5000 && png.height >= 250 && png.height <= 5000, `${name}: ${png.width}x${png.height}`);
    const { colours, ink } = inkStats(png);
    assert.ok(colours > 20, `${name}: only ${colours} colours`);
    assert.ok(ink > 0.01, `${name}: ink ${ink}`);
  }
  // Exercises without a model get no per-model figures; without history no curves.
  assert.ok(!existsSync(join(ws.outDir, 'figures', `scatter_${WITHOUT_MODEL}.png`)));
  assert.ok(!existsSync(join(ws.outDir, 'figures', 'training_curves_plank.png')));
  assert.ok(ws.lines.some((l) => l.includes('no training history') && l.includes('plank')), ws.lines.join('\n'));
});

test('PNG text comes from the bundled font (no system fonts are loaded)', () => {
  const svg = (text: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/>` +
    `<text x="10" y="28" font-family="DejaVu Sans" font-size="20" fill="black">${text}</text></svg>`;
  const withText = inkStats(decodePng(Buffer.from(svgToPng(svg('Squat 42'), 1))));
  const empty = inkStats(decodePng(Buffer.from(svgToPng(svg(''), 1))));
  assert.equal(empty.ink, 0);
  assert.ok(withText.ink > 0.03, `ink ${withText.ink}`);
});

test('text widths come from DejaVu Sans advance widths', async () => {
  const { regular, bold } = dejaVuWidths();
  // DejaVu Sans: digits advance 1303/2048 em, space 651/2048 em.
  assert.ok(Math.abs(regular.width('0123456789', 10) - 10 * 10 * 1303 / 2048) < 1e-3);
  assert.ok(Math.abs(regular.width(' ', 2048) - 651) < 1e-3);
  assert.ok(regular.width('MMMM', 12) > 2 * regular.width('iiii', 12));
  assert.ok(bold.width('overall', 12) > regular.width('overall', 12));
  // Vega lays out with them: an axis title sits right of the widest tick label.
  const svg = await renderSvg({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } });
  assert.ok(svg.includes('<text'));
});

test('histogram: equal bins over [lo, hi], out-of-range values in the end bins', () => {
  const bins = histogram([0, 9.9, 10, 55, 100, -3, 120], 0, 100, 10);
  assert.equal(bins.length, 10);
  assert.deepEqual(bins[0], { bin0: 0, bin1: 10, count: 3 });
  assert.equal(bins[1].count, 1);
  assert.equal(bins[5].count, 1);
  assert.equal(bins[9].count, 2);
  assert.equal(bins.reduce((s, b) => s + b.count, 0), 7);
});

test('readHistory: the training CSV (epochs from 0, nan spelled as Keras does); missing columns named', () => {
  const dir = tempDir();
  const ok = join(dir, 'h.csv'), bad = join(dir, 'bad.csv');
  writeFileSync(ok, 'epoch,loss,mae,val_loss,val_mae,lr\n0,0.5,0.4,nan,0.3,0.001\n1,0.25,0.2,0.2,0.15,0.0005\n');
  const rows = readHistory(ok);
  assert.equal(rows.length, 2);
  assert.equal(rows[1].val_mae, 0.15);
  assert.ok(Number.isNaN(rows[0].val_loss));
  writeFileSync(bad, 'epoch,loss,mae\n0,1,2\n');
  assert.throws(() => readHistory(bad), /bad\.csv: missing column "val_loss"/);
});

test('bland_altman rows: one panel per method, bias and limits from the differences of the overall score', async () => {
  const { results } = await predictTestSplits({ ...ws.opts, exercises: ['squat'], log: () => {} });
  const realistic = results[0];
  // The realistic profile's ground truth is the rule scorer itself: its rule panel is left out.
  const own = blandAltmanRows(realistic);
  assert.deepEqual([...new Set(own.lines.map((l) => l.method))], ['network − ground truth']);
  assert.equal(own.points.length, realistic.n);
  // the random-weight network differs from the truth, so its lines have bands of real width.
  for (const l of own.lines) assert.ok(l.lo < l.value && l.value < l.hi, JSON.stringify(l));

  // Ground truth from elsewhere (an expert, the seed profile): both panels, lines from the differences.
  const truth = realistic.truth.map((v, i) => (i % 6 === 5 ? Math.min(100, v + (Math.floor(i / 6) % 5)) : v));
  const p = { ...realistic, truth };
  const { points, lines } = blandAltmanRows(p);
  assert.equal(points.length, 2 * p.n);
  assert.deepEqual([...new Set(lines.map((l) => l.method))], ['network − ground truth', 'rule − ground truth']);
  const rule = ruleScoresBatch(p.sequences, p.n, 'squat');
  const diffs = Array.from({ length: p.n }, (_, i) => rule[i * 6 + 5] - p.truth[i * 6 + 5]);
  const bias = diffs.reduce((a, b) => a + b) / p.n;
  const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - bias) ** 2, 0) / (p.n - 1));
  const ruleLines = lines.filter((l) => l.method === 'rule − ground truth');
  const get = (name: string) => ruleLines.find((l) => l.line === name)!;
  assert.ok(Math.abs(get('bias').value - bias) < 1e-3);
  assert.ok(Math.abs(get('upper limit').value - (bias + 1.96 * sd)) < 1e-3);
  assert.ok(Math.abs(get('lower limit').value - (bias - 1.96 * sd)) < 1e-3);
  for (const l of ruleLines) assert.ok(l.lo <= l.value && l.value <= l.hi, JSON.stringify(l));
  assert.throws(() => blandAltmanRows(p, 'speed'), /unknown dimension "speed"/);
});

test('figures (issue 13): targets, learning rate, count axes, paired joint colours, no empty panel', () => {
  const svg = (name: string) => readFileSync(join(ws.outDir, 'figures', `${name}.svg`), 'utf8');
  // Training curves: a learning-rate panel, and the phase's validation-MAE target (15 in phase 1).
  assert.ok(svg('training_curves_squat').includes('learning rate'));
  assert.ok(svg('training_curves_squat').includes("dashed: the phase's target (15)"));
  // sample_reps: one colour per joint with left solid and right dashed, all five exercises in one row.
  const samples = svg('sample_reps');
  for (const t of ['joint', 'side', 'Knee', 'Shoulder', 'left', 'right']) assert.ok(samples.includes(`>${t}<`), `sample_reps legend "${t}"`);
  const spec = sampleRepsSpec([{ exercise: 'squat', angle: 'leftKnee', frame: 0, degrees: 170 }]) as { columns?: number };
  assert.equal(spec.columns, 5);
  // score_distributions: the histograms' count axis is labelled.
  assert.ok(svg('score_distributions').includes('>reps<'));
  // hybrid_comparison: the targets (MAE 8, r 0.85) are drawn as lines over the bars.
  const hybrid = JSON.stringify(hybridComparisonSpec([{ exercise: 'squat', approach: 'rule', mae: 4, mean_pearson: 0.9 }]));
  assert.ok(hybrid.includes('"target":8') && hybrid.includes('"target":0.85') && hybrid.includes('"type":"rule"'));
});
