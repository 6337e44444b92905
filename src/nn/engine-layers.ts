// The engine's implementation of each layer kind of architecture.ts: which kernels a
// layer's forward and backward pass call, on which buffers. The engine (engine.ts)
// walks NETWORK and asks this module for one EngineLayer per layer; it owns the memory.
//
// Buffers are per-sample regions of rows × cols floats in the kernel memory, with zero
// rows around each sample where a kernel reads past the edges ("same" convolutions read
// their input padded; a convolution's input gradient reads its output gradient padded).

import {
  type BiLstmLayer, type Conv1dLayer, type DenseLayer, type DropoutLayer, type LayerDef, type MaxPool1dLayer, type Placed,
  type WeightName, kernelAndBias, lstmDirections, sizeOf,
} from './architecture.js';
import type { Kernels } from './kernels.js';

/** Activation memory: a byte pointer that the engine sets for each batch capacity. */
export interface Region {
  ptr: number;
}

/** Rows × cols floats per sample with `before` and `after` zero rows around them. */
export class Tensor {
  constructor(readonly region: Region, readonly rows: number, readonly cols: number, readonly before = 0, readonly after = 0) {}
  /** Floats from one sample to the next. */
  get stride(): number {
    return (this.before + this.rows + this.after) * this.cols;
  }
  /** Byte pointer of sample 0's first padding row. */
  get base(): number {
    return this.region.ptr;
  }
  /** Byte pointer of sample 0's first data row. */
  get data(): number {
    return this.region.ptr + this.before * this.cols * 4;
  }
}

/** What a layer may ask of the engine while it is built. */
export interface EngineMemory {
  readonly k: Kernels;
  /** Byte pointer of a weight (params) and of its gradient. */
  w(name: WeightName): number;
  g(name: WeightName): number;
  /** Floats of weight-derived scratch, allocated once. */
  scratch(floats: number): number;
  /** An activation buffer of `floatsPerSample`; `shared` ones of the same key are one buffer (the largest asked for). */
  activation(floatsPerSample: number, shared?: string): Region;
}

/** One training or inference pass's settings, as the engine's forward received them. */
export interface Pass {
  training: boolean;
  /** Dropout seed of this step (32-bit). */
  seed: number;
  /** Index of this slice's first sample within the whole batch. */
  sampleOffset: number;
  /** Threads a layer's kernels may use. */
  threads: number;
}

/** Zero rows a layer needs [before, after] each sample of its input. */
export type Padding = readonly [number, number];
export const NO_PADDING: Padding = [0, 0];

export interface EngineLayer {
  readonly placed: Placed;
  /** Where the next layer's backward writes the gradient of this layer's output. */
  readonly outputGrad: Tensor;
  /** x (the previous layer's output) -> this layer's output, which may be x itself. */
  forward(n: number, x: Tensor, pass: Pass): Tensor;
  /** Weight-derived scratch for the backward pass; called after the weights change. */
  prepareBackward(): void;
  /**
   * dOutput (this.outputGrad) -> weight gradients (added) and, when dx is given, the
   * gradient of the input (overwritten). x and y are what forward read and returned.
   */
  backward(n: number, x: Tensor, y: Tensor, dx: Tensor | null, pass: Pass): void;
}

/** How a layer kind shapes its buffers. */
export interface LayerNeeds {
  /** Zero rows around its input. */
  inputPadding: Padding;
  /** Zero rows around its output gradient, when it computes its input gradient. */
  outputGradPadding: Padding;
  /** Its forward pass can write a padded output (for the next layer), its backward a padded input gradient. */
  writesPaddedOutput: boolean;
  writesPaddedInputGrad: boolean;
}

const samePadding = (k: number): number => Math.floor((k - 1) / 2);

/** `n`, checked to be a multiple of 4: the WebAssembly kernels step through these in 4-lane vectors. */
function whole4(layer: string, what: string, n: number): number {
  if (n % 4 !== 0) throw new Error(`engine: ${layer} has ${n} ${what}; the kernels need a multiple of 4`);
  return n;
}

