// Vega-Lite spec → Vega spec → SVG (vega's headless renderer) → PNG (resvg, with the
// DejaVu font from the dejavu-fonts-ttf package, so text renders on a machine with no
// system fonts and looks the same everywhere).

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { FONT_FAMILY, FONT_FILES, dejaVuWidths } from './font.js';

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

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.png`; returns both paths. */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg(spec);
  const paths = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  const png = svgToPng(svg);
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, png);
  return paths;
}
