// A study: the pose logs of many participants and sessions, annotated together.
// Files come from folders (a participant per subfolder, or participant_session in the
// file name, or a manifest.csv naming both), from single files, or from the page's
// uploads. The list is kept in <data-dir>/study.json and uploads under
// <data-dir>/uploads/, so a restart opens the same study; progress itself is in the
// annotation store.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { isExercise, EXERCISES, type Exercise } from '../data/exercises.js';
import { decodeUtf8 } from '../data/csvtext.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sourceKey } from './store.js';

/** One pose log of the study. `name` is unique in the study and a plain file name. */
export interface StudyFile {
  name: string;
  participant: string;
  session: string;
  /** The exercise when the manifest or the file name says it. */
  exercise: Exercise | null;
  text: string;
  origin: 'folder' | 'file' | 'upload';
}

export const MANIFEST = 'manifest.csv';

/**
 * participant and session from a path inside a study folder: sub/name.csv, or
 * p01_s2[_…].csv. The exercise comes only from a manifest: the page's selector decides otherwise.
 */
export function groupOf(rel: string): { participant: string; session: string; exercise: Exercise | null } {
  const parts = rel.split(/[\\/]/);
  const stem = parts[parts.length - 1].replace(/\.csv$/i, '');
  const exercise = null;
  if (parts.length > 1) return { participant: parts[parts.length - 2], session: stem, exercise };
  const tokens = stem.split(/[_-]/).filter(Boolean);
  return tokens.length > 1 ? { participant: tokens[0], session: tokens.slice(1).join('_'), exercise } : { participant: stem, session: '1', exercise };
}

/** Every pose log of a folder (and its subfolders, one level): grouped by manifest.csv when there is one. */
export function folderFiles(dir: string): StudyFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const csvs: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && /\.csv$/i.test(entry.name) && entry.name !== MANIFEST) csvs.push(entry.name);
    if (entry.isDirectory()) {
      for (const f of readdirSync(join(dir, entry.name))) if (/\.csv$/i.test(f)) csvs.push(join(entry.name, f));
    }
  }
  const manifest = existsSync(join(dir, MANIFEST)) ? readManifest(join(dir, MANIFEST)) : null;
  return csvs.sort().map((rel) => {
    const group = manifest?.get(rel.replace(/\\/g, '/')) ?? groupOf(rel);
    return { name: sourceKey(rel.replace(/[\\/]/g, '_')), ...group, text: decodeUtf8(readFileSync(join(dir, rel))), origin: 'folder' };
  });
}

/** manifest.csv: columns file (relative to the folder), participant, session and optionally exercise. */
function readManifest(path: string): Map<string, { participant: string; session: string; exercise: Exercise | null }> {
  const records = parse(readFileSync(path, 'utf8'), { bom: true, skip_empty_lines: true, trim: true }) as string[][];
  const header = records[0] ?? [];
  const missing = ['file', 'participant', 'session'].filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const col = (c: string) => header.indexOf(c);
  const out = new Map<string, { participant: string; session: string; exercise: Exercise | null }>();
  records.slice(1).forEach((r, i) => {
    const ex = col('exercise') >= 0 ? r[col('exercise')] : '';
    if (ex !== '' && !isExercise(ex)) throw new Error(`${path}: data row ${i + 1}, column exercise: "${ex}" is not one of ${EXERCISES.join(', ')}`);
    out.set(r[col('file')], { participant: r[col('participant')], session: r[col('session')], exercise: ex === '' ? null : (ex as Exercise) });
  });
  return out;
}

/** What study.json remembers: the folders and single files opened from the command line. */
interface StudyRecord {
  folders: string[];
  files: string[];
}

export class Study {
  private readonly recordPath: string;
  readonly uploadsDir: string;

  constructor(dataDir: string) {
    this.recordPath = join(dataDir, 'study.json');
    this.uploadsDir = join(dataDir, 'uploads');
  }

  private record(): StudyRecord {
    if (!existsSync(this.recordPath)) return { folders: [], files: [] };
    try {
      return JSON.parse(readFileSync(this.recordPath, 'utf8')) as StudyRecord;
    } catch (err) {
      throw new Error(`${this.recordPath}: not readable JSON (${(err as Error).message})`);
    }
  }

  /** Adds a folder or a file to the study (kept for the next start). */
  add(path: string): void {
    const record = this.record();
    const abs = resolve(path);
    const list = statSync(abs).isDirectory() ? record.folders : record.files;
    if (!list.includes(abs)) list.push(abs);
    writeFileAtomic(this.recordPath, JSON.stringify(record, null, 1) + '\n');
  }

  /** Keeps an uploaded pose log for the next start; `name` is a plain file name. */
  keepUpload(name: string, text: string): void {
    writeFileAtomic(join(this.uploadsDir, sourceKey(name)), text);
  }

  /**
   * Every file of the study, folders first, then single files, then uploads; a later
   * file of the same name wins. A folder or file that went missing is left out with a warning.
   */
  files(): { files: StudyFile[]; warnings: string[] } {
    const warnings: string[] = [];
    const tryRead = <T>(path: string, read: () => T[]): T[] => {
      try {
        return read();
      } catch (err) {
        warnings.push(`${path}: left out of the study (${(err as Error).message})`);
        return [];
      }
    };
    const record = this.record();
    const single = (path: string, origin: StudyFile['origin']): StudyFile => ({
      name: sourceKey(basename(path)), ...groupOf(basename(path)), text: decodeUtf8(readFileSync(path)), origin,
    });
    const uploads = existsSync(this.uploadsDir)
      ? readdirSync(this.uploadsDir).filter((f) => !f.startsWith('.')).sort().map((f) => single(join(this.uploadsDir, f), 'upload'))
      : [];
    const all = [
      ...record.folders.flatMap((d) => tryRead(d, () => folderFiles(d))),
      ...record.files.flatMap((f) => tryRead(f, () => [single(f, 'file')])),
      ...uploads,
    ];
    return { files: [...new Map(all.map((f) => [f.name, f])).values()], warnings };
  }
}
