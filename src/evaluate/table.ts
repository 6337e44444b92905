// Plain-text tables for the terminal and CSV text for the results files. Both take
// the same rows (objects) and column list, so what is printed is what is saved.

import { csvField } from '../util/csv.js';

export type Cell = string | number;
export type Row = Record<string, Cell>;

/** A number for humans: fixed decimals, NaN shown as "n/a". */
export function fmt(x: Cell, digits = 3): string {
  if (typeof x === 'string') return x;
  if (Number.isNaN(x)) return 'n/a';
  if (Number.isInteger(x)) return String(x);
  // Values that would keep under two significant digits (parity differences) go exponential.
  return Math.abs(x) < 10 ** (1 - digits) ? x.toExponential(2) : x.toFixed(digits);
}

/** Columns aligned with spaces; text left-aligned, numbers right-aligned. */
export function formatTable(columns: readonly string[], rows: readonly Row[], digits = 3): string {
  const cells = rows.map((r) => columns.map((c) => fmt(r[c] ?? '', digits)));
  const width = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const line = (vals: string[]) =>
    vals.map((v, j) => (numeric[j] ? v.padStart(width[j]) : v.padEnd(width[j]))).join('  ').trimEnd();
  return [line([...columns]), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** CSV with a header row; numbers at full precision (NaN as "NaN", which pandas reads back). */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const quote = (v: Cell) => csvField(typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)))) : v);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => quote(r[c] ?? '')).join(','))].join('\n') + '\n';
}

