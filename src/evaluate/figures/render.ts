// Vega-Lite spec → Vega spec → SVG (vega's headless renderer) → PNG (resvg, with the
// DejaVu font from the dejavu-fonts-ttf package, so text renders on a machine with no
// system fonts and looks the same everywhere).

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { FONT_FAMILY, FONT_FILES, dejaVuWidths } from './font.js';
import { svgSize, svgToPdf } from './pdf.js';

/** Look shared by every figure: the bundled font, white background, readable sizes. */
export const BASE_CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 6, labelSeparation: 4 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: '#ddd' },
} as const;

let metricsInstalled = false;

/** Makes vega measure text with DejaVu's real advance widths (see font.ts). */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  const fonts = dejaVuWidths();
  const tm = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }).textMetrics;
  tm.width = (item: TextItem, text?: unknown) => {
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const raw = text ?? item.text;
    const str = Array.isArray(raw) ? raw.join(' ') : raw == null ? '' : String(raw).trim();
    const weight = item.fontWeight;
    const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || Number(weight) >= 600;
    return (bold ? fonts.bold : fonts.regular).width(str, size);
  };
  metricsInstalled = true;
}
interface TextItem { fontSize?: number | string; fontWeight?: string | number; text?: unknown }

/** Compiles a Vega-Lite spec with the shared config merged under the spec's own. */
export function toVega(spec: TopLevelSpec): vega.Spec {
  const config = { ...BASE_CONFIG, ...(spec.config ?? {}) };
  return compile({ ...spec, config } as TopLevelSpec).spec as vega.Spec;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  installTextMetrics();
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at `scale` × its size with the bundled DejaVu faces only. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    font: {
      fontFiles: [FONT_FILES.regular, FONT_FILES.bold],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return resvg.render().asPng();
}

export const FIGURE_FORMATS = ['png', 'svg', 'pdf'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

/** How `plot` draws its figures; every field optional, the defaults are the figures as designed. */
export interface FigureStyle {
  formats?: readonly FigureFormat[]; // default png and svg
  /** Width of the whole figure in px (= PDF points): the panels are widened or narrowed, text keeps its size. */
  width?: number;
  /** Size of axis labels in px; every other text scales with it (titles stay larger). Default 11. */
  fontSize?: number;
  /** false: no figure title or subtitle (a thesis sets its own caption). Panel headers stay. */
  titles?: boolean;
}

export const DEFAULT_FORMATS: readonly FigureFormat[] = ['png', 'svg'];
/** The axis-label size of BASE_CONFIG, which --font-size replaces. */
const BASE_FONT_SIZE = BASE_CONFIG.axis.labelFontSize;

/** `value` with every number under a key `key` (or ending in `Key`) passed through `f`; data values are left alone. */
function mapKeys(value: unknown, test: (key: string) => boolean, f: (x: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, test, f));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [
    k, k === 'data' ? v : typeof v === 'number' && test(k) ? f(v) : mapKeys(v, test, f),
  ]));
}

/** The spec with the style's titles and font size applied (width is fitted when rendering). */
export function styledSpec(spec: TopLevelSpec, style: FigureStyle = {}): TopLevelSpec {
  let out = { ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  if (style.titles === false) delete (out as { title?: unknown }).title;
  if (style.fontSize !== undefined) {
    const k = style.fontSize / BASE_FONT_SIZE;
    // Subtitles take vega's default size (12 px), which must be named to scale with the rest.
    const config = out.config as Record<string, Record<string, unknown>>;
    out = { ...out, config: { ...config, title: { subtitleFontSize: 12, ...config.title } } } as TopLevelSpec;
    out = mapKeys(out, (key) => key === 'fontSize' || key.endsWith('FontSize'), (x) => Math.round(x * k * 10) / 10) as TopLevelSpec;
  }
  return out;
}

/**
 * The SVG of `spec` `width` px wide: panel widths and heights are scaled by one factor,
 * found from two trial renders (the figure's width is linear in its panels' width:
 * axes, legends and gaps keep their size), then the last few px are made up by scaling the drawing.
 */
export async function renderSvgAtWidth(spec: TopLevelSpec, width: number, name = 'figure'): Promise<string> {
  const scaled = (k: number) => mapKeys(spec, (key) => key === 'width' || key === 'height', (x) => x * k) as TopLevelSpec;
  const w1 = svgSize(await renderSvg(spec)).width, w2 = svgSize(await renderSvg(scaled(2))).width;
  const k = 1 + (width - w1) / (w2 - w1);
  if (!(k > 0.05)) throw new Error(`--width ${width} is too narrow for ${name}: its axes, legends and gaps alone take about ${Math.round(w1 - (w2 - w1))} px`);
  const svg = await renderSvg(scaled(k));
  const { width: w, height: h } = svgSize(svg);
  return svg.replace(/<svg\b[^>]*>/, (root) => {
    const rest = root.replace(/\s(width|height|viewBox)="[^"]*"/g, '').replace(/^<svg/, '');
    return `<svg width="${width}" height="${Math.round((h * width) / w * 100) / 100}" viewBox="0 0 ${w} ${h}"${rest}`;
  });
}

/** Writes `<dir>/<name>.<format>` for each format of the style; returns the paths. */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec, style: FigureStyle = {}): Promise<string[]> {
  const styled = styledSpec(spec, style);
  const svg = style.width === undefined ? await renderSvg(styled) : await renderSvgAtWidth(styled, style.width, name);
  const files: [string, string | Uint8Array][] = [];
  for (const format of style.formats ?? DEFAULT_FORMATS) {
    const path = join(dir, `${name}.${format}`);
    files.push([path, format === 'svg' ? svg : format === 'png' ? svgToPng(svg) : await svgToPdf(svg, name)]);
  }
  // Rendered first, written last: a failing format leaves no figure half in the old style, half in the new.
  for (const [path, data] of files) writeFileAtomic(path, data);
  return files.map(([path]) => path);
}
