// The record of truth for expert scores of real reps, one folder per exercise:
//
//   data/real/<exercise>/annotations.csv          one row per (source_file, rep_id, annotator)
//   data/real/<exercise>/reps/<source_file>.npy   (R, 90, 9) every resampled rep of that source
//   data/real/<exercise>/reps/<source_file>.json  its rep ids and when it was first stored
//   data/real/<exercise>/sequences.npy            (N, 90, 9) one row per annotated (source, rep)
//   data/real/<exercise>/scores.npy               (N, 6) 0-100, mean over that rep's annotators
//   data/real/<exercise>/sequences_index.csv      which (source, rep) each of the N rows is
//
//   data/real/<exercise>/derived.json             sha256 of annotations.csv and of the three files above
//
// annotations.csv plus reps/ are the truth; the three files after them are rebuilt from
// the truth after every save, so the training loader never sees a half-updated state
// and a moved or deleted pose-log CSV loses nothing (its reps live on in reps/).
// Every file is written atomically (temporary file + rename), but a crash or a full
// disk can still fall between two files: derived.json, written last, says which
// annotations.csv the derived files were built from, so staleness is found by content
// (not by row count) and mended at start; a failed save puts annotations.csv back.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, FRAMES, N_ANGLES, N_SCORES, REP_SIZE, type Dimension, type Exercise } from '../data/exercises.js';
import { encodeNpy, readNpyFloat32, writeNpy } from '../data/npy.js';
import { icc21 } from '../evaluate/metrics.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvField, csvText } from '../util/csv.js';

export const ANNOTATION_COLUMNS = [
  'source_file', 'rep_id', 'rep_index', 'annotator', 'time', ...DIMENSIONS,
] as const;

/** One expert's six scores for one rep. `repIndex` is the 0-based row in reps/<sourceFile>.npy. */
export interface AnnotationRow {
  sourceFile: string;
  repId: string;
  repIndex: number;
  annotator: string;
  time: string; // ISO 8601, UTC
  scores: number[]; // (6) 0-100 in DIMENSIONS order
}

/** A pose-log file split into reps, as parsePoseLog returns it. */
export interface SourceReps {
  reps: { repId: string; sequence: Float32Array /* (90, 9) */ }[];
}

/** Inter-rater agreement of the annotators who scored the same reps. */
export interface InterRater {
  annotators: string[]; // the raters (columns) the ICC was computed over
  reps: number; // subjects (rows): reps every one of those annotators scored
  icc: Record<Dimension, number | null>; // null: undefined (too few reps or no variance)
}

/**
 * A file name from the page or the command line reduced to a safe storage key: the
 * last path component only, characters outside [A-Za-z0-9._~-] replaced, no leading
 * dots. The key names files inside reps/, so it must never contain a path.
 */
