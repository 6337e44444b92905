// The training engine of the form scorer: one kernel instance (native or WebAssembly,
// src/nn/kernels.ts), one flat memory.
//
// llm.c layout: parameters, gradients and both Adam moments are four equal regions
// (each weight a named view at the same offset in every region, Keras layout, the
// order of WEIGHT_SPECS), then weight-derived scratch (transposed kernels for the
// backward products), then the activations, laid out once per batch capacity and
// reused by every step. The kernels (src/nn/wasm/kernels.ts, src/nn/native) allocate nothing.
//
// The layers are NETWORK's (architecture.ts), each run by its kind's EngineLayer
// (engine-layers.ts); the engine gives each one its buffers: its output, padded as the
// next layer reads it, and its output gradient, padded as its own backward reads it.

import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';
import {
  ADAM, type DropoutName, INPUT_SHAPE, NETWORK, type NamedWeights, TRAINABLE_LAYERS, type TrainableLayer, WEIGHT_SPECS, type WeightName,
  isTrainableLayer, sizeOf,
} from './architecture.js';
import {
  Dropout, type EngineLayer, NO_PADDING, type EngineMemory, type Pass, type Region, type Tensor, allocTensor, engineLayer, needsOf,
} from './engine-layers.js';
import { type KernelSet, type Kernels, defaultKernelSet } from './kernels.js';

const T = FRAMES; // 90
const CIN = N_FEATURES; // 18
const S = N_SCORES; // 6
const PAGE = 65536;
/** Samples per forward/backward pass in training (see accumulateGradients). */
const MICRO_BATCH = 16;

/** Per-weight location: float offset into each of the four parameter-sized regions. */
interface Slot {
  offset: number;
  size: number;
}