export function needsOf(layer: LayerDef): LayerNeeds {
  if (layer.kind === 'conv1d') {
    const pad = samePadding(layer.kernelSize);
    return {
      inputPadding: [pad, layer.kernelSize - 1 - pad],
      // the input gradient is the flipped-kernel convolution of the padded output gradient
      outputGradPadding: [layer.kernelSize - 1 - pad, pad],
      writesPaddedOutput: true,
      writesPaddedInputGrad: false,
    };
  }
  return { inputPadding: NO_PADDING, outputGradPadding: NO_PADDING, writesPaddedOutput: false, writesPaddedInputGrad: layer.kind === 'maxPool1d' };
}

/** The buffers the engine lays out around a layer: its output (padded for the next layer) and output gradient. */
export interface LayerBuffers {
  output: Tensor;
  outputGrad: Tensor;
  /** Whether the engine ever asks this layer for its input gradient. */
  computesInputGrad: boolean;
}

/** A fresh activation tensor of a per-sample shape ([frames, channels] or [units]) with zero rows around each sample. */
export function allocTensor(m: EngineMemory, shape: readonly number[], [before, after]: Padding = NO_PADDING): Tensor {
  const [rows, cols] = shape.length === 2 ? shape : [1, shape[0]];
  return new Tensor(m.activation((before + rows + after) * cols), rows, cols, before, after);
}

/** What every kind shares: its place, the engine's memory and its buffers. */
abstract class KindLayer<L extends LayerDef> implements EngineLayer {
  constructor(readonly placed: Placed<L>, protected readonly m: EngineMemory, protected readonly b: LayerBuffers) {}
  get outputGrad(): Tensor {
    return this.b.outputGrad;
  }
  abstract forward(n: number, x: Tensor, pass: Pass): Tensor;
  prepareBackward(): void {}
  abstract backward(n: number, x: Tensor, y: Tensor, dx: Tensor | null, pass: Pass): void;
}

// x (B, T+k-1, Cin) padded -> y (B, T, filters), fused ReLU
class Conv1d extends KindLayer<Conv1dLayer> {
  private readonly flip: number; // [k*filters, Cin], block k' = kernel[k-1-k']^T
  private readonly names: { kernel: WeightName; bias: WeightName };
  constructor(placed: Placed<Conv1dLayer>, m: EngineMemory, b: LayerBuffers) {
    super(placed, m, b);
    const { layer, input } = placed;
    this.names = kernelAndBias(layer);
    this.flip = b.computesInputGrad ? m.scratch(layer.kernelSize * layer.filters * input[1]) : 0;
  }
  forward(n: number, x: Tensor, pass: Pass): Tensor {
    const { layer, input: [T, Cin] } = this.placed;
    const y = this.b.output;
    this.m.k.conv1dForward(n, T, Cin, layer.filters, layer.kernelSize, x.base, this.m.w(this.names.kernel), this.m.w(this.names.bias), y.data, y.stride, pass.threads);
    return y;
  }
  prepareBackward(): void {
    const { layer, input: [, Cin] } = this.placed;
    if (this.flip) this.m.k.conv1dFlipKernel(layer.kernelSize, Cin, layer.filters, this.m.w(this.names.kernel), this.flip);
  }
  backward(n: number, x: Tensor, y: Tensor, dx: Tensor | null): void {
    const { layer, input: [T, Cin] } = this.placed;
    const dy = this.b.outputGrad;
    this.m.k.conv1dBackward(n, T, Cin, layer.filters, layer.kernelSize, samePadding(layer.kernelSize), x.base, y.data, y.stride, dy.data, dy.stride,
      this.m.g(this.names.kernel), this.m.g(this.names.bias), dx ? this.flip : 0, dx ? dx.data : 0);
  }
}

