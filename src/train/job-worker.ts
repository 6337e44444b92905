// One training job in a worker thread: trainPhase with the job's settings; notices and
// progress go to the main thread as messages (see jobs.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { trainPhase } from './seeds.js';
import { ProgressBar } from './progress.js';
import { MissingInputError } from '../workspace/errors.js';
import type { TrainJobData, TrainJobMessage } from './jobs.js';

const { spec, stop } = workerData as TrainJobData;
const post = (m: TrainJobMessage) => parentPort!.postMessage(m);
const stopFlag = new Int32Array(stop);

const progress = spec.progress === 'none' ? null : new ProgressBar({ write: (text: string) => post({ type: 'progress', text }) }, spec.progress === 'tty');
try {
  const { status, lines, headline } = await trainPhase(spec.exercise, spec.phase, spec.seeds, {
    dataDir: spec.dataDir, modelsDir: spec.modelsDir, epochs: spec.epochs, seed: spec.seed, profile: spec.profile,
    threads: spec.threads, resume: spec.resume, batchSize: spec.batchSize, learningRate: spec.learningRate, progress, shouldStop: () => Atomics.load(stopFlag, 0) === 1,
    log: (line) => post({ type: 'log', line }),
  });
  post({ type: 'done', status: status === 'interrupted' ? 'interrupted' : 'done', lines, headline });
} catch (err) {
  post({
    type: 'error',
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof MissingInputError && { missing: { remedy: err.remedy, kind: err.kind } }),
  });
}
