// Pose-log import: the app exports one CSV row per camera frame with the nine joint
// angles (plus whatever else it logs: timestamps, confidence). Reps have different
// lengths on the phone; the model wants exactly 90 frames, so each rep is resampled.
//
// Real exports have frames where the phone lost the pose: blank or non-finite angles,
// or a `confidence` below LOW_CONFIDENCE. Those frames are filled in by linear
// interpolation from their neighbours, with a warning naming their lines; a rep that
// lost more than MAX_LOST_FRACTION of its frames is skipped, because interpolation
// across a gap that long invents the movement the scores are about.

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ANGLES, FRAMES, MAX_ANGLE, N_ANGLES } from './exercises.js';
import { checkCsvText, decodeUtf8 } from './csvtext.js';
import { printable } from '../util/printable.js';

export interface PoseLogRep {
  repId: string;
  sequence: Float32Array; // (90, 9) degrees
}

export interface PoseLog {
  reps: PoseLogRep[];
  warnings: string[];
}

export const REP_ID_COLUMN = 'rep_id';
export const CONFIDENCE_COLUMN = 'confidence';
/** The rep id given to a file without a rep_id column (the whole file is one rep). */
export const WHOLE_FILE_REP_ID = '1';
/** A frame whose pose confidence is below this is treated as lost. */
export const LOW_CONFIDENCE = 0.3;
/** A rep with more than this fraction of lost frames is skipped. */
export const MAX_LOST_FRACTION = 0.25;

/** Reads and parses a pose-log CSV file (see parsePoseLog). */
export function readPoseLog(path: string): PoseLog {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parsePoseLog(decodeUtf8(bytes), path);
}

// Decimal numbers only: Number() would also read "0x10" as 16 and " " as 0.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// What pose estimators and spreadsheets write for "no value".
const LOST = /^([+-]?(nan|inf|infinity)|)$/i;

/**
 * Parses a pose log: the nine angle columns in any order (extra columns ignored), an
 * optional `rep_id` column grouping frames into reps in first-seen order (without it
 * the whole file is one rep). Lost frames are interpolated or their rep skipped (see
 * above); reps with fewer than 2 frames are skipped with a warning. `file` names the
 * source in errors and warnings; rows are named by their line in the file.
 */
