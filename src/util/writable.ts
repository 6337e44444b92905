// Output paths that cannot be written, said in words: which path, and why (read-only,
// full, not a folder, no permission), instead of a bare "ENOSPC ... write" or an
// EEXIST from deep inside mkdir.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'a folder is in the way',
};

/** The reason an errno-style error gives for not writing, in words. */
export function writeReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
}

/** An error naming the path that could not be written and why; a file in the way of a folder is named. */
export function writeError(path: string, err: unknown): Error {
  const blocker = fileInTheWay(path);
  if (blocker) return new Error(`cannot write ${path}: ${blocker} is a file, not a folder`);
  if (err instanceof Error && err.message.startsWith('cannot write ')) return err;
  return new Error(`cannot write ${path}: ${writeReason(err)}`);
}

/**
 * Throws a one-line error unless `dir` is a writable folder or could be created as
 * one (its nearest existing ancestor is a writable folder). Creates nothing, so a
 * command can check its output folder before the work starts.
 */
export function checkWritableDir(dir: string, what = 'output folder'): void {
  let probe = resolve(dir);
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  if (!statSync(probe).isDirectory()) throw new Error(`${what} ${dir} is not writable (${probe} is a file)`);
  try {
    accessSync(probe, constants.W_OK);
  } catch (err) {
    throw new Error(`${what} ${dir} is not writable (${writeReason(err)}${probe === resolve(dir) ? '' : `, in ${probe}`})`);
  }
}

/** The nearest existing ancestor of `path`'s folder when it is a file (so nothing can be created below it). */
function fileInTheWay(path: string): string | null {
  for (let p = dirname(resolve(path)); ; p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? null : p;
    if (dirname(p) === p) return null;
  }
}
