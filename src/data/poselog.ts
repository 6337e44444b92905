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
import { ANGLES, FRAMES, MAX_ANGLE, N_ANGLES, type Exercise } from './exercises.js';
import { checkCuts, cutRanges, segmentReps } from './segmentation.js';
import { checkCsvText, decodeUtf8 } from './csvtext.js';
import { printable } from '../util/printable.js';

export interface PoseLogRep {
  repId: string;
  sequence: Float32Array; // (90, 9) degrees
  /** The rep as recorded: (count, 9) degrees, lost frames filled in. */
  frames: Float32Array;
  count: number;
  /** Its first frame in the recording (0-based data row). */
  start: number;
  /** timestamp_ms of its last frame minus that of its first; null without timestamps. */
  durationMs: number | null;
  /** (count) the pose estimator's confidence per frame; null when the log has none. */
  confidence: Float32Array | null;
}

/** How a recording was split into reps: by its rep_id column, as one rep, by segmentReps, or at cuts given by an expert. */
export type SegmentationMethod = 'rep_id' | 'whole file' | 'automatic' | 'edited';

export interface PoseLog {
  reps: PoseLogRep[];
  warnings: string[];
  /** The whole recording, (frames, 9) degrees, lost frames filled in where the channel has any value. */
  recording: Float32Array;
  frames: number;
  segmentation: SegmentationMethod;
  /** Where reps 2, 3, … begin (see segmentation.ts); for rep_id, where each tagged rep after the first begins. */
  cuts: number[];
}

export interface PoseLogOptions {
  /** The exercise recorded: a log without rep_id is segmented into reps from its primary joint. */
  exercise?: Exercise;
  /** Segment even a log with rep_id (its tags are ignored); needs `exercise`. */
  segment?: boolean;
  /** An expert's cuts (checked against the recording); they win over rep_id and segmentation. */
  cuts?: readonly number[];
}

export const REP_ID_COLUMN = 'rep_id';
export const CONFIDENCE_COLUMN = 'confidence';
export const TIMESTAMP_COLUMN = 'timestamp_ms';
/** The rep id given to a file without a rep_id column (the whole file is one rep). */
export const WHOLE_FILE_REP_ID = '1';
/** A frame whose pose confidence is below this is treated as lost. */
export const LOW_CONFIDENCE = 0.3;
/** A rep with more than this fraction of lost frames is skipped. */
export const MAX_LOST_FRACTION = 0.25;

/** Reads and parses a pose-log CSV file (see parsePoseLog). */
export function readPoseLog(path: string, opts: PoseLogOptions = {}): PoseLog {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parsePoseLog(decodeUtf8(bytes), path, opts);
}

// Decimal numbers only: Number() would also read "0x10" as 16 and " " as 0.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// What pose estimators and spreadsheets write for "no value".
const LOST = /^([+-]?(nan|inf|infinity)|)$/i;

/**
 * Parses a pose log: the nine angle columns in any order (extra columns ignored), an
 * optional `rep_id` column grouping frames into reps in first-seen order. Without it
 * the file is segmented into reps when `opts.exercise` is given (segmentation.ts), else
 * it is one rep. Lost frames are interpolated or their rep skipped (see above); reps
 * with fewer than 2 frames are skipped with a warning. `file` names the source in
 * errors and warnings; rows are named by their line in the file.
 */
