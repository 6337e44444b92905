// Atomic writes: a file or a whole folder appears complete or not at all, so an
// interrupted run (crash, Ctrl-C) never leaves a half-written result behind.

import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);

/** Writes `data` to `path` via a temporary file in the same folder and a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a folder of files atomically: the files go to a temporary sibling folder,
 * which then replaces `dir` (the old one is moved aside first and removed last).
 */
export function writeDirAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempName(dir);
  try {
    mkdirSync(tmp);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
    const old = existsSync(dir) ? tempName(dir) : null;
    if (old) renameSync(dir, old);
    renameSync(tmp, dir);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
