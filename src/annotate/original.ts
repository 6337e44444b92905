// Import of the original project's annotation folder (nikegor7/ai-fitness-trainer-ml,
// data/real/<exercise>/): its annotations.csv has one row per annotated rep with the
// columns rep_idx, exercise and the six scores (0-100, any column order), and its
// sequences.npy (N, 90, 9) holds those reps' resampled angles in the same row order;
// scores.npy (N, 6), when present, must agree with the CSV. The original recorded no
// annotator and no source file, so the import names the annotator and stores the reps
// under the source key original-<folder name>.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, FRAMES, N_ANGLES, N_SCORES, REP_SIZE } from '../data/exercises.js';
import { checkShape, decodeNpy } from '../data/npy.js';
import { checkAngleData } from '../data/validate.js';
import { type AnnotationStore, type SourceReps, sourceKey } from './store.js';
import { ANNOTATIONS_CSV, SCORES_NPY, SEQUENCES_NPY } from '../workspace/layout.js';

/** The files of an original annotation folder, as bytes (from disk or from the page). */
export interface OriginalFolder {
  name: string; // the folder's name, for the source key and messages
  annotationsCsv: string;
  sequencesNpy: Uint8Array;
  scoresNpy?: Uint8Array;
}

export function readOriginalFolder(dir: string): OriginalFolder {
  const file = (name: string) => join(dir, name);
  for (const need of [ANNOTATIONS_CSV, SEQUENCES_NPY]) {
    if (!existsSync(file(need))) throw new Error(`${dir}: no ${need} (an original annotation folder holds annotations.csv and sequences.npy)`);
  }
  return {
    name: basename(dir.replace(/[\\/]+$/, '')),
    annotationsCsv: readFileSync(file(ANNOTATIONS_CSV), 'utf8'),
    sequencesNpy: readFileSync(file(SEQUENCES_NPY)),
    scoresNpy: existsSync(file(SCORES_NPY)) ? readFileSync(file(SCORES_NPY)) : undefined,
  };
}

/** Stores every rep of the folder as scored by `annotator` (mode "imported"); returns the source key and the count. */
export function importOriginal(store: AnnotationStore, folder: OriginalFolder, annotator: string): { sourceFile: string; reps: number } {
  const csvName = `${folder.name}/annotations.csv`;
  let records: string[][];
  try {
    records = parse(folder.annotationsCsv, { bom: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new Error(`${csvName}: not a readable CSV (${(err as Error).message})`);
  }
  if (records.length < 2) throw new Error(`${csvName}: no annotated reps`);
  const header = records[0];
  const missing = ['rep_idx', 'exercise', ...DIMENSIONS].filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${csvName}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const col = (name: string) => header.indexOf(name);
  const seen = new Set<string>();
  const rows = records.slice(1).map((r, i) => {
    const at = (c: string) => `${csvName}: data row ${i + 1}, column ${c}`;
    const repIdx = r[col('rep_idx')];
    if (!/^\d+$/.test(repIdx)) throw new Error(`${at('rep_idx')}: "${repIdx}" is not a rep index`);
    if (seen.has(repIdx)) throw new Error(`${at('rep_idx')}: rep ${repIdx} appears twice`);
    seen.add(repIdx);
    if (r[col('exercise')] !== store.exercise) throw new Error(`${at('exercise')}: "${r[col('exercise')]}" is not ${store.exercise}, the exercise being imported`);
    const scores = DIMENSIONS.map((d) => {
      const v = r[col(d)] === '' ? NaN : Number(r[col(d)]);
      if (!Number.isFinite(v) || v < 0 || v > 100) throw new Error(`${at(d)}: "${r[col(d)]}" is not a score from 0 to 100`);
      return v;
    });
    return { repId: repIdx, scores };
  });

  const seqName = `${folder.name}/sequences.npy`;
  const seq = decodeNpy(folder.sequencesNpy, seqName);
  checkShape(seqName, seq.shape, [rows.length, FRAMES, N_ANGLES]);
  const sequences = Float32Array.from(seq.data);
  checkAngleData(seqName, sequences);
  if (folder.scoresNpy) {
    const scName = `${folder.name}/scores.npy`;
    const sc = decodeNpy(folder.scoresNpy, scName);
    checkShape(scName, sc.shape, [rows.length, N_SCORES]);
    rows.forEach((r, i) => r.scores.forEach((v, d) => {
      if (Math.abs(sc.data[i * N_SCORES + d] - v) > 0.5) {
        throw new Error(`${scName}: rep ${i}, ${DIMENSIONS[d]} = ${sc.data[i * N_SCORES + d]} but ${csvName} data row ${i + 1} says ${v}`);
      }
    }));
  }

  const source: SourceReps = { reps: rows.map((r, i) => ({ repId: r.repId, sequence: sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE) })) };
  const key = store.resolveSource(sourceKey(`original-${folder.name}`), source);
  store.saveMany(key, source, rows.map((r) => ({ repId: r.repId, annotator, scores: r.scores, mode: 'imported' as const })));
  return { sourceFile: key, reps: rows.length };
}
