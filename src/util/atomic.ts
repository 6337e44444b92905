// Atomic writes: a file or a whole folder appears complete or not at all, so an
// interrupted run (crash, Ctrl-C) never leaves a half-written result behind. A run
// killed outright (kill -9, power loss, a second Ctrl-C while a training worker thread
// writes) can still leave its temporary sibling, or a replaced folder moved aside and
// not yet put back; the next write of the same path, or recoverDir, removes the first
// and puts the second back where the folder is missing, once their process is gone.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { writeError } from './writable.js';

let counter = 0;
const tempName = (path: string, kind: 'tmp' | 'old' = 'tmp') => join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.${kind}`);

/** Writes `data` to `path` via a temporary file in the same folder and a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempName(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    removeStaleTemps(path);
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw writeError(path, err);
  }
}

/**
 * Writes a folder of files atomically: the files go to a temporary sibling folder,
 * which then replaces `dir` (the old one is moved aside first and removed last).
 */
export function writeDirAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  const tmp = tempName(dir);
  try {
    mkdirSync(dirname(dir), { recursive: true });
    removeStaleTemps(dir);
    mkdirSync(tmp);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
    const old = existsSync(dir) ? tempName(dir, 'old') : null;
    if (old) renameSync(dir, old);
    renameSync(tmp, dir);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    removeQuietly(tmp);
    throw writeError(dir, err);
  }
}

/** Copies a flat folder (a checkpoint) so that `to` holds its old content or the new, never a mix. */
export function copyDirAtomic(from: string, to: string): void {
  writeDirAtomic(to, Object.fromEntries(readdirSync(from).map((f) => [f, readFileSync(join(from, f))])));
}

/** Puts back a folder that a killed run had moved aside to replace it and left missing; true when `dir` exists. */
export function recoverDir(dir: string): boolean {
  if (!existsSync(dir) && existsSync(dirname(dir))) removeStaleTemps(dir);
  return existsSync(dir);
}

/**
 * Siblings of `path` left by processes that no longer run: `.<name>.<pid>.<n>.tmp` are
 * removed; `.<name>.<pid>.<n>.old` (the folder a replacement moved aside) goes back to
 * `path` when `path` is missing, else is removed.
 */
function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.`;
  for (const entry of readdirSync(dirname(path))) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(\d+)\.\d+\.(tmp|old)$/.exec(entry.slice(prefix.length));
    if (!match || isRunning(Number(match[1]))) continue;
    const stale = join(dirname(path), entry);
    if (match[2] === 'old' && !existsSync(path)) renameSync(stale, path);
    else rmSync(stale, { recursive: true, force: true });
  }
}

// Cleanup after a failed write must not hide why it failed (its folder may not even exist).
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // as above
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}
