// The whole form scorer on the reference kernels: the oracle the WebAssembly engine
// is tested against, and the float64 model for the whole-network gradient check.
// The forward pass walks NETWORK (architecture.ts) input to output, the backward pass
// output to input, with one forward and one backward per layer kind (LAYER_KINDS).
//
// Dropout masks (training only) come from one Random: each dropout layer draws its
// mask in network order, one draw per element in row-major index order (see
// dropoutMask), so drop1's B·45·64 draws come first, then drop2's B·128.

import { Random } from '../../util/random.js';
import {
  type Conv1dLayer, type DenseLayer, type DropoutLayer, type DropoutName, INPUT_SHAPE, INPUT_SIZE,
  type LayerDef, type LayerKind, type LstmDirection, NETWORK, type NamedWeights, OUTPUT_SIZE,
  type Placed, WEIGHT_SPECS, kernelAndBias, layersOfKind, lstmDirections, sizeOf,
} from '../architecture.js';
import { type Buf, type DType, alloc, convert, dtypeOf } from './buffers.js';
import {
  conv1dBackward, conv1dForward, denseBackward, denseForward, dropoutBackward, dropoutForward, dropoutMask,
  maxPool1dBackward, maxPool1dForward, mseLoss,
} from './layers.js';
import { type BiLstmCache, type LstmWeights, biLstmBackward, biLstmCache, biLstmForward } from './lstm.js';

/** Weights (or gradients) by WEIGHT_SPECS name, float32 or float64. */
export type WeightMap = Map<string, Buf>;

export interface ForwardOptions {
  /** Arithmetic of the activations (default: that of the weights). */
  dtype?: DType;
  /** Apply dropout, each layer at its declared rate (default false: inference). */
  training?: boolean;
  /** Seed of the dropout masks when training (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Random;
  /**
   * Given dropout masks by layer, (B, ...layer output) of values 0 or 1/(1-rate), instead
   * of drawn ones, e.g. the engine's, so a training-mode pass can be compared mask for
   * mask. Implies training.
   */
  masks?: Record<DropoutName, ArrayLike<number>>;
}

/** What a layer keeps for its backward pass, by kind. */
interface LayerCaches {
  conv1d: null;
  maxPool1d: Int32Array; // index into the input of each output element
  dropout: Buf | null; // the mask, null at inference (the output is the input)
  bilstm: BiLstmCache;
  dense: null;
}

/** One layer's forward result: its output (B, ...placed.output) and its cache. */
export interface LayerActivation<K extends LayerKind = LayerKind> {
  out: Buf;
  cache: LayerCaches[K];
}

/** What every layer of a pass reads: batch size, arithmetic and the weights in it. */
interface Pass {
  n: number;
  dtype: DType;
  weights: WeightMap; // in `dtype`
}

/** Every intermediate of one forward pass, kept for the backward pass. */
export interface NetworkActivations extends Pass {
  x: Buf; // (B,90,18)
  /** Indexed like NETWORK. */
  layers: LayerActivation[];
  scores: Buf; // (B,6), the last layer's output
}

/** A dropout layer's mask for this pass (B, ...output), or null when not training. */
type MaskSource = (p: Placed<DropoutLayer>) => Buf | null;

interface ForwardPass extends Pass {
  mask: MaskSource;
}

type LayerOf<K extends LayerKind> = Extract<LayerDef, { kind: K }>;

/** One layer kind on the reference kernels. */
interface LayerKindPass<K extends LayerKind> {
  // inp (B, ...p.input) -> out (B, ...p.output), cache
  forward(p: Placed<LayerOf<K>>, inp: Buf, pass: ForwardPass): LayerActivation<K>;
  // dout (B, ...p.output) -> dinp (B, ...p.input); weight gradients += into grads
  backward(p: Placed<LayerOf<K>>, act: LayerActivation<K>, inp: Buf, dout: Buf, pass: Pass, grads: WeightMap): Buf;
}

/** A zeroed (B, ...shape) buffer of the pass. */
const batchOf = ({ n, dtype }: Pass, shape: readonly number[]): Buf => alloc(dtype, n * sizeOf(shape));

/** A Conv1D or Dense layer's kernel and bias in `map` (weights or gradients). */
function kernelAndBiasIn(map: WeightMap, layer: Conv1dLayer | DenseLayer): { kernel: Buf; bias: Buf } {
  const names = kernelAndBias(layer);
  return { kernel: map.get(names.kernel)!, bias: map.get(names.bias)! };
}

/** One LSTM direction's kernel, recurrent kernel and bias in `map` (weights or gradients). */
function lstmIn(map: WeightMap, d: LstmDirection): LstmWeights {
  return { kernel: map.get(d.kernel)!, recurrent: map.get(d.recurrent)!, bias: map.get(d.bias)! };
}

