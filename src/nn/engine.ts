// The training engine of the form scorer: one kernel instance (native or WebAssembly,
// src/nn/kernels.ts), one flat memory.
//
// llm.c layout: parameters, gradients and both Adam moments are four equal regions
// (each weight a named view at the same offset in every region, Keras layout, the
// order of WEIGHT_SPECS), then weight-derived scratch (transposed kernels for the
// backward products), then the activations, laid out once per batch capacity and
// reused by every step. The kernels (src/nn/wasm/kernels.ts, src/nn/native) allocate nothing.

import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';
import {
  ADAM, CONV1_KERNEL, CONV2_KERNEL, CONV_FILTERS, DENSE_UNITS, DROPOUT_RATE, LSTM_DIRECTIONS, LSTM_UNITS, type NamedWeights,
  POOLED_FRAMES, TRAINABLE_LAYERS, type TrainableLayer, WEIGHT_SPECS, type WeightName, sizeOf,
} from './architecture.js';
import { type KernelSet, type Kernels, defaultKernelSet } from './kernels.js';

const T = FRAMES; // 90
const TP = POOLED_FRAMES; // 45
const CIN = N_FEATURES; // 18
const F = CONV_FILTERS; // 64
const H = LSTM_UNITS; // 64
const H4 = 4 * H;
const D = DENSE_UNITS; // 128
const S = N_SCORES; // 6
const PAD1 = Math.floor((CONV1_KERNEL - 1) / 2); // 2 zero rows before conv1's input
const PAD2 = Math.floor((CONV2_KERNEL - 1) / 2); // 1 zero row before conv2's input
const XROWS = T + CONV1_KERNEL - 1; // 94 padded input rows
const A1ROWS = T + CONV2_KERNEL - 1; // 92 padded conv1 output rows
// conv2's output gradient sits in a buffer padded for the flipped-kernel input gradient:
// (k-1-pad) rows before, pad rows after (see conv1dBackward in the kernels)
const D2BEFORE = CONV2_KERNEL - 1 - PAD2;
const PAGE = 65536;
/** Samples per forward/backward pass in training (see accumulateGradients). */
const MICRO_BATCH = 16;

/** Per-weight location: float offset into each of the four parameter-sized regions. */
interface Slot {
  offset: number;
  size: number;
}

/** One LSTM direction: its weights' names and the transposed copies for the backward products. */
interface LstmSlots {
  kernel: WeightName;
  recurrent: WeightName;
  bias: WeightName;
  In: number;
  WT: number; // (4H, In)
  UT: number; // (4H, H)
}

/**
 * The activation buffers, each a byte pointer into the kernel memory, sized for the
 * batch capacity (floats per sample in the comment; "pad" buffers hold zero rows around
 * each sample). d* are gradients of the activation of the same name.
 */
const ACTIVATIONS = {
  xpad: XROWS * CIN, // (B, 94, 18) input, PAD1 zero rows before, 2 after
  y: S, // targets (B, 6)
  a1pad: A1ROWS * F, // conv1 out (B, 92, 64), a zero row around
  a2: T * F, // conv2 out (B, 90, 64)
  poolArg: TP * F, // (B, 45, 64) lane masks
  pool: TP * F,
  mask1: TP * F,
  d1: TP * F, // drop1 out (B, 45, 64)
  g1f: TP * H4, // gates (B, 45, 256), per layer and direction
  g1b: TP * H4,
  c1f: TP * H, // cells (B, 45, 64)
  c1b: TP * H,
  h1: TP * 2 * H, // hidden states (B, 45, 128) [fwd, bwd]
  g2f: TP * H4,
  g2b: TP * H4,
  c2f: TP * H,
  c2b: TP * H,
  h2: TP * 2 * H,
  o2: 2 * H, // bilstm2 last-step output (B, 128)
  e1: D, // dense1 out
  mask2: D,
  e1d: D, // drop2 out
  out: S, // scores (B, 6)
  dOut: S,
  dE1d: D,
  dE1: D,
  dO2: 2 * H,
  dH2: TP * 2 * H,
  dG: TP * H4,
  dh: H,
  dc: H,
  dH1: TP * 2 * H,
  dD1: TP * F,
  dA2pad: A1ROWS * F, // (B, 92, 64), a zero row around
  dA1: T * F,
} as const;
type Activation = keyof typeof ACTIVATIONS;

