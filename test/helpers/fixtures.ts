// Locates the shared fixtures written by outside tools (numpy, the app, TensorFlow's
// converter). They live beside the repository in ../shared/fixtures; a clone elsewhere
// can point FORMSCORE_FIXTURES at them.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const candidates = [
  process.env.FORMSCORE_FIXTURES,
  join(REPO_ROOT, '../shared/fixtures'),
  '/work/shared/fixtures',
].filter((p): p is string => !!p);

export const FIXTURES = candidates.find((p) => existsSync(p)) ?? candidates[0];

export const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);

/** A fresh temporary folder for one test. */
export const tempDir = (prefix = 'formscore-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** A pose log's text without its rep_id column: what the app writes when it does not tag reps. */
export function withoutRepId(text: string): string {
  const rows = text.trim().split('\n').map((l) => l.split(','));
  const col = rows[0].indexOf('rep_id');
  return rows.map((r) => r.filter((_, i) => i !== col).join(',')).join('\n') + '\n';
}
