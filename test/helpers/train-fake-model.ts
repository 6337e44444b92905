// A tiny stand-in for FormScorer with the same training interface, for tests of the
// training loop that must be fast and exactly reproducible: a linear model on the
// time-mean of the 18 input channels, sigmoid output, MSE loss, Adam, with weights
// named like the real network's layers so freezing can be checked.
//   z (N,6) = mean_t(x) (N,18) · (conv1 + conv2 + dense1) (18,6) + scores/bias (6)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRAMES, N_FEATURES, N_SCORES } from '../../src/data/exercises.js';
import type { NamedWeights, TrainableLayer } from '../../src/nn/architecture.js';
import { TRAINABLE_LAYERS } from '../../src/nn/architecture.js';
import { writeDirAtomic } from '../../src/util/atomic.js';
import { Random } from '../../src/util/random.js';
import { Adam, type AdamMemory } from '../../src/nn/optimizer.js';
import type { ModelFactory, TrainableModel } from '../../src/train/trainer.js';

const WEIGHTS: [string, TrainableLayer, number][] = [
  ['conv1/kernel', 'conv1', N_FEATURES * N_SCORES],
  ['conv2/kernel', 'conv2', N_FEATURES * N_SCORES],
  ['dense1/kernel', 'dense1', N_FEATURES * N_SCORES],
  ['scores/bias', 'scores', N_SCORES],
];

const copy = (w: NamedWeights): NamedWeights => new Map([...w].map(([k, v]) => [k, Float32Array.from(v)]));
const zerosLike = (w: NamedWeights): NamedWeights => new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));

export class FakeScorer implements TrainableModel, AdamMemory {
  weights: NamedWeights;
  trainable: Record<TrainableLayer, boolean> = Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, true])) as Record<TrainableLayer, boolean>;
  readonly optimizer: Adam;
  moments: { m: NamedWeights; v: NamedWeights };
  private grads: NamedWeights = new Map();
  steps = 0;
  disposed = false;

  constructor(seed = 1, learningRate?: number) {
    this.optimizer = new Adam(this, { learningRate });
    const rng = new Random(seed);
    this.weights = new Map(WEIGHTS.map(([name, , n]) => [name, Float32Array.from({ length: n }, () => rng.uniform(-0.1, 0.1))]));
    this.moments = { m: zerosLike(this.weights), v: zerosLike(this.weights) };
  }

  getWeights(): NamedWeights { return copy(this.weights); }
  setWeights(w: NamedWeights): void { this.weights = copy(w); }
  setTrainable(layer: TrainableLayer, on: boolean): void { this.trainable[layer] = on; }
  readNamed(which: 'm' | 'v'): NamedWeights { return copy(this.moments[which]); }
  writeNamed(which: 'm' | 'v', w: NamedWeights): void { this.moments[which] = copy(w); }
  async dispose(): Promise<void> { this.disposed = true; }

  save(dir: string, training?: Record<string, unknown>): void {
    const w = (m: NamedWeights) => Object.fromEntries([...m].map(([k, v]) => [k, Array.from(v)]));
    writeDirAtomic(dir, {
      'model.json': JSON.stringify({ weights: w(this.weights), optimizer: { step: this.optimizer.step, learningRate: this.optimizer.learningRate, m: w(this.moments.m), v: w(this.moments.v) }, training }),
    });
  }

  private forward(x: Float32Array, n: number): { feats: Float32Array; out: Float32Array } {
    const feats = new Float32Array(n * N_FEATURES);
    for (let i = 0; i < n; i++)
      for (let t = 0; t < FRAMES; t++)
        for (let c = 0; c < N_FEATURES; c++) feats[i * N_FEATURES + c] += x[(i * FRAMES + t) * N_FEATURES + c] / FRAMES;
    const k = [this.weights.get('conv1/kernel')!, this.weights.get('conv2/kernel')!, this.weights.get('dense1/kernel')!];
    const b = this.weights.get('scores/bias')!;
    const out = new Float32Array(n * N_SCORES);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < N_SCORES; j++) {
        let z = b[j];
        for (let c = 0; c < N_FEATURES; c++) z += feats[i * N_FEATURES + c] * (k[0][c * N_SCORES + j] + k[1][c * N_SCORES + j] + k[2][c * N_SCORES + j]);
        out[i * N_SCORES + j] = 1 / (1 + Math.exp(-z));
      }
    return { feats, out };
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> { return this.forward(x, n).out; }

  async evaluate(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }> {
    return this.metrics(this.forward(x, n).out, y);
  }

  private metrics(out: Float32Array, y: Float32Array): { loss: number; mae: number } {
    let loss = 0, mae = 0;
    for (let i = 0; i < out.length; i++) { const d = out[i] - y[i]; loss += d * d; mae += Math.abs(d); }
    return { loss: loss / out.length, mae: mae / out.length };
  }

  async trainStep(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }> {
    this.steps++;
    const { feats, out } = this.forward(x, n);
    const r = this.metrics(out, y);
    const dz = new Float32Array(n * N_SCORES);
    for (let i = 0; i < dz.length; i++) dz[i] = ((2 * (out[i] - y[i])) / dz.length) * out[i] * (1 - out[i]);
    const gK = new Float32Array(N_FEATURES * N_SCORES);
    const gB = new Float32Array(N_SCORES);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < N_SCORES; j++) {
        gB[j] += dz[i * N_SCORES + j];
        for (let c = 0; c < N_FEATURES; c++) gK[c * N_SCORES + j] += feats[i * N_FEATURES + c] * dz[i * N_SCORES + j];
      }
    this.grads = new Map(WEIGHTS.map(([name]) => [name, name === 'scores/bias' ? gB : gK]));
    this.optimizer.apply(this.trainable);
    return r;
  }

  adam(learningRate: number, t: number, trainable: Record<TrainableLayer, boolean>): void {
    const lrT = learningRate * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t);
    for (const [name, layer] of WEIGHTS) {
      if (!trainable[layer]) continue;
      const g = this.grads.get(name)!;
      const w = this.weights.get(name)!, m = this.moments.m.get(name)!, v = this.moments.v.get(name)!;
      for (let i = 0; i < w.length; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        w[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + 1e-7);
      }
    }
  }
}

/** A ModelFactory over FakeScorer whose checkpoints are JSON folders. */
export function fakeFactory(created: FakeScorer[] = []): ModelFactory {
  const toMap = (o: Record<string, number[]>): NamedWeights => new Map(Object.entries(o).map(([k, v]) => [k, Float32Array.from(v)]));
  return {
    async create(opts) {
      const m = new FakeScorer(opts.seed ?? 1, opts.learningRate);
      created.push(m);
      return m;
    },
    async fromWeights(weights, opts) {
      const m = new FakeScorer(opts.seed ?? 1, opts.learningRate);
      m.setWeights(weights);
      created.push(m);
      return m;
    },
    readCheckpoint(dir) {
      const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      return {
        weights: toMap(j.weights),
        optimizer: { step: j.optimizer.step, learningRate: j.optimizer.learningRate, m: toMap(j.optimizer.m), v: toMap(j.optimizer.v) },
        training: j.training,
      };
    },
  };
}
