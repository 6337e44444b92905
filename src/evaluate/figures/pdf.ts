// SVG → PDF: vega's SVG drawn into a one-page PDF by pdfkit and svg-to-pdfkit (vector
// paths, real text), with the DejaVu Sans faces embedded as font subsets so that the
// file prints and opens the same in every PDF reader. One SVG pixel is one PDF point.

import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { VERSION } from '../../version.js';
import { FONT_FILES } from './font.js';

/** The size the root <svg> element declares, in px. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const attr = (name: string) => Number(new RegExp(`\\s${name}="([\\d.]+)"`).exec(root)?.[1]);
  const size = { width: attr('width'), height: attr('height') };
  if (!(size.width > 0 && size.height > 0)) throw new Error('SVG without a width and height on its root element');
  return size;
}

// pdfkit refuses a zero entry in a dash array, which SVG allows (vega writes "1,0" for a
// solid line); a dash or gap of 0.001 pt looks the same.
const pdfDashes = (svg: string) =>
  svg.replace(/stroke-dasharray="([^"]*)"/g, (_, v: string) => `stroke-dasharray="${v.split(/[\s,]+/).map((x) => (Number(x) === 0 ? '0.001' : x)).join(',')}"`);

/** A one-page PDF of `svg`, page size = the SVG's size in points, DejaVu Sans embedded. */
export function svgToPdf(svg: string, title: string): Promise<Uint8Array> {
  const { width, height } = svgSize(svg);
  const doc = new PDFDocument({ size: [width, height], margin: 0, info: { Title: title, Creator: `formscore ${VERSION}`, Producer: 'pdfkit' } });
  doc.registerFont('DejaVuSans', FONT_FILES.regular);
  doc.registerFont('DejaVuSans-Bold', FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on('error', reject);
  });
  // Figures use DejaVu Sans only; any family asked for gets it, bold where the SVG says bold.
  SVGtoPDF(doc, pdfDashes(svg), 0, 0, { width, height, assumePt: true, fontCallback: (_family, bold) => (bold ? 'DejaVuSans-Bold' : 'DejaVuSans') });
  doc.end();
  return done;
}
