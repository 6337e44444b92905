// FormScorer: the form-scorer network as a small Keras-like model object on the
// WebAssembly engine. Keras initialisers, per-layer `trainable`, predict / evaluate /
// one Adam step per call, checkpoints in the TF.js Layers format (src/nn/checkpoint.ts).
// Training is data parallel: the batch is split into `threads` contiguous slices, the
// main thread computes slice 0 and worker threads the rest, gradients are summed in
// slice order, one Adam update runs here. Dropout masks are a hash of (seed, step,
// sample index in the batch), so they do not depend on the split.

import { availableParallelism } from 'node:os';
import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';
import { INPUT_SIZE, type NamedWeights, PARAM_COUNT, TRAINABLE_LAYERS, type TrainableLayer } from './architecture.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { Engine } from './engine.js';
import { initWeights } from './init.js';
import { Adam } from './optimizer.js';
import { WorkerPool, splitBatch } from './parallel.js';
import { SerialQueue } from '../util/serial-queue.js';

export interface FormScorerOptions {
  /** Seed of the initial weights and of the dropout masks (default 0). */
  seed?: number;
  /** Threads for training and batch inference (default: os.availableParallelism()). */
  threads?: number;
  /** Adam's learning rate (default Keras's). */
  learningRate?: number;
}

/** Samples per round of batch inference across the threads. */
const PREDICT_CHUNK = 256;

