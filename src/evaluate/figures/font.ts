// Text widths from the DejaVu Sans font file itself. Vega lays out axes, legends and
// titles from text widths; in Node without the `canvas` package it falls back to
// 0.8 × font size per character, far wider than DejaVu Sans (about 0.6), so labels
// would sit too far from their axes. Reading the advance widths from the TrueType
// 'hmtx' table through the 'cmap' gives exact widths for the font resvg draws with.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const FONT_FAMILY = 'DejaVu Sans';
export const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
};

/** Advance widths of one TrueType font, in em units (1 = the font size). */
export class FontWidths {
  private readonly advance: Float32Array; // per glyph, in em
  private readonly glyphOf = new Map<number, number>(); // code point → glyph id (BMP, cmap format 4)

  constructor(readonly file: string) {
    const buf = readFileSync(file);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const tables = new Map<string, number>();
    const numTables = view.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const rec = 12 + 16 * i;
      tables.set(buf.toString('latin1', rec, rec + 4), view.getUint32(rec + 8));
    }
    const table = (tag: string) => {
      const off = tables.get(tag);
      if (off === undefined) throw new Error(`${file}: font has no '${tag}' table`);
      return off;
    };
    const unitsPerEm = view.getUint16(table('head') + 18);
    const numberOfHMetrics = view.getUint16(table('hhea') + 34);
    const numGlyphs = view.getUint16(table('maxp') + 4);
    // hmtx: numberOfHMetrics (advance, lsb) pairs; later glyphs repeat the last advance.
    const hmtx = table('hmtx');
    this.advance = new Float32Array(numGlyphs);
    for (let g = 0; g < numGlyphs; g++) {
      const m = Math.min(g, numberOfHMetrics - 1);
      this.advance[g] = view.getUint16(hmtx + 4 * m) / unitsPerEm;
    }
    this.readCmap(view, table('cmap'));
  }

  // The Windows Unicode BMP subtable (platform 3, encoding 1), format 4: segments of
  // code points mapped either by a delta or through the glyph id array.
  private readCmap(view: DataView, cmap: number): void {
    const n = view.getUint16(cmap + 2);
    let sub = -1;
    for (let i = 0; i < n; i++) {
      const rec = cmap + 4 + 8 * i;
      if (view.getUint16(rec) === 3 && view.getUint16(rec + 2) === 1) sub = cmap + view.getUint32(rec + 4);
    }
    if (sub < 0 || view.getUint16(sub) !== 4) throw new Error(`${this.file}: no format-4 Unicode cmap`);
    const segX2 = view.getUint16(sub + 6);
    const ends = sub + 14, starts = ends + segX2 + 2, deltas = starts + segX2, offsets = deltas + segX2;
    for (let s = 0; s < segX2; s += 2) {
      const end = view.getUint16(ends + s), start = view.getUint16(starts + s);
      const delta = view.getInt16(deltas + s), rangeOffset = view.getUint16(offsets + s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let glyph: number;
        if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
        else {
          const g = view.getUint16(offsets + s + rangeOffset + 2 * (c - start));
          glyph = g === 0 ? 0 : (g + delta) & 0xffff;
        }
        if (glyph !== 0) this.glyphOf.set(c, glyph);
      }
    }
  }

  /** Width of `text` at `fontSize` px (no kerning; DejaVu's kerning is small). */
  width(text: string, fontSize: number): number {
    let w = 0;
    for (const ch of text) w += this.advance[this.glyphOf.get(ch.codePointAt(0)!) ?? 0];
    return w * fontSize;
  }
}

let fonts: { regular: FontWidths; bold: FontWidths } | undefined;

/** The two faces the figures use, read once. */
export function dejaVuWidths(): { regular: FontWidths; bold: FontWidths } {
  fonts ??= { regular: new FontWidths(FONT_FILES.regular), bold: new FontWidths(FONT_FILES.bold) };
  return fonts;
}
