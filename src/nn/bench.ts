// Engine benchmark: training and inference speed of the WebAssembly engine on random
// data of the real shapes, after a warm-up. With many steps (e.g. 2000) the RSS fields
// show that memory stays flat while training.

import { loadavg } from 'node:os';
import { N_SCORES } from '../data/exercises.js';
import { INPUT_SIZE } from './architecture.js';
import { defaultKernelSet } from './kernels.js';
import { FormScorer } from './model.js';
import { Random } from '../util/random.js';

export interface BenchSettings {
  /** This thread plus threads-1 workers. */
  threads: number;
  batch: number;
  /** Timed training steps. */
  steps: number;
  /** Untimed training steps first. */
  warmup: number;
  /** Progress on long runs; default stderr. */
  log?: (line: string) => void;
}

export interface BenchResult {
  train_samples_per_s: number;
  infer_batch_samples_per_s: number;
  infer_single_ms: number;
  threads: number;
  params: number;
  batch: number;
  steps: number;
  /** The kernel set that ran (src/nn/kernels.ts): native-avx512, ..., wasm-relaxed, wasm. */
  kernels: string;
  /** Process CPU seconds per wall second while training: below `threads` means the cores were shared. */
  train_cpu_per_wall: number;
  /** 1-minute load average when the run started (how busy the machine was). */
  load_avg_start: number;
  rss_mb_after_warmup: number;
  rss_mb_end: number;
  peak_rss_mb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Trains `steps` Adam steps on one random batch, then times batch and single-rep inference. */
export async function benchEngine(opts: BenchSettings): Promise<BenchResult> {
  const { threads, batch, steps, warmup } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rng = new Random(1);
  const x = Float32Array.from({ length: batch * INPUT_SIZE }, () => rng.uniform(-1, 1));
  const y = Float32Array.from({ length: batch * N_SCORES }, () => rng.next());
  const model = await FormScorer.create({ seed: 1, threads });
  try {
    for (let i = 0; i < warmup; i++) await model.trainStep(x, y, batch);
    const rssWarm = process.memoryUsage().rss;
    const load = loadavg()[0];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const { loss } = await model.trainStep(x, y, batch);
      if (!Number.isFinite(loss)) throw new Error(`bench: loss became ${loss} at step ${i}`);
      if (steps >= 200 && (i + 1) % 200 === 0) log(`bench: step ${i + 1}/${steps}, rss ${mb(process.memoryUsage().rss)} MB`);
    }
    const trainS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rssEnd = process.memoryUsage().rss;

    // batch inference: enough rounds for about a second of work, after one warm-up call
    await model.predict(x, batch);
    let rounds = 0;
    const t1 = performance.now();
    while (rounds < 3 || performance.now() - t1 < 1000) {
      await model.predict(x, batch);
      rounds++;
    }
    const inferS = (performance.now() - t1) / 1000;

    const one = x.subarray(0, INPUT_SIZE);
    for (let i = 0; i < 20; i++) await model.predict(one, 1);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await model.predict(one, 1);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return {
      train_samples_per_s: Math.round((steps * batch) / trainS),
      infer_batch_samples_per_s: Math.round((rounds * batch) / inferS),
      infer_single_ms: Math.round(times[times.length >> 1] * 1000) / 1000,
      threads,
      params: model.paramCount(),
      batch,
      steps,
      kernels: defaultKernelSet().name,
      train_cpu_per_wall: Math.round(((cpu.user + cpu.system) / 1e6 / trainS) * 100) / 100,
      load_avg_start: Math.round(load * 100) / 100,
      rss_mb_after_warmup: mb(rssWarm),
      rss_mb_end: mb(rssEnd),
      peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await model.dispose();
  }
}