// 32-bit mix of (seed, step): the dropout seed of one training step
function stepSeed(seed: number, step: number): number {
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function checkBatch(what: string, x: Float32Array, n: number, y?: Float32Array): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: n = ${n} is not a whole number >= 0`);
  if (x.length !== n * INPUT_SIZE) throw new Error(`${what}: x has ${x.length} values, expected n×${FRAMES}×${N_FEATURES} = ${n * INPUT_SIZE}`);
  if (y && y.length !== n * N_SCORES) throw new Error(`${what}: y has ${y.length} values, expected n×${N_SCORES} = ${n * N_SCORES}`);
}

export class FormScorer {
  /** Per-layer trainable flags; frozen layers get no update and keep their Adam state. */
  readonly trainable: Record<TrainableLayer, boolean>;
  readonly threads: number;
  readonly seed: number;
  private readonly engine: Engine;
  /** Owns the learning rate, the update count and (in the engine's memory) the moments. */
  readonly optimizer: Adam;
  private pool: WorkerPool | null = null;
  private disposed = false;
  // calls that use the engine run one at a time, in call order (the engine and the
  // workers hold one batch at a time)
  private readonly queue = new SerialQueue();

  private exclusive<T>(what: string, f: () => Promise<T>): Promise<T> {
    return this.queue.run(() => {
      this.alive(what);
      return f();
    });
  }

  private constructor(weights: NamedWeights, opts: FormScorerOptions) {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`FormScorer: threads = ${threads} is not a whole number >= 1`);
    this.threads = threads;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.trainable = Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, true])) as Record<TrainableLayer, boolean>;
    this.engine = new Engine(64);
    this.engine.writeNamed('params', weights);
    this.optimizer = new Adam(this.engine, { learningRate: opts.learningRate });
  }

  private async startWorkers(): Promise<void> {
    if (this.threads > 1) this.pool = await WorkerPool.start(this.threads - 1, this.engine.regionFloats);
  }

  /** A new model with Keras initial weights drawn from `seed`. */
  static async create(opts: FormScorerOptions = {}): Promise<FormScorer> {
    return FormScorer.fromWeights(initWeights(opts.seed ?? 0), opts);
  }

  /** A model with the given weights (WEIGHT_SPECS names and shapes); fresh optimizer state. */
  static async fromWeights(weights: NamedWeights, opts: FormScorerOptions = {}): Promise<FormScorer> {
    const model = new FormScorer(weights, opts);
    await model.startWorkers();
    return model;
  }

  /** A checkpoint folder (saveCheckpoint / save): weights, trainable flags and optimizer state. */
  static async load(dir: string, opts: FormScorerOptions = {}): Promise<FormScorer> {
    const ckpt = loadCheckpoint(dir);
    const model = await FormScorer.fromWeights(ckpt.weights, opts);
    for (const l of TRAINABLE_LAYERS) model.trainable[l] = ckpt.trainable[l] !== false;
    if (ckpt.optimizer) model.optimizer.setState(ckpt.optimizer);
    return model;
  }

  /** Writes a checkpoint folder atomically (weights, optimizer state, trainable flags, `training` metadata). */
  save(dir: string, training?: Record<string, unknown>): void {
    saveCheckpoint(dir, this.getWeights(), { optimizer: this.optimizer.getState(), training, trainable: { ...this.trainable } });
  }

  getWeights(): NamedWeights {
    return this.engine.readNamed('params');
  }

  setWeights(w: NamedWeights): void {
    this.engine.writeNamed('params', w);
  }

  setTrainable(layer: TrainableLayer, on: boolean): void {
    if (!TRAINABLE_LAYERS.includes(layer)) throw new Error(`setTrainable: unknown layer "${layer}" (one of ${TRAINABLE_LAYERS.join(', ')})`);
    this.trainable[layer] = on;
  }

  paramCount(): number {
    return PARAM_COUNT;
  }

  private alive(what: string): void {
    if (this.disposed) throw new Error(`FormScorer.${what}: the model was disposed`);
  }

  /** Scores in [0, 1]: x (n, 90, 18) -> (n, 6). No dropout. */
  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    checkBatch('predict', x, n);
    return this.exclusive('predict', () => this.predictNow(x, n));
  }

  private async predictNow(x: Float32Array, n: number): Promise<Float32Array> {
    const out = new Float32Array(n * N_SCORES);
    const pool = this.pool;
    // too few samples to split: this thread alone, its kernels free to use the idle cores
    if (!pool || n < 2 * this.threads) return this.engine.predict(x, n, out, this.threads);
    await pool.ensureCapacity(PREDICT_CHUNK);
    this.syncWeights(pool);
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - s);
      const slices = splitBatch(m, this.threads);
      pool.x.set(x.subarray((s + slices[1].start) * INPUT_SIZE, (s + m) * INPUT_SIZE), slices[1].start * INPUT_SIZE);
      const running = pool.run(slices.slice(1).map((sl) => ({ type: 'predict' as const, ...sl })));
      this.engine.predict(x.subarray(s * INPUT_SIZE, (s + slices[0].count) * INPUT_SIZE), slices[0].count, out.subarray(s * N_SCORES));
      await running;
      out.set(pool.y.subarray(slices[1].start * N_SCORES, m * N_SCORES), (s + slices[1].start) * N_SCORES);
    }
    return out;
  }

  /** MSE loss and MAE over n samples with targets y (n, 6) in [0, 1]. */
  async evaluate(x: Float32Array, y: Float32Array, n: number, batch = PREDICT_CHUNK): Promise<{ loss: number; mae: number }> {
    checkBatch('evaluate', x, n, y);
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`evaluate: batch = ${batch} is not a whole number >= 1`);
    if (n === 0) return { loss: NaN, mae: NaN };
    return this.exclusive('evaluate', () => this.evaluateNow(x, y, n, batch));
  }

  private async evaluateNow(x: Float32Array, y: Float32Array, n: number, batch: number): Promise<{ loss: number; mae: number }> {
    let se = 0;
    let ae = 0;
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      const p = await this.predictNow(x.subarray(s * INPUT_SIZE, (s + m) * INPUT_SIZE), m);
      for (let i = 0; i < m * N_SCORES; i++) {
        const e = p[i] - y[s * N_SCORES + i];
        se += e * e;
        ae += Math.abs(e);
      }
    }
    return { loss: se / (n * N_SCORES), mae: ae / (n * N_SCORES) };
  }

  private syncWeights(pool: WorkerPool): void {
    pool.weights.set(this.engine.region('params'));
  }

  /** The batch gradient (of the mean loss) left in the engine's gradient region; returns loss and MAE. */
  private async gradients(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }> {
    const seed = stepSeed(this.seed, this.optimizer.step);
    const normalizer = n * N_SCORES;
    const trainable = { ...this.trainable };
    const engine = this.engine;
    const pool = this.pool;
    const slices = pool ? splitBatch(n, this.threads) : [{ start: 0, count: n }];
    let running: Promise<{ se: number; ae: number }[]> | null = null;
    if (pool && slices.length > 1) {
      await pool.ensureCapacity(n);
      this.syncWeights(pool);
      pool.x.set(x.subarray(slices[1].start * INPUT_SIZE, n * INPUT_SIZE), slices[1].start * INPUT_SIZE);
      pool.y.set(y.subarray(slices[1].start * N_SCORES, n * N_SCORES), slices[1].start * N_SCORES);
      running = pool.run(slices.slice(1).map((sl) => ({ type: 'train' as const, ...sl, normalizer, seed, trainable })));
    }
    // slice 0 on this thread while the workers run theirs
    const m = slices[0].count;
    engine.ensureCapacity(Math.max(m, 1));
    engine.zeroGrads();
    let se = 0;
    let ae = 0;
    if (m > 0) {
      engine.prepareBackward();
      ({ se, ae } = engine.accumulateGradients(x, y, m, normalizer, seed, 0, trainable));
    }
    if (running) {
      const results = await running;
      results.forEach((r, i) => {
        se += r.se;
        ae += r.ae;
        if (slices[i + 1].count > 0) engine.addGradients(pool!.grads(i));
      });
    }
    return { loss: se / normalizer, mae: ae / normalizer };
  }

  /** One Adam step on a batch (dropout on); returns the batch's loss and MAE before the update. */
  async trainStep(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }> {
    checkBatch('trainStep', x, n, y);
    if (n === 0) throw new Error('trainStep: empty batch');
    return this.exclusive('trainStep', async () => {
      const result = await this.gradients(x, y, n);
      this.optimizer.apply(this.trainable);
      return result;
    });
  }

  /** The gradient of the batch's mean loss by weight name, without updating (tests, diagnostics). */
  async computeGradients(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number; grads: NamedWeights }> {
    checkBatch('computeGradients', x, n, y);
    if (n === 0) throw new Error('computeGradients: empty batch');
    return this.exclusive('computeGradients', async () => {
      const r = await this.gradients(x, y, n);
      return { ...r, grads: this.engine.readNamed('grads') };
    });
  }

  /** Ends the worker threads; the model is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.queue.idle(); // let calls already made finish
    this.disposed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.dispose();
  }
}
