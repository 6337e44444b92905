// Pose-log import: the app exports one CSV row per camera frame with the nine joint
// angles (plus whatever else it logs: timestamps, confidence). Reps have different
// lengths on the phone; the model wants exactly 90 frames, so each rep is resampled.

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ANGLES, FRAMES, MAX_ANGLE, N_ANGLES } from './exercises.js';

export interface PoseLogRep {
  repId: string;
  sequence: Float32Array; // (90, 9) degrees
}

export interface PoseLog {
  reps: PoseLogRep[];
  warnings: string[];
}

export const REP_ID_COLUMN = 'rep_id';
/** The rep id given to a file without a rep_id column (the whole file is one rep). */
export const WHOLE_FILE_REP_ID = '1';

/** Reads and parses a pose-log CSV file (see parsePoseLog). */
export function readPoseLog(path: string): PoseLog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parsePoseLog(text, path);
}

/**
 * Parses a pose log: the nine angle columns in any order (extra columns ignored), an
 * optional `rep_id` column grouping frames into reps in first-seen order (without it
 * the whole file is one rep). Reps with fewer than 2 frames are skipped with a warning.
 * `file` names the source in errors and warnings.
 */
export function parsePoseLog(text: string, file: string): PoseLog {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_quotes: false });
  } catch (err) {
    throw new Error(`${file}: not a readable CSV (${err instanceof Error ? err.message : String(err)})`);
  }
  if (rows.length === 0) throw new Error(`${file}: empty file (expected a header row with ${ANGLES.join(', ')})`);
  const header = rows[0];
  const columnOf = new Map<string, number>();
  header.forEach((name, i) => {
    if (!columnOf.has(name)) columnOf.set(name, i);
  });
  const missing = ANGLES.filter((a) => !columnOf.has(a));
  if (missing.length > 0) {
    throw new Error(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  const angleCols = ANGLES.map((a) => columnOf.get(a)!);
  const repCol = columnOf.get(REP_ID_COLUMN);

  // rep id → its frames (9 angles each), in the order reps first appear.
  const frames = new Map<string, number[]>();
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const repId = repCol === undefined ? WHOLE_FILE_REP_ID : row[repCol];
    if (repId === undefined || repId === '') throw new Error(`${file}: data row ${r}, column ${REP_ID_COLUMN}: empty value`);
    let list = frames.get(repId);
    if (!list) frames.set(repId, (list = []));
    for (let c = 0; c < N_ANGLES; c++) {
      const cell = row[angleCols[c]];
      if (cell === undefined || cell === '') throw new Error(`${file}: data row ${r}, column ${ANGLES[c]}: empty value`);
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new Error(`${file}: data row ${r}, column ${ANGLES[c]}: "${cell}" is not a number`);
      list.push(v);
    }
  }

  const reps: PoseLogRep[] = [];
  const warnings: string[] = [];
  for (const [repId, values] of frames) {
    const count = values.length / N_ANGLES;
    if (count < 2) {
      const which = repCol === undefined ? 'the file' : `rep_id ${repId}`;
      warnings.push(`${file}: ${which} has ${count} frame${count === 1 ? '' : 's'} (at least 2 needed); skipped`);
      continue;
    }
    reps.push({ repId, sequence: resampleRep(values, count) });
  }
  if (frames.size === 0) warnings.push(`${file}: no data rows`);
  return { reps, warnings };
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