// x (B, 2·Tout, C) -> y (B, Tout, C); the lane masks of the winners kept for the backward pass
class MaxPool1d extends KindLayer<MaxPool1dLayer> {
  private readonly winners: Region;
  constructor(placed: Placed<MaxPool1dLayer>, m: EngineMemory, b: LayerBuffers) {
    super(placed, m, b);
    const { layer: { name, poolSize }, input, output } = placed;
    if (poolSize !== 2 || input[0] !== 2 * output[0]) throw new Error(`engine: ${name} pools ${poolSize} of ${input[0]} frames; the kernels pool 2 of an even number`);
    whole4(name, 'channels', output[1]);
    this.winners = m.activation(sizeOf(output));
  }
  forward(n: number, x: Tensor): Tensor {
    const [Tout, C] = this.placed.output;
    this.m.k.maxPool1dForward(n, Tout, C, x.data, this.b.output.data, this.winners.ptr);
    return this.b.output;
  }
  backward(n: number, _x: Tensor, _y: Tensor, dx: Tensor | null): void {
    const [Tout, C] = this.placed.output;
    if (dx) this.m.k.maxPool1dBackward(n, Tout, C, this.b.outputGrad.data, this.winners.ptr, dx.data, dx.stride);
  }
}

// x -> x ⊙ mask in training (mask values 0 or 1/(1-rate)), x itself in inference.
// Its output gradient is its input's, scaled by the mask in place.
export class Dropout extends KindLayer<DropoutLayer> {
  readonly mask: Region;
  constructor(placed: Placed<DropoutLayer>, m: EngineMemory, b: LayerBuffers, private readonly stream: number) {
    super(placed, m, b);
    this.mask = m.activation(whole4(placed.layer.name, 'values per sample', sizeOf(placed.output)));
  }
  forward(n: number, x: Tensor, pass: Pass): Tensor {
    if (!pass.training) return x;
    const y = this.b.output;
    this.m.k.dropoutForward(n, y.stride, this.placed.layer.rate, (pass.seed ^ this.stream) >>> 0, pass.sampleOffset, x.data, y.data, this.mask.ptr);
    return y;
  }
  backward(n: number, _x: Tensor, _y: Tensor, dx: Tensor | null, pass: Pass): void {
    const dy = this.b.outputGrad;
    if (dx && pass.training) this.m.k.mulInto(n * dy.stride, dy.data, this.mask.ptr, dx.data);
  }
}

// x (B, T, In) -> y (B, T, 2H) [forward, backward] hidden states, or (B, 2H) the last
// steps (forward at T-1, backward at 0) without returnSequences.
class BiLstm extends KindLayer<BiLstmLayer> {
  private readonly dirs: {
    names: { kernel: WeightName; recurrent: WeightName; bias: WeightName };
    gates: Region; // (B, T, 4H) gate activations, overwritten by their gradients in backward
    cells: Region; // (B, T, H)
    WT: number; // (4H, In)
    UT: number; // (4H, H)
  }[];
  private readonly states: Tensor; // (B, T, 2H) hidden states; the output itself with returnSequences
  private readonly stateGrad: Tensor;
  private readonly dh: Region; // (B, H)
  private readonly dc: Region;
  constructor(placed: Placed<BiLstmLayer>, m: EngineMemory, b: LayerBuffers) {
    super(placed, m, b);
    const { layer: { name, units: H, returnSequences }, input: [T, In] } = placed;
    whole4(name, 'units', H);
    this.dirs = lstmDirections(placed).map(({ kernel, recurrent, bias }) => ({
      names: { kernel, recurrent, bias },
      gates: m.activation(T * 4 * H),
      cells: m.activation(T * H),
      WT: m.scratch(4 * H * In),
      UT: m.scratch(4 * H * H),
    }));
    this.states = returnSequences ? b.output : allocTensor(m, [T, 2 * H]);
    this.stateGrad = returnSequences ? b.outputGrad : allocTensor(m, [T, 2 * H]);
    this.dh = m.activation(H, 'lstm dh');
    this.dc = m.activation(H, 'lstm dc');
  }
  forward(n: number, x: Tensor, pass: Pass): Tensor {
    const { k, w } = this.m;
    const { layer: { units: H, returnSequences }, input: [T, In] } = this.placed;
    const [f, b] = this.dirs;
    k.bilstmForward(n, T, In, H, x.data, w(f.names.kernel), w(f.names.recurrent), w(f.names.bias), f.gates.ptr, f.cells.ptr,
      w(b.names.kernel), w(b.names.recurrent), w(b.names.bias), b.gates.ptr, b.cells.ptr, this.states.data, pass.threads);
    if (!returnSequences) k.bidirectionalLastForward(n, T, H, this.states.data, this.b.output.data);
    return this.b.output;
  }
  prepareBackward(): void {
    const { k, w } = this.m;
    const { layer: { units: H }, input: [, In] } = this.placed;
    for (const d of this.dirs) {
      k.transpose(In, 4 * H, w(d.names.kernel), d.WT);
      k.transpose(H, 4 * H, w(d.names.recurrent), d.UT);
    }
  }
  backward(n: number, x: Tensor, _y: Tensor, dx: Tensor | null): void {
    const { k, g } = this.m;
    const { layer: { units: H, returnSequences }, input: [T, In] } = this.placed;
    if (!returnSequences) k.bidirectionalLastBackward(n, T, H, this.b.outputGrad.data, this.stateGrad.data);
    // the forward direction writes dx, the backward direction adds to it; each direction's
    // gate gradients replace its gates
    this.dirs.forEach((d, reverse) => {
      k.lstmBackward(n, T, In, H, x.data, d.WT, d.UT, d.gates.ptr, d.cells.ptr, this.states.data + reverse * H * 4, 2 * H,
        this.stateGrad.data + reverse * H * 4, this.dh.ptr, this.dc.ptr,
        g(d.names.kernel), g(d.names.recurrent), g(d.names.bias), dx ? dx.data : 0, reverse, reverse);
    });
  }
}