/** Options of one forward pass. */
export interface ForwardOptions {
  training?: boolean;
  /** Dropout seed of this step (32-bit). */
  seed?: number;
  /** Index of this slice's first sample within the whole batch (keeps dropout masks split-independent). */
  sampleOffset?: number;
}

const align = (bytes: number, to = 64): number => Math.ceil(bytes / to) * to;

export class Engine {
  readonly k: Kernels;
  /** Float offsets of each weight within a parameter-sized region. */
  readonly slots: Map<WeightName, Slot>;
  /** Floats per parameter-sized region (weights aligned to 4 floats). */
  readonly regionFloats: number;
  readonly params: number; // byte pointers of the four regions
  readonly grads: number;
  readonly adamM: number;
  readonly adamV: number;
  /** A parameter-sized region where a worker's gradient sums are summed in (addGradients). */
  private readonly gradsIn: number;
  private readonly layerRange: Record<TrainableLayer, { offset: number; size: number }>;
  // weight-derived scratch
  private readonly conv2Flip: number;
  private readonly lstmT: LstmSlots[];
  private readonly dense1T: number;
  private readonly scoresT: number;
  private readonly lossOut: number;
  private readonly activationsBase: number;
  private cap = 0;
  private a!: Record<Activation, number>; // activation pointers for the current capacity

  constructor(capacity = 64, kernels: KernelSet = defaultKernelSet()) {
    this.k = kernels.instantiate();
    this.slots = new Map();
    let off = 0;
    const layerRange = {} as Record<TrainableLayer, { offset: number; size: number }>;
    for (const spec of WEIGHT_SPECS) {
      const size = sizeOf(spec.shape);
      this.slots.set(spec.name, { offset: off, size });
      const r = layerRange[spec.layer];
      if (!r) layerRange[spec.layer] = { offset: off, size };
      off += Math.ceil(size / 4) * 4;
      layerRange[spec.layer].size = off - layerRange[spec.layer].offset;
    }
    this.layerRange = layerRange;
    this.regionFloats = off;
    let p = align(this.k.heapBase());
    const take = (floats: number): number => {
      const at = p;
      p = align(p + floats * 4);
      return at;
    };
    this.params = take(off);
    this.grads = take(off);
    this.adamM = take(off);
    this.adamV = take(off);
    this.gradsIn = take(off);
    this.conv2Flip = take(CONV2_KERNEL * F * F);
    this.lstmT = LSTM_DIRECTIONS.map(({ prefix, inputDim: In }) => ({
      kernel: `${prefix}/kernel`, recurrent: `${prefix}/recurrent_kernel`, bias: `${prefix}/bias`, In, WT: take(H4 * In), UT: take(H4 * H),
    }));
    this.dense1T = take(D * 2 * H);
    this.scoresT = take(S * D);
    this.lossOut = take(4);
    this.activationsBase = p;
    this.ensureCapacity(capacity);
  }

  get capacity(): number {
    return this.cap;
  }

