// plot --format, --width, --font-size and --no-titles (issue 13): a PDF with DejaVu Sans
// embedded (checked in the file itself and, where poppler is installed, by a real reader),
// figures of the asked width with text of the asked size, and titles left out on request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, styledSpec, svgToPdf, writeFigure, scatterSpec, runPlot } from '../src/evaluate/figures/index.js';
import { svgSize } from '../src/evaluate/figures/pdf.js';
import { figureStyle } from '../src/cli/plot.js';
import { tempDir } from './helpers/fixtures.js';
import { makeWorkspace } from './helpers/evaluate-workspace.js';

const spec: TopLevelSpec = scatterSpec('squat',
  Array.from({ length: 12 }, (_, i) => ({ dimension: ['depth', 'overall'][i % 2], actual: i * 8, predicted: i * 7 + 3 })),
  [{ dimension: 'depth', caption: 'r = 0.99 · MAE = 2.0' }, { dimension: 'overall', caption: 'r = 0.98 · MAE = 3.0' }]);

/** The PDF's objects by number: dictionary text and, for streams, the inflated bytes. */
function pdfObjects(pdf: Buffer): Map<number, { dict: string; stream?: Buffer }> {
  const text = pdf.toString('latin1');
  const objects = new Map<number, { dict: string; stream?: Buffer }>();
  for (const m of text.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) {
    const body = m[2];
    const s = body.indexOf('stream');
    if (s < 0) { objects.set(Number(m[1]), { dict: body }); continue; }
    const start = m.index! + m[0].indexOf(body) + s + 'stream'.length + (body[s + 6] === '\r' ? 2 : 1);
    const end = text.lastIndexOf('endstream', m.index! + m[0].length);
    const raw = pdf.subarray(start, end);
    const dict = body.slice(0, s);
    objects.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw });
  }
  return objects;
}

test('svgToPdf: one page of the SVG\'s size, both DejaVu Sans faces embedded as TrueType font files', async () => {
  const svg = await renderSvg(styledSpec(spec));
  const pdf = Buffer.from(await svgToPdf(svg, 'scatter_squat'));
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.match(pdf.subarray(-6).toString('latin1'), /%%EOF/);
  const { width, height } = svgSize(svg);
  const objects = pdfObjects(pdf);
  const pages = [...objects.values()].filter((o) => /\/Type \/Page\b/.test(o.dict));
  assert.equal(pages.length, 1);
  const box = /\/MediaBox \[([\d. ]+)\]/.exec(pages[0].dict)![1].trim().split(/\s+/).map(Number);
  assert.deepEqual(box, [0, 0, width, height]);

  const descriptors = [...objects.values()].filter((o) => /\/Type \/FontDescriptor/.test(o.dict));
  const names = descriptors.map((d) => /\/FontName \/(\S+)/.exec(d.dict)![1].replace(/^[A-Z]{6}\+/, ''));
  assert.deepEqual(names.sort(), ['DejaVuSans', 'DejaVuSans-Bold']);
  for (const d of descriptors) {
    const ref = Number(/\/FontFile2 (\d+) 0 R/.exec(d.dict)![1]);
    const font = objects.get(ref)!.stream!;
    // A TrueType font file: sfnt version 1.0, or 'true' as pdfkit's subsetter writes it.
    assert.ok([0x00010000, 0x74727565].includes(font.readUInt32BE(0)), `sfnt version ${font.readUInt32BE(0).toString(16)}`);
    const tables = Array.from({ length: font.readUInt16BE(4) }, (_, i) => font.toString('latin1', 12 + 16 * i, 16 + 16 * i));
    for (const t of ['glyf', 'loca', 'head', 'hmtx']) assert.ok(tables.includes(t), `embedded font has its ${t} table`);
  }
  // The text is real text in that font (not outlines): the page draws with Tf.
  const content = [...objects.values()].find((o) => o.stream && /\bTf\b/.test(o.stream.toString('latin1')));
  assert.ok(content, 'the page sets a font for its text');
});