const conv1d: LayerKindPass<'conv1d'> = {
  forward({ layer, input: [T, C], output }, inp, pass) {
    const out = batchOf(pass, output);
    const { kernel, bias } = kernelAndBiasIn(pass.weights, layer);
    conv1dForward(out, inp, kernel, bias, pass.n, T, C, layer.filters, layer.kernelSize, layer.activation === 'relu');
    return { out, cache: null };
  },
  backward({ layer, input }, { out }, inp, dout, pass, grads) {
    const [T, C] = input;
    const dinp = batchOf(pass, input);
    const g = kernelAndBiasIn(grads, layer);
    conv1dBackward(dinp, g.kernel, g.bias, dout, inp, kernelAndBiasIn(pass.weights, layer).kernel, out,
      pass.n, T, C, layer.filters, layer.kernelSize, layer.activation === 'relu');
    return dinp;
  },
};

const maxPool1d: LayerKindPass<'maxPool1d'> = {
  forward({ layer, input: [T, C], output }, inp, pass) {
    const out = batchOf(pass, output);
    const argmax = new Int32Array(out.length);
    maxPool1dForward(out, argmax, inp, pass.n, T, C, layer.poolSize);
    return { out, cache: argmax };
  },
  backward({ input }, { cache: argmax }, _inp, dout, pass) {
    const dinp = batchOf(pass, input);
    maxPool1dBackward(dinp, dout, argmax, dout.length);
    return dinp;
  },
};

const dropout: LayerKindPass<'dropout'> = {
  forward(p, inp, pass) {
    const mask = pass.mask(p);
    if (!mask) return { out: inp, cache: null };
    const out = batchOf(pass, p.output);
    dropoutForward(out, inp, mask, out.length);
    return { out, cache: mask };
  },
  backward({ input }, { cache: mask }, _inp, dout, pass) {
    if (!mask) return dout;
    const dinp = batchOf(pass, input);
    dropoutBackward(dinp, dout, mask, dinp.length);
    return dinp;
  },
};

const bilstm: LayerKindPass<'bilstm'> = {
  forward(p, inp, pass) {
    const { layer, input: [T, C] } = p;
    const [fw, bw] = lstmDirections(p);
    const out = batchOf(pass, p.output);
    const cache = biLstmCache(pass.dtype, pass.n, T, layer.units);
    biLstmForward(out, cache, inp, lstmIn(pass.weights, fw), lstmIn(pass.weights, bw),
      pass.n, T, C, layer.units, layer.returnSequences);
    return { out, cache };
  },
  backward(p, { cache }, inp, dout, pass, grads) {
    const { layer, input: [T, C] } = p;
    const [fw, bw] = lstmDirections(p);
    const dinp = batchOf(pass, p.input);
    biLstmBackward(dinp, lstmIn(grads, fw), lstmIn(grads, bw), dout, cache, inp,
      lstmIn(pass.weights, fw), lstmIn(pass.weights, bw), pass.n, T, C, layer.units, layer.returnSequences);
    return dinp;
  },
};

const dense: LayerKindPass<'dense'> = {
  forward({ layer, input: [C], output }, inp, pass) {
    const out = batchOf(pass, output);
    const { kernel, bias } = kernelAndBiasIn(pass.weights, layer);
    denseForward(out, inp, kernel, bias, pass.n, C, layer.units, layer.activation);
    return { out, cache: null };
  },
  backward({ layer, input }, { out }, inp, dout, pass, grads) {
    const [C] = input;
    const dinp = batchOf(pass, input);
    const g = kernelAndBiasIn(grads, layer);
    denseBackward(dinp, g.kernel, g.bias, dout, inp, kernelAndBiasIn(pass.weights, layer).kernel, out,
      pass.n, C, layer.units, layer.activation);
    return dinp;
  },
};

const LAYER_KINDS: { [K in LayerKind]: LayerKindPass<K> } = { conv1d, maxPool1d, dropout, bilstm, dense };

/** The forward and backward of a placed layer's kind. */
const kindPassOf = (p: Placed): LayerKindPass<LayerKind> => LAYER_KINDS[p.layer.kind] as LayerKindPass<LayerKind>;

function weightsIn(weights: WeightMap, dtype: DType): WeightMap {
  const out: WeightMap = new Map();
  for (const spec of WEIGHT_SPECS) {
    const w = weights.get(spec.name);
    if (!w) throw new Error(`weights: missing "${spec.name}"`);
    if (w.length !== sizeOf(spec.shape)) {
      throw new Error(`weights: "${spec.name}" has ${w.length} values, expected ${sizeOf(spec.shape)} (shape [${spec.shape}])`);
    }
    out.set(spec.name, dtypeOf(w) === dtype ? w : convert(w, dtype));
  }
  return out;
}