  /** Lays the activations out for batches of up to n samples (grows memory once; never shrinks). */
  ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    let p = this.activationsBase;
    const a = {} as Record<Activation, number>;
    for (const [name, floatsPerSample] of Object.entries(ACTIVATIONS) as [Activation, number][]) {
      a[name] = p;
      p = align(p + n * floatsPerSample * 4);
    }
    const need = p;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / PAGE));
    // padding rows must read as zero; the forward/backward passes never write them
    this.k.zero(this.activationsBase, (need - this.activationsBase) / 4);
    this.a = a;
    this.cap = n;
  }

  private f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }

  /** A live view of one region (params / grads / m / v); invalid after memory grows. */
  region(which: 'params' | 'grads' | 'm' | 'v'): Float32Array {
    const ptr = { params: this.params, grads: this.grads, m: this.adamM, v: this.adamV }[which];
    return this.f32(ptr, this.regionFloats);
  }

  /** Copies named weights (WEIGHT_SPECS names, Keras layout) into a region. */
  writeNamed(which: 'params' | 'm' | 'v', w: NamedWeights): void {
    const r = this.region(which);
    for (const spec of WEIGHT_SPECS) {
      const src = w.get(spec.name);
      const slot = this.slots.get(spec.name)!;
      if (!src) throw new Error(`weights: missing "${spec.name}"`);
      if (src.length !== slot.size) {
        throw new Error(`weights: "${spec.name}" has ${src.length} values, expected ${slot.size} (shape [${spec.shape}])`);
      }
      r.set(src, slot.offset);
    }
  }

  /** Copies a region out as named weights. */
  readNamed(which: 'params' | 'grads' | 'm' | 'v'): NamedWeights {
    const r = this.region(which);
    const out: NamedWeights = new Map();
    for (const spec of WEIGHT_SPECS) {
      const slot = this.slots.get(spec.name)!;
      out.set(spec.name, r.slice(slot.offset, slot.offset + slot.size));
    }
    return out;
  }

  private w(name: WeightName): number {
    return this.params + this.slots.get(name)!.offset * 4;
  }

  private g(name: WeightName): number {
    return this.grads + this.slots.get(name)!.offset * 4;
  }

  /** Writes n samples of x (n, 90, 18) into the padded input buffer. */
  setInput(x: Float32Array<ArrayBufferLike>, n: number): void {
    if (x.length < n * T * CIN) throw new Error(`engine input: ${x.length} values, expected ${n}×${T}×${CIN}`);
    this.ensureCapacity(n);
    const buf = this.f32(this.a.xpad, n * XROWS * CIN);
    for (let b = 0; b < n; b++) buf.set(x.subarray(b * T * CIN, (b + 1) * T * CIN), (b * XROWS + PAD1) * CIN);
  }

  setTargets(y: Float32Array<ArrayBufferLike>, n: number): void {
    if (y.length < n * S) throw new Error(`engine targets: ${y.length} values, expected ${n}×${S}`);
    this.f32(this.a.y, n * S).set(y.subarray(0, n * S));
  }

  /** Forward pass over the n samples set by setInput; returns a view of the scores (n, 6). */
  forward(n: number, opts: ForwardOptions = {}): Float32Array {
    const { k, a } = this;
    const training = opts.training ?? false;
    const seed = (opts.seed ?? 0) >>> 0;
    const off = opts.sampleOffset ?? 0;
    // conv1 writes inside its padded buffer (row PAD2 of each sample) so conv2 reads it as is
    k.conv1dForward(n, T, CIN, F, CONV1_KERNEL, a.xpad, this.w('conv1/kernel'), this.w('conv1/bias'), a.a1pad + PAD2 * F * 4, A1ROWS * F);
    k.conv1dForward(n, T, F, F, CONV2_KERNEL, a.a1pad, this.w('conv2/kernel'), this.w('conv2/bias'), a.a2, T * F);
    k.maxPool1dForward(n, TP, F, a.a2, a.pool, a.poolArg);
    let lstmIn = a.pool;
    if (training) {
      k.dropoutForward(n, TP * F, DROPOUT_RATE, seed ^ 0x1d1d1d1d, off, a.pool, a.d1, a.mask1);
      lstmIn = a.d1;
    }
    this.lstmLayer(n, 0, lstmIn, F, a.g1f, a.c1f, a.g1b, a.c1b, a.h1);
    this.lstmLayer(n, 2, a.h1, 2 * H, a.g2f, a.c2f, a.g2b, a.c2b, a.h2);
    k.bidirectionalLastForward(n, TP, H, a.h2, a.o2);
    k.denseForward(n, 2 * H, D, a.o2, this.w('dense1/kernel'), this.w('dense1/bias'), a.e1, 1);
    let denseIn = a.e1;
    if (training) {
      k.dropoutForward(n, D, DROPOUT_RATE, seed ^ 0x2e2e2e2e, off, a.e1, a.e1d, a.mask2);
      denseIn = a.e1d;
    }
    k.denseForward(n, D, S, denseIn, this.w('scores/kernel'), this.w('scores/bias'), a.out, 2);
    this.lastTraining = training;
    return this.f32(a.out, n * S);
  }

  private lastTraining = false;

  private lstmLayer(n: number, first: number, X: number, In: number, gf: number, cf: number, gb: number, cb: number, Hs: number): void {
    const [fw, bw] = [this.lstmT[first], this.lstmT[first + 1]];
    this.k.lstmForward(n, TP, In, H, X, this.w(fw.kernel), this.w(fw.recurrent), this.w(fw.bias), gf, cf, Hs, 2 * H, 0);
    this.k.lstmForward(n, TP, In, H, X, this.w(bw.kernel), this.w(bw.recurrent), this.w(bw.bias), gb, cb, Hs + H * 4, 2 * H, 1);
  }

  /** Transposed kernels for the backward products; call after the weights change. */
  prepareBackward(): void {
    const { k } = this;
    k.conv1dFlipKernel(CONV2_KERNEL, F, F, this.w('conv2/kernel'), this.conv2Flip);
    for (const l of this.lstmT) {
      k.transpose(l.In, H4, this.w(l.kernel), l.WT);
      k.transpose(H, H4, this.w(l.recurrent), l.UT);
    }
    k.transpose(2 * H, D, this.w('dense1/kernel'), this.dense1T);
    k.transpose(D, S, this.w('scores/kernel'), this.scoresT);
  }

  /**
   * MSE loss of the last forward pass against the targets, then the backward pass:
   * ADDS the gradient of sum(errors²)/normalizer into the gradient region (zero it first
   * with zeroGrads). The pass stops at the lowest trainable layer: frozen layers below it
   * cost nothing (freezing conv1/conv2 skips the convolution backward). A frozen layer
   * above it still passes gradients down; its own weight gradients are computed but the
   * optimizer never applies them. Returns the sums of squared and absolute errors.
   */
  backward(n: number, normalizer: number, trainable?: Partial<Record<TrainableLayer, boolean>>): { se: number; ae: number } {
    const { k, a } = this;
    const on = (l: TrainableLayer) => trainable?.[l] !== false;
    const training = this.lastTraining;
    k.mseLoss(n * S, a.out, a.y, a.dOut, normalizer, this.lossOut);
    const loss = new Float64Array(k.memory.buffer, this.lossOut, 2);
    const result = { se: loss[0], ae: loss[1] };
    // how deep the backward pass must go: down to the lowest trainable layer
    const lowest = TRAINABLE_LAYERS.findIndex(on);
    if (lowest < 0) return result;
    const needBelow = (layer: TrainableLayer) => lowest < TRAINABLE_LAYERS.indexOf(layer);
    const dScoresIn = !needBelow('scores') ? 0 : training ? a.dE1d : a.dE1;
    k.denseBackward(n, D, S, training ? a.e1d : a.e1, this.scoresT, a.out, a.dOut, this.g('scores/kernel'), this.g('scores/bias'), dScoresIn, 2);
    if (!needBelow('scores')) return result;
    if (training) k.mulInto(n * D, a.dE1d, a.mask2, a.dE1);
    k.denseBackward(n, 2 * H, D, a.o2, this.dense1T, a.e1, a.dE1, this.g('dense1/kernel'), this.g('dense1/bias'), needBelow('dense1') ? a.dO2 : 0, 1);
    if (!needBelow('dense1')) return result;
    k.bidirectionalLastBackward(n, TP, H, a.dO2, a.dH2);
    const below2 = needBelow('bilstm2');
    this.lstmLayerBackward(n, 2, a.h1, 2 * H, a.g2f, a.c2f, a.g2b, a.c2b, a.h2, a.dH2, below2 ? a.dH1 : 0);
    if (!below2) return result;
    const lstmIn = training ? a.d1 : a.pool;
    const below1 = needBelow('bilstm1');
    this.lstmLayerBackward(n, 0, lstmIn, F, a.g1f, a.c1f, a.g1b, a.c1b, a.h1, a.dH1, below1 ? a.dD1 : 0);
    if (!below1) return result;
    if (training) k.mulInto(n * TP * F, a.dD1, a.mask1, a.dD1);
    // pool gradient lands inside conv2's padded output-gradient buffer
    const dA2 = a.dA2pad + D2BEFORE * F * 4;
    k.maxPool1dBackward(n, TP, F, a.dD1, a.poolArg, dA2, A1ROWS * F);
    const conv1On = on('conv1');
    k.conv1dBackward(n, T, F, F, CONV2_KERNEL, PAD2, a.a1pad, a.a2, T * F, dA2, A1ROWS * F, this.g('conv2/kernel'), this.g('conv2/bias'), this.conv2Flip, conv1On ? a.dA1 : 0);
    if (!conv1On) return result;
    k.conv1dBackward(n, T, CIN, F, CONV1_KERNEL, PAD1, a.xpad, a.a1pad + PAD2 * F * 4, A1ROWS * F, a.dA1, T * F, this.g('conv1/kernel'), this.g('conv1/bias'), 0, 0);
    return result;
  }

  /**
   * ADDS the gradient of sum(errors²)/normalizer over n training samples (dropout on,
   * masks from `seed`; sample i is sample sampleOffset + i of the whole batch) into the
   * gradient region, in micro-batches of MICRO_BATCH samples: a micro-batch's
   * activations (about 7 MB) stay in cache, where a 32-sample slice's (15 MB) does not,
   * which is worth more than the larger GEMMs when both cores share the caches.
   * Call prepareBackward and zeroGrads first. Returns the sums of squared and absolute errors.
   */
  accumulateGradients(x: Float32Array<ArrayBufferLike>, y: Float32Array<ArrayBufferLike>, n: number, normalizer: number, seed: number,
    sampleOffset: number, trainable?: Partial<Record<TrainableLayer, boolean>>): { se: number; ae: number } {
    const total = { se: 0, ae: 0 };
    for (let s = 0; s < n; s += MICRO_BATCH) {
      const m = Math.min(MICRO_BATCH, n - s);
      this.setInput(x.subarray(s * T * CIN, (s + m) * T * CIN), m);
      this.setTargets(y.subarray(s * S, (s + m) * S), m);
      this.forward(m, { training: true, seed, sampleOffset: sampleOffset + s });
      const { se, ae } = this.backward(m, normalizer, trainable);
      total.se += se;
      total.ae += ae;
    }
    return total;
  }

  private lstmLayerBackward(n: number, first: number, X: number, In: number, gf: number, cf: number, gb: number, cb: number, Hs: number, dHs: number, dX: number): void {
    const { k, a } = this;
    const fw = this.lstmT[first];
    const bw = this.lstmT[first + 1];
    k.lstmBackward(n, TP, In, H, X, fw.WT, fw.UT, gf, cf, Hs, 2 * H, dHs, a.dG, a.dh, a.dc,
      this.g(fw.kernel), this.g(fw.recurrent), this.g(fw.bias), dX, 0, 0);
    k.lstmBackward(n, TP, In, H, X, bw.WT, bw.UT, gb, cb, Hs + H * 4, 2 * H, dHs + H * 4, a.dG, a.dh, a.dc,
      this.g(bw.kernel), this.g(bw.recurrent), this.g(bw.bias), dX, 1, 1);
  }

  /** Adds another engine's gradient region (a worker's, same layout) into this one's. */
  addGradients(src: Float32Array): void {
    if (src.length !== this.regionFloats) throw new Error(`engine gradients: ${src.length} values, expected ${this.regionFloats}`);
    this.f32(this.gradsIn, this.regionFloats).set(src);
    this.k.addInto(this.regionFloats, this.gradsIn, this.grads);
  }

  zeroGrads(): void {
    this.k.zero(this.grads, this.regionFloats);
  }

  /** One Adam update (Keras form) of the trainable layers; step counts from 1. */
  adam(learningRate: number, step: number, trainable: Record<TrainableLayer, boolean>): void {
    const alpha = (learningRate * Math.sqrt(1 - Math.pow(ADAM.beta2, step))) / (1 - Math.pow(ADAM.beta1, step));
    for (const layer of TRAINABLE_LAYERS) {
      if (!trainable[layer]) continue;
      const r = this.layerRange[layer];
      const o = r.offset * 4;
      this.k.adamUpdate(r.size, this.params + o, this.grads + o, this.adamM + o, this.adamV + o, alpha, 1 - ADAM.beta1, 1 - ADAM.beta2, ADAM.epsilon);
    }
  }

  /** Inference over any number of samples in capacity-sized chunks: x (n, 90, 18) -> (n, 6). */
  predict<O extends Float32Array<ArrayBufferLike>>(x: Float32Array<ArrayBufferLike>, n: number, out: O): O {
    const chunk = this.cap;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      this.setInput(x.subarray(s * T * CIN, (s + m) * T * CIN), m);
      out.set(this.forward(m), s * S);
    }
    return out;
  }

  /** Views of the last forward pass's dropout masks (tests). */
  dropoutMasks(n: number): { drop1: Float32Array; drop2: Float32Array } {
    return { drop1: this.f32(this.a.mask1, n * TP * F).slice(), drop2: this.f32(this.a.mask2, n * D).slice() };
  }
}