export function parsePoseLog(text: string, file: string, opts: PoseLogOptions = {}): PoseLog {
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
    if (first !== undefined && (ANGLES as readonly string[]).concat(REP_ID_COLUMN, CONFIDENCE_COLUMN, TIMESTAMP_COLUMN).includes(name)) {
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
  const timeCol = columnOf.get(TIMESTAMP_COLUMN);

  // Every frame: 9 angles (NaN where lost), its line, rep tag, confidence and time.
  const count = records.length - 1;
  const values = new Array<number>(count * N_ANGLES);
  const lines: number[] = [], tags: string[] = [];
  const confidence = confidenceCol === undefined ? null : new Float32Array(count);
  const times = timeCol === undefined ? null : new Float64Array(count);
  for (let f = 0; f < count; f++) {
    const { record: row, info } = records[f + 1];
    const at = `${file}: line ${info.lines}`;
    if (row.length !== header.length) throw new Error(`${at} has ${row.length} fields, the header has ${header.length}`);
    if (repCol !== undefined && row[repCol] === '') throw new Error(`${at}, column ${REP_ID_COLUMN}: empty value`);
    tags.push(repCol === undefined ? WHOLE_FILE_REP_ID : row[repCol]);
    const c = confidenceCol === undefined ? NaN : cellValue(row[confidenceCol], `${at}, column ${CONFIDENCE_COLUMN}`);
    if (confidence) confidence[f] = c;
    if (times) times[f] = cellValue(row[timeCol!], `${at}, column ${TIMESTAMP_COLUMN}`);
    for (let a = 0; a < N_ANGLES; a++) {
      const v = cellValue(row[angleCols[a]], `${at}, column ${ANGLES[a]}`);
      values[f * N_ANGLES + a] = c < LOW_CONFIDENCE ? NaN : v;
    }
    lines.push(info.lines);
  }
  const recording = [...values];
  if (count > 0) fillLostFrames(recording, count);

  // The reps as lists of frame indices, and how they were found.
  let segmentation: SegmentationMethod;
  let groups: { repId: string; frames: number[]; which: string }[];
  let cuts: number[];
  if (opts.cuts || (opts.exercise && (opts.segment || repCol === undefined))) {
    segmentation = opts.cuts ? 'edited' : 'automatic';
    try {
      cuts = opts.cuts ? checkCuts(opts.cuts, count) : count < 2 ? [] : segmentReps(recording, count, opts.exercise!);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    groups = cutRanges(cuts, count).map(([a, b], i) => ({
      repId: String(i + 1), frames: range(a, b), which: `rep ${i + 1} (${lineList(lines.slice(a, b))})`,
    }));
  } else {
    segmentation = repCol === undefined ? 'whole file' : 'rep_id';
    const byTag = new Map<string, number[]>();
    tags.forEach((tag, f) => {
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(f);
    });
    groups = [...byTag].map(([repId, frames]) => ({ repId, frames, which: repCol === undefined ? 'the file' : `rep_id ${repId}` }));
    cuts = groups.slice(1).map((g) => g.frames[0]);
  }

  const out: PoseLogRep[] = [];
  const warnings: string[] = [];
  for (const { repId, frames, which } of groups) {
    const n = frames.length;
    if (n < 2) {
      warnings.push(`${file}: ${which} has ${n} frame${n === 1 ? '' : 's'} (at least 2 needed); skipped`);
      continue;
    }
    const rep = frames.flatMap((f) => values.slice(f * N_ANGLES, (f + 1) * N_ANGLES));
    const lostLines = frames.filter((f) => values.slice(f * N_ANGLES, (f + 1) * N_ANGLES).some(Number.isNaN)).map((f) => lines[f]);
    if (lostLines.length > MAX_LOST_FRACTION * n) {
      warnings.push(
        `${file}: ${which} lost the pose in ${lostLines.length} of ${n} frames (${lineList(lostLines)}), ` +
          `more than ${MAX_LOST_FRACTION * 100} %; skipped`,
      );
      continue;
    }
    if (lostLines.length > 0) {
      fillLostFrames(rep, n);
      warnings.push(`${file}: ${which} lost the pose in ${lostLines.length} frame${lostLines.length === 1 ? '' : 's'} (${lineList(lostLines)}); interpolated`);
    }
    const first = times?.[frames[0]] ?? NaN, last = times?.[frames[n - 1]] ?? NaN;
    out.push({
      repId, sequence: resampleRep(rep, n), frames: Float32Array.from(rep), count: n, start: frames[0],
      durationMs: Number.isFinite(last - first) ? last - first : null,
      confidence: confidence ? Float32Array.from(frames, (f) => confidence[f]) : null,
    });
  }
  if (count === 0) warnings.push(`${file}: no data rows`);
  return { reps: out, warnings, recording: Float32Array.from(recording), frames: count, segmentation, cuts };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

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
