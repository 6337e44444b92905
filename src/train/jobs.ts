// Training in worker threads, several exercises at once (`pipeline --jobs`, `train
// --jobs`). On a few cores that beats training one exercise at a time on all of them:
// a batch of 64 split across threads pays a synchronisation and a gradient reduction
// every step and waits for the slowest thread, while independent exercises never wait
// for each other (README: Measured performance). A job's worker (job-worker.ts) runs
// trainPhase; its notices, its progress and its result come back as messages, and the
// stop request goes to it through shared memory, checked after every training step as
// on the main thread. runJobs decides which jobs run side by side and on how many threads.

import { Worker } from 'node:worker_threads';
import type { Exercise } from '../data/exercises.js';
import type { DataProfile } from '../data/synthetic.js';
import type { ProgressBar } from './progress.js';
import { MissingInputError, type MissingInput } from '../workspace/errors.js';
import type { Phase } from '../workspace/layout.js';

/** What one job trains: everything trainPhase needs, as plain data. */
export interface TrainJobSpec {
  exercise: Exercise;
  phase: Phase;
  seeds?: readonly number[];
  dataDir: string;
  modelsDir: string;
  /** Default: the phase's (trainer.ts), as are batchSize and learningRate. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Default: the trainer's (an interrupted run's, with resume). */
  seed?: number;
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
  | { type: 'done'; status: 'done' | 'interrupted'; lines: string[]; headline: string }
  | { type: 'error'; message: string; missing?: { remedy: string; kind: MissingInput } };

/** What the worker receives as workerData. */
export interface TrainJobData {
  spec: TrainJobSpec;
  /** Int32 [0]: 1 once the command asks training to stop. */
  stop: SharedArrayBuffer;
}

export interface TrainJobOutput {
  progress?: ProgressBar | null;
  log: (line: string) => void;
  /**
   * Whether other jobs print at the same time: then every line of this one that does not
   * already start with its exercise gets it as a prefix, and progress is one line per epoch
   * (else a terminal gets the bar redrawn in place).
   */
  sideBySide: boolean;
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
export function trainInWorker(
  job: Omit<TrainJobSpec, 'progress'>, stop: StopFlag, out: TrainJobOutput,
): Promise<{ status: 'done' | 'interrupted'; lines: string[]; headline: string }> {
  const progress = !out.progress ? 'none' : !out.sideBySide && out.progress.tty ? 'tty' : 'lines';
  const spec: TrainJobSpec = { ...job, progress };
  const data: TrainJobData = { spec, stop: stop.buffer };
  const worker = new Worker(new URL('./job-worker.js', import.meta.url), { workerData: data });
  const what = `training ${spec.exercise} phase ${spec.phase}`;
  const named = (line: string) => line.startsWith(`${spec.exercise} `);
  const tag = (line: string) => (out.sideBySide && !named(line) ? `${spec.exercise}: ${line}` : line);
  let pending = '';
  const progressText = (text: string) => {
    if (progress === 'tty') return out.progress?.raw(text);
    // one line per epoch: each complete line as a notice of its own, with the job's prefix
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) out.progress?.message(tag(line));
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
      if (m.type === 'log') out.log(tag(m.line));
      else if (m.type === 'progress') progressText(m.text);
      else if (m.type === 'done') settle(() => resolve({ status: m.status, lines: m.lines.map(tag), headline: m.headline }));
      else settle(() => reject(m.missing ? new MissingInputError(m.message, m.missing.remedy, m.missing.kind) : new Error(named(m.message) ? m.message : `${what}: ${m.message}`)));
    });
    worker.on('error', (err) => settle(() => reject(new Error(`${what}: ${err.message}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`${what}: the worker thread exited (code ${code}) before it finished`))));
  });
}

/**
 * Exercises trained at once: `jobs` (default: one per thread), at most one per exercise.
 * Refuses, naming the command, a thread count below 1 and more jobs than threads.
 */
export function jobCount(command: string, threads: number, jobs: number | undefined, exercises: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${command}: threads = ${threads} is not a whole number >= 1`);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new Error(`${command}: jobs = ${jobs} is not a whole number >= 1`);
  if (jobs !== undefined && jobs > threads) {
    throw new Error(`${command}: --jobs ${jobs} is more than the ${threads} threads (--threads); each job needs a thread of its own`);
  }
  return Math.max(1, Math.min(jobs ?? threads, exercises));
}

/**
 * Threads of each job, in queue order: threads / jobs, or all of them for a job that will
 * run alone. Which jobs run alone comes from the costs (samples × epochs in the pipeline,
 * bytes of training data in `train`: any measure of the work), by laying the
 * queue out on `jobs` slots as runJobs starts them, not from timing: a given setting
 * always trains an exercise on the same number of threads, hence to the same bytes.
 */
export function threadShares(costs: readonly number[], threads: number, jobs: number): number[] {
  const free = new Array<number>(Math.max(1, jobs)).fill(0);
  const spans = costs.map((cost) => {
    const slot = free.indexOf(Math.min(...free));
    const start = free[slot];
    free[slot] = start + cost;
    return { start, end: start + cost };
  });
  return spans.map((s, i) => {
    const alone = spans.every((o, j) => j === i || o.end <= s.start);
    return alone ? threads : Math.max(1, Math.floor(threads / jobs));
  });
}

/** One exercise's training for runJobs: its cost (see threadShares) and how to run it; false when interrupted. */
export interface Job {
  cost: number;
  run(threads: number): Promise<boolean>;
}

/**
 * Runs `queue` `jobs` at a time in its order (put the costliest first, so that the
 * longest does not start last), each on its share of the threads (threadShares). A job
 * planned to run alone waits for the others to finish, so that it never shares the
 * cores. A stop request (`shouldStop`, polled every 100 ms) reaches every running job
 * through `stop`; after a job throws, the others are stopped (keeping their checkpoints)
 * and the error is thrown. False when interrupted.
 */
export async function runJobs(queue: readonly Job[], threads: number, jobs: number, stop: StopFlag, shouldStop?: () => boolean): Promise<boolean> {
  const shareList = threadShares(queue.map((job) => job.cost), threads, jobs);
  const shares = new Map(queue.map((job, i) => [job, shareList[i]]));
  const waiting = [...queue];
  const watch = setInterval(() => shouldStop?.() && stop.raise(), 100);
  let interrupted = false;
  const errors: unknown[] = [];
  const running = new Set<Promise<void>>();
  const runOne = async (job: Job) => {
    const ok = await job.run(shares.get(job)!).catch((err: unknown) => (errors.push(err), stop.raise(), false));
    if (!ok) interrupted = true;
  };
  const stopped = () => errors.length > 0 || interrupted || stop.raised;
  const slot = async () => {
    for (let job = waiting.shift(); job && !stopped(); job = waiting.shift()) {
      if (jobs > 1 && shares.get(job) === threads) await Promise.all(running);
      if (stopped()) break; // the others ended in a stop or an error while this one waited
      const run = runOne(job);
      running.add(run);
      await run;
      running.delete(run);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, waiting.length) }, slot));
  } finally {
    clearInterval(watch);
  }
  if (errors.length) throw errors[0];
  return !interrupted && !stop.raised;
}
