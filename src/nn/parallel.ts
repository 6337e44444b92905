// Data-parallel training across worker_threads. The main thread's engine owns the
// master weights and the Adam state and computes slice 0 of every batch itself; each
// worker owns its own wasm instance and computes one further slice. Weights go out and
// gradients come back through SharedArrayBuffers (no copies through the message
// port); the gradient reduction happens once per step on the main thread, always in
// slice order, so a given seed and thread count reproduce the same bytes.

import { Worker } from 'node:worker_threads';
import { N_SCORES } from '../data/exercises.js';
import { INPUT_SIZE, type TrainableLayer } from './architecture.js';

/** What a worker is asked to do with samples [start, start + count) of the shared batch. */
export type WorkerTask =
  | { type: 'train'; start: number; count: number; normalizer: number; seed: number; trainable: Record<TrainableLayer, boolean> }
  | { type: 'predict'; start: number; count: number };

/** A task, or new (larger) shared batch buffers; the weights and gradient buffers never change. */
export type WorkerMessage = WorkerTask | { type: 'batch'; x: SharedArrayBuffer; y: SharedArrayBuffer };

export interface WorkerBuffers {
  weights: SharedArrayBuffer; // regionFloats f32: the current weights, engine region layout
  grads: SharedArrayBuffer; // regionFloats f32: this worker's gradient sums
  x: SharedArrayBuffer; // (capacity, 90, 18)
  y: SharedArrayBuffer; // (capacity, 6) targets; predictions come back here too
}

export type WorkerReply = { ok: true; se: number; ae: number } | { ok: false; error: string };

/** Splits n samples into `parts` contiguous slices; slice k is [start, end). */
export function splitBatch(n: number, parts: number): { start: number; count: number }[] {
  const out = [];
  for (let k = 0; k < parts; k++) {
    const start = Math.floor((k * n) / parts);
    const end = Math.floor(((k + 1) * n) / parts);
    out.push({ start, count: end - start });
  }
  return out;
}

class TrainWorker {
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null = null;
  readonly worker: Worker;
  grads: Float32Array;

  constructor(buffers: WorkerBuffers) {
    this.worker = new Worker(new URL('./parallel-worker.js', import.meta.url), { workerData: buffers });
    this.grads = new Float32Array(buffers.grads);
    this.worker.unref(); // an idle pool never keeps the process alive
    this.worker.on('message', (r: WorkerReply) => this.settle((p) => p.resolve(r)));
    this.worker.on('error', (e) => this.settle((p) => p.reject(e)));
    this.worker.on('exit', (code) => this.settle((p) => p.reject(new Error(`training worker exited (code ${code})`))));
  }

  private settle(f: (p: NonNullable<TrainWorker['pending']>) => void): void {
    const p = this.pending;
    this.pending = null;
    this.worker.unref();
    if (p) f(p);
  }

  run(task: WorkerMessage): Promise<WorkerReply> {
    if (this.pending) return Promise.reject(new Error('training worker busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref(); // keep the process alive while a result is owed
      this.worker.postMessage(task);
    });
  }
}

/** threads - 1 workers plus the shared buffers they read and write. */
export class WorkerPool {
  private readonly workers: TrainWorker[] = [];
  weights: Float32Array;
  x: Float32Array;
  y: Float32Array;
  private capacity = 0;

  private constructor(count: number, regionFloats: number, capacity: number) {
    const weightsBuf = new SharedArrayBuffer(regionFloats * 4);
    this.weights = new Float32Array(weightsBuf);
    this.capacity = capacity;
    const x = new SharedArrayBuffer(capacity * INPUT_SIZE * 4);
    const y = new SharedArrayBuffer(capacity * N_SCORES * 4);
    this.x = new Float32Array(x);
    this.y = new Float32Array(y);
    for (let i = 0; i < count; i++) {
      this.workers.push(new TrainWorker({ weights: weightsBuf, grads: new SharedArrayBuffer(regionFloats * 4), x, y }));
    }
  }

  static async start(workers: number, regionFloats: number, capacity = 64): Promise<WorkerPool> {
    const pool = new WorkerPool(workers, regionFloats, capacity);
    // a first round trip, so that worker start-up failures surface here, not mid-training
    await Promise.all(pool.workers.map((w) => w.run({ type: 'predict', start: 0, count: 0 }).then(check)));
    return pool;
  }

  /** Makes the shared batch buffers hold n samples (new buffers are sent to the workers). */
  async ensureCapacity(n: number): Promise<void> {
    if (n <= this.capacity) return;
    const x = new SharedArrayBuffer(n * INPUT_SIZE * 4);
    const y = new SharedArrayBuffer(n * N_SCORES * 4);
    this.x = new Float32Array(x);
    this.y = new Float32Array(y);
    this.capacity = n;
    await Promise.all(this.workers.map((w) => w.run({ type: 'batch', x, y }).then(check)));
  }

  /** Worker i's gradient sums (valid after a train task). */
  grads(i: number): Float32Array {
    return this.workers[i].grads;
  }

  /** Runs tasks[i] on worker i (all at once). */
  run(tasks: WorkerTask[]): Promise<{ se: number; ae: number }[]> {
    return Promise.all(tasks.map((t, i) => this.workers[i].run(t).then(check)));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}

function check(r: WorkerReply): { se: number; ae: number } {
  if (!r.ok) throw new Error(`training worker: ${r.error}`);
  return { se: r.se, ae: r.ae };
}