/** An activation buffer's floats per sample; its pointer is set for each batch capacity. */
interface ActivationRequest extends Region {
  floatsPerSample: number;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  training?: boolean;
  /** Dropout seed of this step (32-bit). */
  seed?: number;
  /** Index of this slice's first sample within the whole batch (keeps dropout masks split-independent). */
  sampleOffset?: number;
  /** Threads a layer's kernels may use (the native kernels run a BiLSTM's two directions, and two halves of a convolution's rows, at once); default 1. */
  threads?: number;
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
  private readonly lossOut: number;
  /** The network's layers, input to output (NETWORK order). */
  private readonly layers: EngineLayer[];
  private readonly requests: ActivationRequest[] = [];
  private readonly input: Tensor; // (B, 90, 18), padded for the first layer
  private readonly targets: Region; // (B, 6)
  /** Per layer: the tensor it read and the one it returned in the last forward pass. */
  private readonly read: Tensor[] = [];
  private readonly returned: Tensor[] = [];
  private readonly activationsBase: number;
  private cap = 0;

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
    this.lossOut = take(4);
    const memory = this.memory(take);
    this.input = allocTensor(memory, INPUT_SHAPE, needsOf(NETWORK[0].layer).inputPadding);
    this.targets = memory.activation(S);
    this.layers = Engine.layers(memory);
    this.activationsBase = p;
    this.ensureCapacity(capacity);
  }

  /** What the layers may take from this engine while they are built; `take` allocates scratch. */
  private memory(take: (floats: number) => number): EngineMemory {
    const shared = new Map<string, ActivationRequest>();
    return {
      k: this.k,
      w: (name) => this.w(name),
      g: (name) => this.g(name),
      scratch: take,
      activation: (floatsPerSample, key) => {
        const known = key === undefined ? undefined : shared.get(key);
        if (known) {
          known.floatsPerSample = Math.max(known.floatsPerSample, floatsPerSample);
          return known;
        }
        const r: ActivationRequest = { ptr: 0, floatsPerSample };
        this.requests.push(r);
        if (key !== undefined) shared.set(key, r);
        return r;
      },
    };
  }

  /** NETWORK's layers with their buffers; throws where one layer cannot feed the next. */
  private static layers(memory: EngineMemory): EngineLayer[] {
    const layers: EngineLayer[] = [];
    let dropouts = 0;
    for (const placed of NETWORK) {
      const { layer, index } = placed;
      const next = NETWORK[index + 1]?.layer;
      const needs = needsOf(layer);
      const outputPadding = next ? needsOf(next).inputPadding : NO_PADDING;
      if (outputPadding.some(Boolean) && !needs.writesPaddedOutput) {
        throw new Error(`engine: ${next!.name} needs a padded input, which ${layer.kind} ${layer.name} cannot write`);
      }
      const computesInputGrad = index > 0; // nothing needs the gradient of the input
      const gradPadding = computesInputGrad ? needs.outputGradPadding : NO_PADDING;
      if (gradPadding.some(Boolean) && !(next && needsOf(next).writesPaddedInputGrad)) {
        throw new Error(`engine: ${layer.name} needs a padded output gradient, which ${next ? `${next.kind} ${next.name}` : 'the loss'} cannot write`);
      }
      const output = allocTensor(memory, placed.output, outputPadding);
      const outputGrad = layer.kind === 'dropout' ? layers[index - 1].outputGrad : allocTensor(memory, placed.output, gradPadding);
      layers.push(engineLayer(placed, memory, { output, outputGrad, computesInputGrad }, dropouts));
      if (layer.kind === 'dropout') dropouts++;
    }
    return layers;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Lays the activations out for batches of up to n samples (grows memory once; never shrinks). */
  ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    let p = this.activationsBase;
    for (const r of this.requests) {
      r.ptr = p;
      p = align(p + n * r.floatsPerSample * 4);
    }
    const need = p;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / PAGE));
    // padding rows must read as zero; the forward/backward passes never write them
    this.k.zero(this.activationsBase, (need - this.activationsBase) / 4);
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
    const { base, before, stride } = this.input;
    const buf = this.f32(base, n * stride);
    for (let b = 0; b < n; b++) buf.set(x.subarray(b * T * CIN, (b + 1) * T * CIN), b * stride + before * CIN);
  }

  setTargets(y: Float32Array<ArrayBufferLike>, n: number): void {
    if (y.length < n * S) throw new Error(`engine targets: ${y.length} values, expected ${n}×${S}`);
    this.f32(this.targets.ptr, n * S).set(y.subarray(0, n * S));
  }

  /** Forward pass over the n samples set by setInput; returns a view of the scores (n, 6). */
  forward(n: number, opts: ForwardOptions = {}): Float32Array {
    const pass: Pass = { training: opts.training ?? false, seed: (opts.seed ?? 0) >>> 0, sampleOffset: opts.sampleOffset ?? 0, threads: opts.threads ?? 1 };
    let x = this.input;
    this.layers.forEach((layer, i) => {
      this.read[i] = x;
      x = this.returned[i] = layer.forward(n, x, pass);
    });
    this.lastPass = pass;
    return this.f32(x.data, n * S);
  }

  private lastPass: Pass = { training: false, seed: 0, sampleOffset: 0, threads: 1 };

  /** Transposed kernels for the backward products; call after the weights change. */
  prepareBackward(): void {
    for (const layer of this.layers) layer.prepareBackward();
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
    const { k } = this;
    const last = this.layers.length - 1;
    k.mseLoss(n * S, this.returned[last].data, this.targets.ptr, this.layers[last].outputGrad.data, normalizer, this.lossOut);
    const loss = new Float64Array(k.memory.buffer, this.lossOut, 2);
    const result = { se: loss[0], ae: loss[1] };
    // how deep the backward pass must go: down to the lowest trainable layer
    const lowest = this.layers.findIndex(({ placed: { layer } }) => isTrainableLayer(layer.name) && trainable?.[layer.name] !== false);
    if (lowest < 0) return result;
    for (let i = last; i >= lowest; i--) {
      this.layers[i].backward(n, this.read[i], this.returned[i], i > lowest ? this.layers[i - 1].outputGrad : null, this.lastPass);
    }
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

  /** Inference over any number of samples in capacity-sized chunks: x (n, 90, 18) -> (n, 6); `threads` as in forward. */
  predict<O extends Float32Array<ArrayBufferLike>>(x: Float32Array<ArrayBufferLike>, n: number, out: O, threads = 1): O {
    const chunk = this.cap;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      this.setInput(x.subarray(s * T * CIN, (s + m) * T * CIN), m);
      out.set(this.forward(m, { threads }), s * S);
    }
    return out;
  }

  /** Copies of the last training pass's dropout masks, by dropout layer name (tests). */
  dropoutMasks(n: number): Record<DropoutName, Float32Array> {
    const masks = {} as Record<DropoutName, Float32Array>;
    for (const layer of this.layers) {
      if (layer instanceof Dropout) masks[layer.placed.layer.name as DropoutName] = this.f32(layer.mask.ptr, n * sizeOf(layer.placed.output)).slice();
    }
    return masks;
  }
}
