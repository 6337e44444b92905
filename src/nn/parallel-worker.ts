// One data-parallel training worker: its own wasm engine; reads the weights and its
// slice of the batch from shared memory, writes its gradient sums (or predictions)
// back to shared memory, replies with the slice's error sums. See parallel.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { N_SCORES } from '../data/exercises.js';
import { INPUT_SIZE } from './architecture.js';
import { Engine } from './engine.js';
import type { WorkerBuffers, WorkerMessage, WorkerReply } from './parallel.js';

const buffers = workerData as WorkerBuffers;
// small to start: activations grow to the largest slice this worker is given (once)
const engine = new Engine(8);
const weights = new Float32Array(buffers.weights);
const grads = new Float32Array(buffers.grads);
let x = new Float32Array(buffers.x);
let y = new Float32Array(buffers.y);

function handle(task: WorkerMessage): WorkerReply {
  if (task.type === 'batch') {
    x = new Float32Array(task.x);
    y = new Float32Array(task.y);
    return { ok: true, se: 0, ae: 0 };
  }
  const { start, count } = task;
  if (count === 0) return { ok: true, se: 0, ae: 0 };
  engine.region('params').set(weights);
  if (task.type === 'predict') {
    // in chunks of at most 64 samples (the main thread's inference chunk)
    engine.ensureCapacity(Math.min(count, 64));
    engine.predict(x.subarray(start * INPUT_SIZE, (start + count) * INPUT_SIZE), count, y.subarray(start * N_SCORES, (start + count) * N_SCORES));
    return { ok: true, se: 0, ae: 0 };
  }
  engine.prepareBackward();
  engine.zeroGrads();
  const xs = x.subarray(start * INPUT_SIZE, (start + count) * INPUT_SIZE);
  const ys = y.subarray(start * N_SCORES, (start + count) * N_SCORES);
  const { se, ae } = engine.accumulateGradients(xs, ys, count, task.normalizer, task.seed, start, task.trainable);
  grads.set(engine.region('grads'));
  return { ok: true, se, ae };
}

parentPort!.on('message', (task: WorkerMessage) => {
  let reply: WorkerReply;
  try {
    reply = handle(task);
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