test('a PDF figure opens in a real PDF reader (poppler), with DejaVu Sans embedded', { skip: spawnSync('pdftoppm', ['-v']).error ? 'pdftoppm not installed (apt-get install poppler-utils)' : false }, async () => {
  const dir = tempDir();
  const [pdf] = await writeFigure(dir, 'scatter_squat', spec, { formats: ['pdf'] });
  const fonts = spawnSync('pdffonts', [pdf], { encoding: 'utf8' });
  assert.equal(fonts.status, 0, fonts.stderr);
  const embedded = fonts.stdout.split('\n').filter((l) => /DejaVuSans/.test(l));
  assert.equal(embedded.length, 2, fonts.stdout);
  for (const line of embedded) assert.match(line, /CID TrueType\s+Identity-H\s+yes yes yes/, 'embedded, subset, with a Unicode map');
  const r = spawnSync('pdftoppm', ['-png', '-r', '36', pdf, join(dir, 'page')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const png = readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('page') && f.endsWith('.png'))!));
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  const { width } = svgSize(await renderSvg(styledSpec(spec)));
  assert.equal(png.readUInt32BE(16), Math.ceil((width * 36) / 72), 'rendered at the page size');
});

test('--width: panels are resized to the asked width, text keeps its size; PNG at 2×, PDF in points', async () => {
  const dir = tempDir();
  const natural = svgSize(await renderSvg(styledSpec(spec))).width;
  for (const width of [420, 1100]) {
    const paths = await writeFigure(dir, `w${width}`, spec, { formats: ['svg', 'png', 'pdf'], width });
    const svg = readFileSync(paths[0], 'utf8');
    assert.equal(svgSize(svg).width, width);
    // The drawing is within a few px of the asked width before the final scaling, so labels stay 11 px.
    const viewBox = /viewBox="0 0 ([\d.]+) /.exec(svg)![1];
    assert.ok(Math.abs(Number(viewBox) - width) / width < 0.03, `${viewBox} vs ${width} (natural ${natural})`);
    assert.match(svg, /font-size="11px"/);
    assert.equal(readFileSync(paths[1]).readUInt32BE(16), 2 * width);
    assert.match(readFileSync(paths[2]).toString('latin1'), new RegExp(`/MediaBox \\[0 0 ${width} `));
  }
  await assert.rejects(writeFigure(dir, 'narrow', spec, { width: 100 }), /--width 100 is too narrow for narrow: its axes, legends and gaps alone take about \d+ px/);
});

test('--font-size scales every text; --no-titles drops title and subtitle but keeps panel headers', async () => {
  const big = await renderSvg(styledSpec(spec, { fontSize: 22 }));
  assert.match(big, /font-size="22px"[^>]*>0</, 'axis labels at the asked size');
  assert.match(big, /font-size="30px" font-weight="bold"[^>]*>squat: network score/, 'the title keeps its ratio (15/11)');
  assert.match(big, /font-size="22px"[^>]*>r = 0.99/, 'mark text scales too');
  assert.doesNotMatch(big, /font-size="11px"/);
  const plain = await renderSvg(styledSpec(spec, { titles: false }));
  assert.doesNotMatch(plain, /network score vs ground truth|test split/);
  assert.match(plain, />depth</);
  assert.match(await renderSvg(styledSpec(spec)), /squat: network score vs ground truth/);
});

test('plot options: formats, width and font size named when wrong; runPlot writes only the asked formats', async () => {
  assert.deepEqual(figureStyle({ format: 'PDF, svg,pdf', titles: true }), { formats: ['pdf', 'svg'], width: undefined, fontSize: undefined, titles: true });
  assert.throws(() => figureStyle({ format: 'png,eps', titles: true }), /^Error: --format: unknown format "eps" in "png,eps" \(expected a comma list of png, svg, pdf\)$/);
  assert.throws(() => figureStyle({ format: 'png', width: '12cm', titles: true }), /--width must be a positive whole number, got "12cm"/);
  assert.throws(() => figureStyle({ format: 'png', width: '40', titles: true }), /--width must be at least 100 px, got "40"/);
  assert.throws(() => figureStyle({ format: 'png', fontSize: '0', titles: true }), /--font-size must be a positive whole number, got "0"/);
  const ws = makeWorkspace();
  const { written } = await runPlot({ ...ws.opts, exercises: ['squat'], style: { formats: ['pdf'] } });
  assert.ok(written.length > 3 && written.every((p) => p.endsWith('.pdf')), written.join(', '));
});
