// The record of truth for expert scores of real reps, one folder per exercise:
//
//   data/real/<exercise>/annotations.csv          one row per (source_file, rep_id, annotator): scored, skipped or flagged
//   data/real/<exercise>/undo.json                each annotator's last save, as the row it replaced
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
import { DIMENSIONS, FRAMES, N_ANGLES, N_SCORES, REP_SIZE, type Exercise } from '../data/exercises.js';
import { encodeNpy, readNpyFloat32, writeNpy } from '../data/npy.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvField, csvText } from '../util/csv.js';
import { repFolder, ANNOTATIONS_CSV, SCORES_NPY, SEQUENCES_NPY } from '../workspace/layout.js';

export const ANNOTATION_COLUMNS = [
  'source_file', 'rep_id', 'rep_index', 'annotator', 'time', 'mode', 'status', 'comment', ...DIMENSIONS,
] as const;
/** The header before modes, skips and flags existed; such files are read as all scored, mode unknown. */
const ANNOTATION_COLUMNS_V1 = ['source_file', 'rep_id', 'rep_index', 'annotator', 'time', ...DIMENSIONS] as const;

/** scored: six scores; skipped: passed over; flagged: unusable, with a comment saying why. Only scored reps are trained on. */
export const STATUSES = ['scored', 'skipped', 'flagged'] as const;
export type Status = (typeof STATUSES)[number];
/** blind: rule scores and their prefill were hidden; open: shown; imported: from another tool; '' not recorded. */
export const MODES = ['blind', 'open', 'imported', ''] as const;
export type Mode = (typeof MODES)[number];

/** One expert's verdict on one rep. `repIndex` is the 0-based row in reps/<sourceFile>.npy. */
export interface AnnotationRow {
  sourceFile: string;
  repId: string;
  repIndex: number;
  annotator: string;
  time: string; // ISO 8601, UTC
  mode: Mode;
  status: Status;
  comment: string;
  scores: number[] | null; // (6) 0-100 in DIMENSIONS order; null unless scored
}

/** What a caller saves for one rep: the scores, or a skip, or a flag with its comment. */
export interface AnnotationEntry {
  repId: string;
  annotator: string;
  status?: Status; // default scored
  scores?: unknown; // checked with checkScores when scored
  comment?: string;
  mode?: Mode;
}