export function parsePoseLog(text: string, file: string): PoseLog {
  checkCsvText(text, file);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_quotes: false, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (err) {
    throw new Error(`${file}: not a readable CSV (${printable(err instanceof Error ? err.message : String(err), 200)})`);
  }
  if (records.length === 0) throw new Error(`${file}: empty file (expected a header row with ${ANGLES.join(', ')})`);
  const header = records[0].record;
  const columnOf = new Map<string, number>();
  header.forEach((name, i) => {
    const first = columnOf.get(name);
    if (first !== undefined && (ANGLES as readonly string[]).concat(REP_ID_COLUMN, CONFIDENCE_COLUMN).includes(name)) {
      throw new Error(`${file}: column ${name} appears twice (columns ${first + 1} and ${i + 1}); keep one`);
    }
    if (first === undefined) columnOf.set(name, i);
  });
  const missing = ANGLES.filter((a) => !columnOf.has(a));
  if (missing.length > 0) {
    throw new Error(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  const angleCols = ANGLES.map((a) => columnOf.get(a)!);
  const repCol = columnOf.get(REP_ID_COLUMN);
  const confidenceCol = columnOf.get(CONFIDENCE_COLUMN);

  // rep id → its frames (9 angles each, NaN where lost) and their file lines, in the order reps first appear.
  const reps = new Map<string, { values: number[]; lines: number[] }>();
  for (let r = 1; r < records.length; r++) {
    const { record: row, info } = records[r];
    const at = `${file}: line ${info.lines}`;
    if (row.length !== header.length) throw new Error(`${at} has ${row.length} fields, the header has ${header.length}`);
    const repId = repCol === undefined ? WHOLE_FILE_REP_ID : row[repCol];
    if (repId === '') throw new Error(`${at}, column ${REP_ID_COLUMN}: empty value`);
    let rep = reps.get(repId);
    if (!rep) reps.set(repId, (rep = { values: [], lines: [] }));
    const confidence = confidenceCol === undefined ? NaN : cellValue(row[confidenceCol], `${at}, column ${CONFIDENCE_COLUMN}`);
    const lost = confidence < LOW_CONFIDENCE;
    for (let c = 0; c < N_ANGLES; c++) {
      const v = cellValue(row[angleCols[c]], `${at}, column ${ANGLES[c]}`);
      rep.values.push(lost ? NaN : v);
    }
    rep.lines.push(info.lines);
  }

  const out: PoseLogRep[] = [];
  const warnings: string[] = [];
  for (const [repId, { values, lines }] of reps) {
    const which = repCol === undefined ? 'the file' : `rep_id ${repId}`;
    const count = lines.length;
    if (count < 2) {
      warnings.push(`${file}: ${which} has ${count} frame${count === 1 ? '' : 's'} (at least 2 needed); skipped`);
      continue;
    }
    const lostLines = lines.filter((_, f) => values.slice(f * N_ANGLES, (f + 1) * N_ANGLES).some(Number.isNaN));
    if (lostLines.length > MAX_LOST_FRACTION * count) {
      warnings.push(
        `${file}: ${which} lost the pose in ${lostLines.length} of ${count} frames (${lineList(lostLines)}), ` +
          `more than ${MAX_LOST_FRACTION * 100} %; skipped`,
      );
      continue;
    }
    if (lostLines.length > 0) {
      fillLostFrames(values, count);
      warnings.push(`${file}: ${which} lost the pose in ${lostLines.length} frame${lostLines.length === 1 ? '' : 's'} (${lineList(lostLines)}); interpolated`);
    }
    out.push({ repId, sequence: resampleRep(values, count) });
  }
  if (reps.size === 0) warnings.push(`${file}: no data rows`);
  return { reps: out, warnings };
}

/** A cell's number; NaN for a lost value (blank, NaN, ±inf); anything else non-decimal throws naming `where`. */
function cellValue(cell: string, where: string): number {
  if (LOST.test(cell)) return NaN;
  const v = DECIMAL.test(cell) ? Number(cell) : NaN;
  if (Number.isNaN(v)) {
    const hint = /^[+-]?\d+,\d+$/.test(cell) ? ' (a decimal comma? pose logs use decimal points)' : '';
    throw new Error(`${where}: ${JSON.stringify(printable(cell))} is not a number${hint}`);
  }
  return Number.isFinite(v) ? v : NaN; // 1e999
}

/** "lines 4-6, 9" for [4, 5, 6, 9]; long lists end in "…". */
function lineList(lines: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++;
    ranges.push(j > i ? `${lines[i]}-${lines[j]}` : String(lines[i]));
    i = j + 1;
  }
  const shown = ranges.length > 8 ? [...ranges.slice(0, 8), '…'] : ranges;
  return `line${lines.length > 1 ? 's' : ''} ${shown.join(', ')}`;
}

/**
 * Replaces the NaN values of a (count, 9) rep in place, channel by channel: linear
 * between the nearest kept values, the nearest kept value before the first or after
 * the last. Every channel keeps at least one value (the caller skips reps losing more).
 */
function fillLostFrames(values: number[], count: number): void {
  for (let c = 0; c < N_ANGLES; c++) {
    let prev = -1; // last frame with a kept value
    for (let f = 0; f <= count; f++) {
      if (f < count && Number.isNaN(values[f * N_ANGLES + c])) continue;
      for (let g = prev + 1; g < f; g++) {
        const before = prev >= 0 ? values[prev * N_ANGLES + c] : values[f * N_ANGLES + c];
        const after = f < count ? values[f * N_ANGLES + c] : before;
        const w = prev >= 0 && f < count ? (g - prev) / (f - prev) : 0;
        values[g * N_ANGLES + c] = (1 - w) * before + w * after;
      }
      prev = f;
    }
  }
}

/**
 * Linear interpolation of a (count, 9) rep onto 90 evenly spaced frames, first and
 * last frames kept, clipped to [0, 180]. → (90, 9).
 */
export function resampleRep(values: ArrayLike<number>, count: number): Float32Array {
  const out = new Float32Array(FRAMES * N_ANGLES);
  for (let t = 0; t < FRAMES; t++) {
    const pos = (t * (count - 1)) / (FRAMES - 1);
    const f0 = Math.min(Math.floor(pos), count - 2);
    const w = pos - f0;
    for (let c = 0; c < N_ANGLES; c++) {
      const v = (1 - w) * values[f0 * N_ANGLES + c] + w * values[(f0 + 1) * N_ANGLES + c];
      out[t * N_ANGLES + c] = v < 0 ? 0 : v > MAX_ANGLE ? MAX_ANGLE : v;
    }
  }
  return out;
}