/** Masks handed in, checked against every dropout layer's size. */
function givenMasks(masks: Record<DropoutName, ArrayLike<number>>, n: number, dtype: DType): MaskSource {
  for (const { layer, output } of layersOfKind('dropout')) {
    const given = masks[layer.name as DropoutName];
    if (given?.length !== n * sizeOf(output)) {
      throw new Error(`network masks: ${layer.name} needs ${n * sizeOf(output)} values, got ${given?.length ?? 'none'}`);
    }
  }
  return (p) => convert(masks[p.layer.name as DropoutName], dtype);
}

/** Masks drawn from one Random, layer after layer as the forward pass reaches them. */
function drawnMasks(rng: Random, n: number, dtype: DType): MaskSource {
  return (p) => {
    const mask = alloc(dtype, n * sizeOf(p.output));
    dropoutMask(mask, mask.length, p.layer.rate, rng);
    return mask;
  };
}

function maskSource(opts: ForwardOptions, n: number, dtype: DType): MaskSource {
  if (opts.masks) return givenMasks(opts.masks, n, dtype);
  if (!opts.training) return () => null;
  return drawnMasks(opts.rng ?? new Random(opts.seed ?? 0), n, dtype);
}

// x (B,90,18) -> activations of every layer, scores (B,6)
export function networkForward(
  weights: WeightMap, x: ArrayLike<number>, n: number, opts: ForwardOptions = {},
): NetworkActivations {
  if (x.length !== n * INPUT_SIZE) {
    throw new Error(`network input: ${x.length} values, expected ${n}×${INPUT_SHAPE.join('×')}`);
  }
  const dtype = opts.dtype ?? dtypeOf(weights.get(WEIGHT_SPECS[0].name) ?? new Float32Array(0));
  const pass: ForwardPass = { n, dtype, weights: weightsIn(weights, dtype), mask: maskSource(opts, n, dtype) };
  const xb = convert(x, dtype);
  const layers: LayerActivation[] = [];
  let inp = xb;
  for (const placed of NETWORK) {
    const act = kindPassOf(placed).forward(placed, inp, pass);
    layers.push(act);
    inp = act.out;
  }
  return { n, dtype, weights: pass.weights, x: xb, layers, scores: inp };
}

// dscores (B,6) = dLoss/dscores -> gradients of every weight (WEIGHT_SPECS order) and of x (B,90,18)
export function networkBackward(acts: NetworkActivations, dscores: Buf): { grads: WeightMap; dx: Buf } {
  const grads: WeightMap = new Map(WEIGHT_SPECS.map((spec) => [spec.name, alloc(acts.dtype, sizeOf(spec.shape))]));
  let dout = dscores;
  for (let i = NETWORK.length - 1; i >= 0; i--) {
    const inp = i > 0 ? acts.layers[i - 1].out : acts.x;
    dout = kindPassOf(NETWORK[i]).backward(NETWORK[i], acts.layers[i], inp, dout, acts, grads);
  }
  return { grads, dx: dout };
}

/** The dropout masks a training pass used, by layer (the engine's dropoutMasks(n) counterpart). */
export function dropoutMasksOf(acts: NetworkActivations): Record<DropoutName, Buf> {
  return Object.fromEntries(layersOfKind('dropout').map(({ layer, index }) => {
    const mask = acts.layers[index].cache as Buf | null;
    if (!mask) throw new Error(`dropoutMasksOf: ${layer.name} did not drop (not a training pass)`);
    return [layer.name, mask];
  })) as Record<DropoutName, Buf>;
}

/** One training-style pass: forward (dropout when opts.training), MSE loss on y (B,6) in [0,1], backward. */
export function networkLossAndGrads(
  weights: WeightMap, x: ArrayLike<number>, y: ArrayLike<number>, n: number, opts: ForwardOptions = {},
): { loss: number; mae: number; scores: Buf; grads: WeightMap; dx: Buf } {
  const acts = networkForward(weights, x, n, opts);
  const dscores = alloc(acts.dtype, n * OUTPUT_SIZE);
  const { loss, mae } = mseLoss(dscores, acts.scores, y, n, OUTPUT_SIZE);
  const { grads, dx } = networkBackward(acts, dscores);
  return { loss, mae, scores: acts.scores, grads, dx };
}

/** Inference on the plain TypeScript kernels, float32 like the engine: x (N,90,18) -> scores (N,6). */
export function referenceForward(weights: NamedWeights, x: Float32Array, n: number): Float32Array {
  return networkForward(weights, x, n, { dtype: 'float32' }).scores as Float32Array;
}
