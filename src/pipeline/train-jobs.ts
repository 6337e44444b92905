// The pipeline's training steps, each in a worker thread of its own, so that several
// exercises train at once (`pipeline --jobs`). On a few cores that beats training one
// exercise at a time on all of them: a batch of 64 split across threads pays a
// synchronisation and a gradient reduction every step and waits for the slowest
// thread, while independent exercises never wait for each other (README: Measured
// performance). The worker (train-job-worker.ts) runs trainPhase; its notices, its
// progress and its result come back as messages, and the pipeline's stop request goes
// to it through shared memory, checked after every training step as on the main thread.

import { Worker } from 'node:worker_threads';
import type { Exercise } from '../data/exercises.js';
import type { DataProfile } from '../data/synthetic.js';
import type { ProgressBar } from '../train/progress.js';
import { MissingInputError, type MissingInput } from '../workspace/errors.js';
import type { Phase } from '../workspace/layout.js';

/** What one training step trains: everything trainPhase needs, as plain data. */
export interface TrainJobSpec {
  exercise: Exercise;
  phase: Phase;
  seeds?: readonly number[];
  dataDir: string;
  modelsDir: string;
  epochs: number;
  seed: number;
  profile: DataProfile;
  threads: number;
  resume: boolean;
  /** Progress as on a terminal (a bar redrawn in place) or as one line per epoch. */
  progress: 'tty' | 'lines' | 'none';
}

/** Worker to main thread. */
export type TrainJobMessage =
  | { type: 'log'; line: string }
  | { type: 'progress'; text: string }
  | { type: 'done'; status: 'done' | 'interrupted'; lines: string[] }
  | { type: 'error'; message: string; missing?: { remedy: string; kind: MissingInput } };

/** What the worker receives as workerData. */
export interface TrainJobData {
  spec: TrainJobSpec;
  /** Int32 [0]: 1 once the pipeline asks training to stop. */
  stop: SharedArrayBuffer;
}

export interface TrainJobOutput {
  progress?: ProgressBar | null;
  log: (line: string) => void;
  /** Put before every line of this job (several jobs print at once). */
  prefix: string;
}

/** A stop request shared with every running job; `raise` is idempotent. */
export class StopFlag {
  readonly buffer = new SharedArrayBuffer(4);
  private readonly flag = new Int32Array(this.buffer);
  raise(): void {
    Atomics.store(this.flag, 0, 1);
  }
  get raised(): boolean {
    return Atomics.load(this.flag, 0) === 1;
  }
}

/** Trains one step in a new worker thread; resolves with its status and closing lines. */
export function trainInWorker(spec: TrainJobSpec, stop: StopFlag, out: TrainJobOutput): Promise<{ status: 'done' | 'interrupted'; lines: string[] }> {
  const data: TrainJobData = { spec, stop: stop.buffer };
  const worker = new Worker(new URL('./train-job-worker.js', import.meta.url), { workerData: data });
  const what = `training ${spec.exercise} phase ${spec.phase}`;
  let pending = '';
  const progressText = (text: string) => {
    if (spec.progress === 'tty') return out.progress?.raw(text);
    // one line per epoch: each complete line as a notice of its own, with the job's prefix
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) out.progress?.message(out.prefix + line);
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate(); // its files are written (atomically) before it reports
      f();
    };
    worker.on('message', (m: TrainJobMessage) => {
      if (m.type === 'log') out.log(out.prefix + m.line);
      else if (m.type === 'progress') progressText(m.text);
      else if (m.type === 'done') settle(() => resolve({ status: m.status, lines: m.lines.map((l) => out.prefix + l) }));
      else settle(() => reject(m.missing ? new MissingInputError(m.message, m.missing.remedy, m.missing.kind) : new Error(`${what}: ${m.message}`)));
    });
    worker.on('error', (err) => settle(() => reject(new Error(`${what}: ${err.message}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`${what}: the worker thread exited (code ${code}) before it finished`))));
  });
}