/** A pose-log file split into reps, as parsePoseLog returns it. */
export interface SourceReps {
  reps: { repId: string; sequence: Float32Array /* (90, 9) */ }[];
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
    this.dir = repFolder(dataDir, 'real', exercise);
    this.annotationsPath = join(this.dir, ANNOTATIONS_CSV);
  }

  private repsPath = (key: string) => join(this.dir, 'reps', `${key}.npy`);
  private derivedPath = () => join(this.dir, DERIVED_RECORD);
  private repsIndexPath = (key: string) => join(this.dir, 'reps', `${key}.json`);
  private undoPath = () => join(this.dir, 'undo.json');

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
    const header = records[0].join(',');
    const v1 = header === ANNOTATION_COLUMNS_V1.join(',');
    if (!v1 && header !== ANNOTATION_COLUMNS.join(',')) {
      throw new Error(`${file}: header must be ${ANNOTATION_COLUMNS.join(',')} (or, from before skips and flags, ${ANNOTATION_COLUMNS_V1.join(',')})`);
    }
    return records.slice(1).map((r, i) => {
      const row = i + 1; // data row, 1-based, header excluded
      const at = (column: string) => `${file}: data row ${row}, column ${column}`;
      const repIndex = Number(r[2]);
      if (!Number.isInteger(repIndex) || repIndex < 0) throw new Error(`${at('rep_index')}: "${r[2]}" is not a rep index`);
      const [mode, status, comment] = v1 ? ['', 'scored', ''] : [r[5], r[6], csvText(r[7])];
      if (!(MODES as readonly string[]).includes(mode)) throw new Error(`${at('mode')}: "${mode}" is not one of ${MODES.filter(Boolean).join(', ')} or empty`);
      if (!(STATUSES as readonly string[]).includes(status)) throw new Error(`${at('status')}: "${status}" is not one of ${STATUSES.join(', ')}`);
      const cells = r.slice(v1 ? 5 : 8);
      let scores: number[] | null = null;
      if (status === 'scored') {
        scores = cells.map((s, j) => {
          const v = s.trim() === '' ? NaN : Number(s);
          if (!Number.isFinite(v) || v < 0 || v > 100) throw new Error(`${at(DIMENSIONS[j])}: "${s}" is not a score from 0 to 100`);
          return v;
        });
      } else if (cells.some((s) => s.trim() !== '')) {
        throw new Error(`${at(DIMENSIONS[cells.findIndex((s) => s.trim() !== '')])}: a ${status} rep has no scores`);
      }
      return { sourceFile: csvText(r[0]), repId: csvText(r[1]), repIndex, annotator: r[3], time: r[4], mode: mode as Mode, status: status as Status, comment, scores };
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
   * Saves one expert's verdict on one rep (scores, or a skip or flag with
   * `opts`), replacing that expert's earlier row for it, and remembers the replaced
   * row for undo. `key` comes from resolveSource. Callers serialise saves
   * (SerialQueue): this is a read-modify-write of the folder.
   */
  save(key: string, source: SourceReps, repId: string, annotator: string, scores: unknown, opts: Omit<AnnotationEntry, 'repId' | 'annotator' | 'scores'> = {}): AnnotationRow {
    return this.saveMany(key, source, [{ repId, annotator, scores, ...opts }])[0];
  }

  /** Saves several entries of one source at once (an import); only a single entry can be undone. */
  saveMany(key: string, source: SourceReps, entries: AnnotationEntry[]): AnnotationRow[] {
    if (key !== sourceKey(key)) throw new Error(`source key "${key}" is not a plain file name`);
    const time = new Date().toISOString();
    const saved = entries.map((e) => checkEntry(key, source, e, time));
    const before = this.rows();
    const same = (a: AnnotationRow, b: AnnotationRow) => a.sourceFile === b.sourceFile && a.repId === b.repId && a.annotator === b.annotator;
    const rows = [...before.filter((r) => !saved.some((s) => same(r, s))), ...saved];
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
    const undo = this.undoJournal();
    for (const s of saved) delete undo[s.annotator];
    if (saved.length === 1) undo[saved[0].annotator] = { sourceFile: key, repId: saved[0].repId, previous: before.find((r) => same(r, saved[0])) ?? null };
    this.commit(rows, extra, undo, time);
    return saved;
  }

  /**
   * Takes back `annotator`'s last save: the row it replaced comes back, or the rep is
   * unannotated again. Returns which rep it was; throws when there is nothing to undo.
   */
  undo(annotator: string): { sourceFile: string; repId: string; restored: AnnotationRow | null } {
    const journal = this.undoJournal();
    const last = journal[annotator];
    if (!last) throw new Error(`${annotator} has no save to undo`);
    const rows = this.rows().filter((r) => !(r.sourceFile === last.sourceFile && r.repId === last.repId && r.annotator === annotator));
    if (last.previous) rows.push(last.previous);
    delete journal[annotator];
    this.commit(rows, new Map(), journal, new Date().toISOString());
    return { sourceFile: last.sourceFile, repId: last.repId, restored: last.previous };
  }

  /**
   * Writes `rows` as annotations.csv with the reps of new sources, the training files
   * and the undo journal; all computed before the first write, and annotations.csv put
   * back when a write fails.
   */
  private commit(rows: AnnotationRow[], extra: Map<string, { repIds: string[]; sequences: Float32Array }>, journal: UndoJournal, time: string): void {
    const built = this.build(rows, extra);
    const previous = existsSync(this.annotationsPath) ? readFileSync(this.annotationsPath) : null;
    const annotations = formatAnnotations(rows);
    try {
      for (const [k, reps] of extra) {
        writeNpy(this.repsPath(k), reps.sequences, [reps.repIds.length, FRAMES, N_ANGLES]);
        writeFileAtomic(this.repsIndexPath(k), JSON.stringify({ sourceFile: k, repIds: reps.repIds, stored: time }, null, 1) + '\n');
      }
      writeFileAtomic(this.annotationsPath, annotations);
      this.writeBuilt(built, annotations);
      writeFileAtomic(this.undoPath(), JSON.stringify(journal, null, 1) + '\n');
    } catch (err) {
      this.restore(previous);
      throw err;
    }
  }

  /** Whether `annotator` has a save that undo would take back. */
  canUndo(annotator: string): boolean {
    return this.undoJournal()[annotator] !== undefined;
  }

  private undoJournal(): UndoJournal {
    if (!existsSync(this.undoPath())) return {};
    try {
      return JSON.parse(readFileSync(this.undoPath(), 'utf8'));
    } catch (err) {
      throw new Error(`${this.undoPath()}: not readable JSON (${(err as Error).message}); delete it to forget the last saves`);
    }
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
    return !sameFile(ANNOTATIONS_CSV, record.annotations) || !DERIVED_FILES.every((f) => sameFile(f, record.files?.[f]));
  }

  // One training row per annotated (source, rep), ordered by source then rep index,
  // with the mean of its annotators' scores: annotators agree on a rep's quality only
  // up to noise, and averaging is the least-noise estimate of it.
  private build(rows: AnnotationRow[], extra: Map<string, { repIds: string[]; sequences: Float32Array }>) {
    const groups = new Map<string, AnnotationRow[]>();
    for (const r of rows.filter((x) => x.scores !== null)) {
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
        for (const r of group) sum += r.scores![d];
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
      [SEQUENCES_NPY]: encodeNpy(b.sequences, [b.n, FRAMES, N_ANGLES]),
      [SCORES_NPY]: encodeNpy(b.scores, [b.n, N_SCORES]),
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

/** undo.json: per annotator, the rep of their last save and the row it replaced (null: there was none). */
type UndoJournal = Record<string, { sourceFile: string; repId: string; previous: AnnotationRow | null }>;

const DERIVED_FILES = [SEQUENCES_NPY, SCORES_NPY, 'sequences_index.csv'] as const;
const DERIVED_RECORD = 'derived.json';

/** derived.json: the sha256 of the annotations.csv the derived files were built from, and of each of them. */
interface DerivedRecord {
  annotations: string;
  files: Record<string, string>;
}

/** Hex SHA-256 of a file's bytes or text: derived.json's content hashes, the segment files' names. */
export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** annotations.csv text: header plus rows sorted by source, rep index, annotator (stable diffs). */
export function formatAnnotations(rows: AnnotationRow[]): string {
  const sorted = [...rows].sort((a, b) =>
    a.sourceFile !== b.sourceFile ? (a.sourceFile < b.sourceFile ? -1 : 1)
      : a.repIndex !== b.repIndex ? a.repIndex - b.repIndex
        : a.annotator < b.annotator ? -1 : a.annotator > b.annotator ? 1 : 0);
  const lines = [ANNOTATION_COLUMNS.join(',')];
  for (const r of sorted) {
    const scores = r.scores ? r.scores.map(String) : DIMENSIONS.map(() => '');
    lines.push([r.sourceFile, r.repId, String(r.repIndex), r.annotator, r.time, r.mode, r.status, r.comment, ...scores].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/** An entry checked and turned into the row it will be on disk. */
export function checkEntry(key: string, source: SourceReps, e: AnnotationEntry, time: string): AnnotationRow {
  checkAnnotator(e.annotator);
  const status = e.status ?? 'scored';
  if (!(STATUSES as readonly string[]).includes(status)) throw new Error(`status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`);
  const mode = e.mode ?? '';
  if (!(MODES as readonly string[]).includes(mode)) throw new Error(`mode ${JSON.stringify(mode)} is not one of ${MODES.filter(Boolean).join(', ')}`);
  const comment = checkComment(e.comment ?? '');
  if (status === 'flagged' && comment === '') throw new Error('a flag needs a comment saying what is wrong with the rep');
  const scores = status === 'scored' ? checkScores(e.scores) : null;
  const repIndex = source.reps.findIndex((r) => r.repId === e.repId);
  if (repIndex < 0) throw new Error(`${key} has no rep "${e.repId}"`);
  return { sourceFile: key, repId: e.repId, repIndex, annotator: e.annotator, time, mode, status, comment, scores };
}

/** Comments go into a CSV cell and the page: one line of at most 500 characters. */
export function checkComment(text: unknown): string {
  if (typeof text !== 'string') throw new Error('comment must be text');
  const t = text.trim();
  if (t.length > 500) throw new Error(`comment has ${t.length} characters; keep it under 500`);
  if (/[\u0000-\u001f\u007f]/.test(t)) throw new Error('comment must be one line of printable text');
  return t;
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