/** The dense kernels' activation codes. */
const DENSE_ACTIVATION = { relu: 1, sigmoid: 2 } as const;

// x (B, In) -> y (B, units), fused activation
class Dense extends KindLayer<DenseLayer> {
  private readonly names: { kernel: WeightName; bias: WeightName };
  private readonly WT: number; // (units, In)
  constructor(placed: Placed<DenseLayer>, m: EngineMemory, b: LayerBuffers) {
    super(placed, m, b);
    this.names = kernelAndBias(placed.layer);
    this.WT = m.scratch(placed.layer.units * placed.input[0]);
  }
  forward(n: number, x: Tensor): Tensor {
    const { layer, input: [In] } = this.placed;
    this.m.k.denseForward(n, In, layer.units, x.data, this.m.w(this.names.kernel), this.m.w(this.names.bias), this.b.output.data, DENSE_ACTIVATION[layer.activation]);
    return this.b.output;
  }
  prepareBackward(): void {
    const { layer, input: [In] } = this.placed;
    this.m.k.transpose(In, layer.units, this.m.w(this.names.kernel), this.WT);
  }
  backward(n: number, x: Tensor, y: Tensor, dx: Tensor | null): void {
    const { layer, input: [In] } = this.placed;
    this.m.k.denseBackward(n, In, layer.units, x.data, this.WT, y.data, this.b.outputGrad.data, this.m.g(this.names.kernel), this.m.g(this.names.bias),
      dx ? dx.data : 0, DENSE_ACTIVATION[layer.activation]);
  }
}

/** Mask stream of the k-th dropout layer: seeds 0x1d1d1d1d, 0x2e2e2e2e, … are xored into the step's seed. */
const dropoutStream = (k: number): number => (0x1d1d1d1d + 0x11111111 * k) >>> 0;

/** The engine layer for a placed layer; `dropouts` counts the dropout layers before it. */
export function engineLayer(placed: Placed, m: EngineMemory, b: LayerBuffers, dropouts: number): EngineLayer {
  const { layer } = placed;
  switch (layer.kind) {
    case 'conv1d': return new Conv1d({ ...placed, layer }, m, b);
    case 'maxPool1d': return new MaxPool1d({ ...placed, layer }, m, b);
    case 'dropout': return new Dropout({ ...placed, layer }, m, b, dropoutStream(dropouts));
    case 'bilstm': return new BiLstm({ ...placed, layer }, m, b);
    case 'dense': return new Dense({ ...placed, layer }, m, b);
  }
}