export function sourceKey(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const key = base.replace(/[^A-Za-z0-9._~-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return key === '' ? 'upload.csv' : key;
}

/** The i-th name for files called `name`: the name itself for i = 1, else session.csv → session~2.csv. */
export function numberedName(name: string, i: number): string {
  if (i === 1) return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}~${i}${name.slice(dot)}` : `${name}~${i}`;
}

/** Annotator names go into a CSV and the page; keep them short and printable. */
export function checkAnnotator(name: unknown): string {
  if (typeof name !== 'string' || !/^[\p{L}\p{N}][\p{L}\p{N} ._'-]{0,63}$/u.test(name)) {
    throw new Error(
      `annotator ${JSON.stringify(name)} is not allowed: use 1-64 letters, digits, spaces, ". _ ' -", starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Six scores from untrusted input (an object keyed by dimension or an array of six),
 * each a finite number in [0, 100]; anything else is refused with a message naming it.
 */
export function checkScores(input: unknown): number[] {
  const values: unknown[] = Array.isArray(input)
    ? input
    : input !== null && typeof input === 'object'
      ? DIMENSIONS.map((d) => (input as Record<string, unknown>)[d])
      : [];
  if (values.length !== N_SCORES) {
    throw new Error(`scores must give all six dimensions (${DIMENSIONS.join(', ')})`);
  }
  return values.map((v, i) => {
    const dim = DIMENSIONS[i];
    if (v === undefined || v === null || v === '') throw new Error(`${dim}: missing score`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${dim}: ${JSON.stringify(v)} is not a number`);
    if (v < 0 || v > 100) throw new Error(`${dim}: ${v} is outside 0-100`);
    return v;
  });
}

export class AnnotationStore {
  readonly dir: string;
  readonly annotationsPath: string;

  constructor(dataDir: string, readonly exercise: Exercise) {
    this.dir = join(dataDir, 'real', exercise);
    this.annotationsPath = join(this.dir, 'annotations.csv');
  }

  private repsPath = (key: string) => join(this.dir, 'reps', `${key}.npy`);
  private derivedPath = () => join(this.dir, DERIVED_RECORD);
  private repsIndexPath = (key: string) => join(this.dir, 'reps', `${key}.json`);

  /** Every annotation on disk, in file order. Throws naming the file and row when it is damaged. */
  rows(): AnnotationRow[] {
    if (!existsSync(this.annotationsPath)) return [];
    const file = this.annotationsPath;
    let records: string[][];
    try {
      records = parse(readFileSync(file, 'utf8'), { skip_empty_lines: true, relax_column_count: false });
    } catch (err) {
      throw new Error(`${file}: not a readable CSV (${(err as Error).message})`);
    }
    if (records.length === 0) return [];
    const header = records[0];
    if (header.join(',') !== ANNOTATION_COLUMNS.join(',')) {
      throw new Error(`${file}: header must be ${ANNOTATION_COLUMNS.join(',')}`);
    }
    return records.slice(1).map((r, i) => {
      const row = i + 1; // data row, 1-based, header excluded
      const repIndex = Number(r[2]);
      if (!Number.isInteger(repIndex) || repIndex < 0) throw new Error(`${file}: data row ${row}, column rep_index: "${r[2]}" is not a rep index`);
      const scores = r.slice(5).map((s, j) => {
        const v = s.trim() === '' ? NaN : Number(s);
        if (!Number.isFinite(v) || v < 0 || v > 100) {
          throw new Error(`${file}: data row ${row}, column ${DIMENSIONS[j]}: "${s}" is not a score from 0 to 100`);
        }
        return v;
      });
      return { sourceFile: csvText(r[0]), repId: csvText(r[1]), repIndex, annotator: r[3], time: r[4], scores };
    });
  }

  /**
   * The key under which `name`'s reps are stored. The sanitised file name, unless a
   * different file with that name was annotated before: then name~2.csv, name~3.csv...
   * Re-opening the same file (same reps) resolves to its old key and so finds its scores.
   */
  resolveSource(name: string, source: SourceReps): string {
    const base = sourceKey(name);
    for (let i = 1; ; i++) {
      const key = numberedName(base, i);
      const stored = this.storedReps(key);
      if (!stored || sameReps(stored, source)) return key;
    }
  }

  /** The reps kept for a source, or null when none were stored yet. */
  storedReps(key: string): { repIds: string[]; sequences: Float32Array /* (R, 90, 9) */ } | null {
    const npy = this.repsPath(key), index = this.repsIndexPath(key);
    if (!existsSync(npy) || !existsSync(index)) return null;
    const { repIds } = JSON.parse(readFileSync(index, 'utf8')) as { repIds: string[] };
    const { data } = readNpyFloat32(npy, [repIds.length, FRAMES, N_ANGLES]);
    return { repIds, sequences: data };
  }

  /**
   * Saves one expert's scores for one rep, replacing that expert's earlier row for it,
   * then rebuilds sequences.npy / scores.npy. `key` comes from resolveSource.
   * Callers serialise saves (SerialQueue): this is a read-modify-write of the folder.
   */
  save(key: string, source: SourceReps, repId: string, annotator: string, scores: unknown): AnnotationRow {
    if (key !== sourceKey(key)) throw new Error(`source key "${key}" is not a plain file name`);
    checkAnnotator(annotator);
    const checked = checkScores(scores);
    const repIndex = source.reps.findIndex((r) => r.repId === repId);
    if (repIndex < 0) throw new Error(`${key} has no rep "${repId}"`);
    const row: AnnotationRow = { sourceFile: key, repId, repIndex, annotator, time: new Date().toISOString(), scores: checked };

    const rows = this.rows().filter((r) => !(r.sourceFile === key && r.repId === repId && r.annotator === annotator));
    rows.push(row);
    // Compute everything in memory first: a missing reps file must fail before anything is written.
    const extra = new Map<string, { repIds: string[]; sequences: Float32Array }>();
    const stored = this.storedReps(key);
    if (stored && !sameReps(stored, source)) {
      throw new Error(`${this.repsPath(key)} holds different reps than this file; resolve its key with resolveSource first`);
    }
    if (!stored) {
      const sequences = new Float32Array(source.reps.length * REP_SIZE);
      source.reps.forEach((r, i) => sequences.set(r.sequence, i * REP_SIZE));
      extra.set(key, { repIds: source.reps.map((r) => r.repId), sequences });
    }
    const built = this.build(rows, extra);

    const previous = existsSync(this.annotationsPath) ? readFileSync(this.annotationsPath) : null;
    const annotations = formatAnnotations(rows);
    try {
      for (const [k, reps] of extra) {
        writeNpy(this.repsPath(k), reps.sequences, [reps.repIds.length, FRAMES, N_ANGLES]);
        writeFileAtomic(this.repsIndexPath(k), JSON.stringify({ sourceFile: k, repIds: reps.repIds, stored: row.time }, null, 1) + '\n');
      }
      writeFileAtomic(this.annotationsPath, annotations);
      this.writeBuilt(built, annotations);
    } catch (err) {
      this.restore(previous);
      throw err;
    }
    return row;
  }

  // After a failed save: annotations.csv as it was before, and the derived files rebuilt
  // from it. When even that fails (the disk is still full), derived.json no longer
  // matches and the next start rebuilds.
  private restore(previous: Buffer | null): void {
    try {
      if (previous) writeFileAtomic(this.annotationsPath, previous);
      else rmSync(this.annotationsPath, { force: true });
      this.rebuild();
    } catch {
      // as above
    }
  }

  /** Rebuilds sequences.npy, scores.npy and sequences_index.csv from the truth; returns N. */
  rebuild(): number {
    const annotations = existsSync(this.annotationsPath) ? readFileSync(this.annotationsPath) : '';
    const built = this.build(this.rows(), new Map());
    this.writeBuilt(built, annotations);
    return built.n;
  }

  /** True when the training files are missing, or were not built from annotations.csv as it is now (derived.json). */
  needsRebuild(): boolean {
    if (!existsSync(this.annotationsPath)) return false;
    let record: DerivedRecord;
    try {
      record = JSON.parse(readFileSync(this.derivedPath(), 'utf8')) as DerivedRecord;
    } catch {
      return true;
    }
    const sameFile = (name: string, sha: unknown) => existsSync(join(this.dir, name)) && sha256(readFileSync(join(this.dir, name))) === sha;
    return !sameFile('annotations.csv', record.annotations) || !DERIVED_FILES.every((f) => sameFile(f, record.files?.[f]));
  }

  /**
   * ICC(2,1) per dimension between annotators: over every annotator when at least two
   * reps were scored by all of them, otherwise over the pair sharing the most reps.
   * Null when fewer than two annotators exist.
   */
  interRater(rows: AnnotationRow[] = this.rows()): InterRater | null {
    const byRep = scoresByRep(rows);
    const annotators = [...new Set(rows.map((r) => r.annotator))].sort();
    if (annotators.length < 2) return null;
    let raters = annotators;
    let subjects = sharedReps(byRep, raters);
    if (subjects.length < 2) {
      raters = mostSharedPair(byRep, annotators);
      subjects = sharedReps(byRep, raters);
    }
    const icc = {} as Record<Dimension, number | null>;
    DIMENSIONS.forEach((dim, d) => {
      if (subjects.length < 2) return void (icc[dim] = null);
      const value = icc21(subjects.map((m) => raters.map((a) => m.get(a)![d])));
      icc[dim] = Number.isFinite(value) ? value : null;
    });
    return { annotators: raters, reps: subjects.length, icc };
  }

  // One training row per annotated (source, rep), ordered by source then rep index,
  // with the mean of its annotators' scores: annotators agree on a rep's quality only
  // up to noise, and averaging is the least-noise estimate of it.
  private build(rows: AnnotationRow[], extra: Map<string, { repIds: string[]; sequences: Float32Array }>) {
    const groups = new Map<string, AnnotationRow[]>();
    for (const r of rows) {
      const k = `${r.sourceFile}\0${r.repId}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    const keys = [...groups.keys()].sort((a, b) => {
      const ga = groups.get(a)![0], gb = groups.get(b)![0];
      return ga.sourceFile < gb.sourceFile ? -1 : ga.sourceFile > gb.sourceFile ? 1 : ga.repIndex - gb.repIndex;
    });
    const n = keys.length;
    const sequences = new Float32Array(n * REP_SIZE);
    const scores = new Float32Array(n * N_SCORES);
    const index: string[] = ['row,source_file,rep_id,rep_index,annotators'];
    const cache = new Map<string, { repIds: string[]; sequences: Float32Array }>(extra);
    keys.forEach((k, i) => {
      const group = groups.get(k)!;
      const { sourceFile, repId, repIndex } = group[0];
      if (!cache.has(sourceFile)) {
        const stored = this.storedReps(sourceFile);
        if (!stored) throw new Error(`${this.repsPath(sourceFile)}: missing, but ${this.annotationsPath} refers to it`);
        cache.set(sourceFile, stored);
      }
      const reps = cache.get(sourceFile)!;
      if (reps.repIds[repIndex] !== repId) {
        throw new Error(`${this.annotationsPath}: rep "${repId}" of ${sourceFile} is not at rep_index ${repIndex} in its reps file`);
      }
      sequences.set(reps.sequences.subarray(repIndex * REP_SIZE, (repIndex + 1) * REP_SIZE), i * REP_SIZE);
      for (let d = 0; d < N_SCORES; d++) {
        let sum = 0;
        for (const r of group) sum += r.scores[d];
        scores[i * N_SCORES + d] = sum / group.length;
      }
      index.push([String(i), sourceFile, repId, String(repIndex), group.map((r) => r.annotator).join(' ')].map(csvField).join(','));
    });
    return { n, sequences, scores, index: index.join('\n') + '\n' };
  }

  // The derived files, then derived.json naming what they were built from: written last, so
  // it matches only when everything before it reached the disk.
  private writeBuilt(b: { n: number; sequences: Float32Array; scores: Float32Array; index: string }, annotations: string | Uint8Array): void {
    const files: Record<(typeof DERIVED_FILES)[number], string | Uint8Array> = {
      'sequences.npy': encodeNpy(b.sequences, [b.n, FRAMES, N_ANGLES]),
      'scores.npy': encodeNpy(b.scores, [b.n, N_SCORES]),
      'sequences_index.csv': b.index,
    };
    for (const name of DERIVED_FILES) writeFileAtomic(join(this.dir, name), files[name]);
    const record: DerivedRecord = {
      annotations: sha256(annotations),
      files: Object.fromEntries(DERIVED_FILES.map((f) => [f, sha256(files[f])])),
    };
    writeFileAtomic(this.derivedPath(), JSON.stringify(record, null, 1) + '\n');
  }
}

const DERIVED_FILES = ['sequences.npy', 'scores.npy', 'sequences_index.csv'] as const;
const DERIVED_RECORD = 'derived.json';

/** derived.json: the sha256 of the annotations.csv the derived files were built from, and of each of them. */
interface DerivedRecord {
  annotations: string;
  files: Record<string, string>;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Each annotated (source, rep): its annotators' six scores by name. */
function scoresByRep(rows: readonly AnnotationRow[]): Map<string, Map<string, number[]>> {
  const byRep = new Map<string, Map<string, number[]>>();
  for (const r of rows) {
    const k = `${r.sourceFile}\0${r.repId}`;
    if (!byRep.has(k)) byRep.set(k, new Map());
    byRep.get(k)!.set(r.annotator, r.scores);
  }
  return byRep;
}

/** The reps that every one of `raters` scored. */
const sharedReps = (byRep: Map<string, Map<string, number[]>>, raters: readonly string[]) =>
  [...byRep.values()].filter((m) => raters.every((a) => m.has(a)));

/** The two of `annotators` (sorted, at least two) who scored the most reps in common; the first such pair on ties. */
function mostSharedPair(byRep: Map<string, Map<string, number[]>>, annotators: readonly string[]): [string, string] {
  let best: [string, string] = [annotators[0], annotators[1]];
  let bestCount = -1;
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const count = sharedReps(byRep, [annotators[i], annotators[j]]).length;
      if (count > bestCount) [best, bestCount] = [[annotators[i], annotators[j]], count];
    }
  }
  return best;
}

/**
 * The two annotators who scored the most reps in common, and those reps' scores (N, 6)
 * by each, for a Bland-Altman plot of their agreement; null when no two annotators share a rep.
 */
export function sharedPair(rows: readonly AnnotationRow[]): { annotators: [string, string]; scores: [number[][], number[][]] } | null {
  const annotators = [...new Set(rows.map((r) => r.annotator))].sort();
  if (annotators.length < 2) return null;
  const byRep = scoresByRep(rows);
  const pair = mostSharedPair(byRep, annotators);
  const reps = sharedReps(byRep, pair);
  if (reps.length === 0) return null;
  return { annotators: pair, scores: [reps.map((m) => m.get(pair[0])!), reps.map((m) => m.get(pair[1])!)] };
}

/** annotations.csv text: header plus rows sorted by source, rep index, annotator (stable diffs). */
export function formatAnnotations(rows: AnnotationRow[]): string {
  const sorted = [...rows].sort((a, b) =>
    a.sourceFile !== b.sourceFile ? (a.sourceFile < b.sourceFile ? -1 : 1)
      : a.repIndex !== b.repIndex ? a.repIndex - b.repIndex
        : a.annotator < b.annotator ? -1 : a.annotator > b.annotator ? 1 : 0);
  const lines = [ANNOTATION_COLUMNS.join(',')];
  for (const r of sorted) {
    lines.push([r.sourceFile, r.repId, String(r.repIndex), r.annotator, r.time, ...r.scores.map(String)].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

function sameReps(stored: { repIds: string[]; sequences: Float32Array }, source: SourceReps): boolean {
  if (stored.repIds.length !== source.reps.length) return false;
  return source.reps.every((r, i) => {
    if (stored.repIds[i] !== r.repId) return false;
    const s = stored.sequences.subarray(i * REP_SIZE, (i + 1) * REP_SIZE);
    for (let j = 0; j < REP_SIZE; j++) if (s[j] !== r.sequence[j]) return false;
    return true;
  });
}
