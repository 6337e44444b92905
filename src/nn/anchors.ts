// Side-by-side measurement against the reference frameworks (`formscore bench --compare`):
// formscore's own bench and scripts/anchors.py (the same network in PyTorch and in Keras 3
// on TensorFlow), run interleaved round by round so that a machine that speeds up or slows
// down mid-run touches every trainer alike. Each run is a fresh process. The frameworks are
// only measured: a Python without them is reported as such, never installed.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ANCHORS = ['torch', 'tensorflow'] as const;
export type Anchor = (typeof ANCHORS)[number];

export interface CompareSettings {
  /** Python that has torch and/or tensorflow (e.g. a venv's bin/python). */
  python: string;
  rounds: number;
  threads: number;
  batch: number;
  steps: number;
  warmup: number;
  log: (line: string) => void;
}

export interface TrainerRuns {
  /** The kernel set (formscore) or the framework version. */
  version: string;
  train_samples_per_s: number[];
  best: number;
  median: number;
}

export interface CompareResult {
  rounds: number;
  threads: number;
  batch: number;
  formscore: TrainerRuns;
  /** Missing frameworks map to the reason (e.g. "not installed"). */
  anchors: Record<Anchor, TrainerRuns | string>;
}

const BIN = fileURLToPath(new URL('../../../bin/formscore.js', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../../scripts/anchors.py', import.meta.url));

function runJson(cmd: string, args: string[]): Record<string, unknown> | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (r.error) return `could not run ${cmd}: ${r.error.message}`;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const err = r.stderr.trim().split('\n').pop() ?? '';
    return /No module named/.test(r.stderr) ? 'not installed' : `failed (exit ${r.status}): ${err}`;
  }
  return JSON.parse(last) as Record<string, unknown>;
}

function summarise(version: string, runs: number[]): TrainerRuns {
  const sorted = [...runs].sort((a, b) => a - b);
  return { version, train_samples_per_s: runs, best: sorted[sorted.length - 1], median: sorted[sorted.length >> 1] };
}

export function compareAnchors(s: CompareSettings): CompareResult {
  const common = ['--threads', String(s.threads), '--batch', String(s.batch), '--steps', String(s.steps), '--warmup', String(s.warmup)];
  const ours: number[] = [];
  let kernels = '';
  const theirs = new Map<Anchor, { version: string; runs: number[] } | string>();
  for (let round = 1; round <= s.rounds; round++) {
    const r = runJson(process.execPath, [BIN, 'bench', ...common]);
    if (typeof r === 'string') throw new Error(`bench --compare: formscore's own bench ${r}`);
    ours.push(r.train_samples_per_s as number);
    kernels = r.kernels as string;
    const line = [`formscore ${r.train_samples_per_s}/s`];
    for (const anchor of ANCHORS) {
      const before = theirs.get(anchor);
      if (typeof before === 'string') continue;
      const a = runJson(s.python, [SCRIPT, anchor, ...common]);
      if (typeof a === 'string') {
        theirs.set(anchor, a);
        line.push(`${anchor} ${a}`);
        continue;
      }
      const entry = before ?? { version: String(a.version), runs: [] };
      entry.runs.push(a.train_samples_per_s as number);
      theirs.set(anchor, entry);
      line.push(`${anchor} ${a.train_samples_per_s}/s`);
    }
    s.log(`bench --compare: round ${round}/${s.rounds}: ${line.join(', ')} (training samples)`);
  }
  const anchors = Object.fromEntries(ANCHORS.map((a) => {
    const e = theirs.get(a)!;
    return [a, typeof e === 'string' ? e : summarise(e.version, e.runs)];
  })) as Record<Anchor, TrainerRuns | string>;
  return { rounds: s.rounds, threads: s.threads, batch: s.batch, formscore: summarise(kernels, ours), anchors };
}
