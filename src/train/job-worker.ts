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

// the rest of the spec is trainPhase's options as they are
const { exercise, phase, seeds, progress: mode, ...options } = spec;
const progress = mode === 'none' ? null : new ProgressBar({ write: (text: string) => post({ type: 'progress', text }) }, mode === 'tty');
try {
  const { status, lines, headline } = await trainPhase(exercise, phase, seeds, {
    ...options, progress, shouldStop: () => Atomics.load(stopFlag, 0) === 1, log: (line) => post({ type: 'log', line }),
  });
  post({ type: 'done', status: status === 'interrupted' ? 'interrupted' : 'done', lines, headline });
} catch (err) {
  post({
    type: 'error',
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof MissingInputError && { missing: { remedy: err.remedy, kind: err.kind } }),
  });
}
