// The whole form scorer on the reference kernels: the oracle the WebAssembly engine
// is tested against, and the float64 model for the whole-network gradient check.
//
//   x (B,90,18) → conv1 relu (B,90,64) → conv2 relu (B,90,64) → pool (B,45,64)
//   → drop1 → bilstm1 (B,45,128) → bilstm2 (B,128) → dense1 relu (B,128) → drop2
//   → scores sigmoid (B,6)
//
// Dropout masks (training only) come from one Random: drop1's B·45·64 draws first,
// then drop2's B·128, each in row-major index order (see dropoutMask).

import { FRAMES, N_FEATURES, N_SCORES } from '../../data/exercises.js';
import { Random } from '../../util/random.js';
import {
  CONV1_KERNEL, CONV2_KERNEL, CONV_FILTERS, DENSE_UNITS, DROPOUT_RATE, LSTM_UNITS, POOL_SIZE, POOLED_FRAMES,
  WEIGHT_SPECS, type NamedWeights, sizeOf,
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
  /** Apply dropout (default false: inference). */
  training?: boolean;
  /** Seed of the dropout masks when training (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Random;
  /** Dropout rate (default DROPOUT_RATE = 0.3). */
  dropoutRate?: number;
  /**
   * Given dropout masks (values 0 or 1/(1-rate)) instead of drawn ones, e.g. the
   * engine's, so a training-mode pass can be compared mask for mask. Implies training.
   */
  masks?: { drop1: ArrayLike<number> /* (B,45,64) */; drop2: ArrayLike<number> /* (B,128) */ };
}

/** Every intermediate of one forward pass, kept for the backward pass. */
export interface NetworkActivations {
  n: number;
  dtype: DType;
  weights: WeightMap; // in `dtype`
  x: Buf; // (B,90,18)
  conv1: Buf; // (B,90,64)
  conv2: Buf; // (B,90,64)
  pool: Buf; // (B,45,64)
  poolArgmax: Int32Array; // (B,45,64)
  drop1Mask: Buf | null; // (B,45,64)
  drop1: Buf; // (B,45,64)
  bilstm1Cache: BiLstmCache;
  bilstm1: Buf; // (B,45,128)
  bilstm2Cache: BiLstmCache;
  bilstm2: Buf; // (B,128)
  dense1: Buf; // (B,128)
  drop2Mask: Buf | null; // (B,128)
  drop2: Buf; // (B,128)
  scores: Buf; // (B,6)
}

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

function lstmWeights(w: WeightMap, prefix: string): LstmWeights {
  return {
    kernel: w.get(`${prefix}/kernel`)!,
    recurrent: w.get(`${prefix}/recurrent_kernel`)!,
    bias: w.get(`${prefix}/bias`)!,
  };
}

const T = FRAMES;
const TP = POOLED_FRAMES;
const F = CONV_FILTERS;
const H = LSTM_UNITS;

// x (B,90,18) -> activations, scores (B,6)
export function networkForward(
  weights: WeightMap, x: ArrayLike<number>, n: number, opts: ForwardOptions = {},
): NetworkActivations {
  if (x.length !== n * T * N_FEATURES) {
    throw new Error(`network input: ${x.length} values, expected ${n}×${T}×${N_FEATURES}`);
  }
  const dtype = opts.dtype ?? dtypeOf(weights.get(WEIGHT_SPECS[0].name) ?? new Float32Array(0));
  const w = weightsIn(weights, dtype);
  const B = n;
  const xb = convert(x, dtype);

  const conv1 = alloc(dtype, B * T * F);
  conv1dForward(conv1, xb, w.get('conv1/kernel')!, w.get('conv1/bias')!, B, T, N_FEATURES, F, CONV1_KERNEL, true);
  const conv2 = alloc(dtype, B * T * F);
  conv1dForward(conv2, conv1, w.get('conv2/kernel')!, w.get('conv2/bias')!, B, T, F, F, CONV2_KERNEL, true);
  const pool = alloc(dtype, B * TP * F);
  const poolArgmax = new Int32Array(B * TP * F);
  maxPool1dForward(pool, poolArgmax, conv2, B, T, F, POOL_SIZE);

  const masks = opts.masks;
  if (masks && (masks.drop1.length !== B * TP * F || masks.drop2.length !== B * DENSE_UNITS)) {
    throw new Error(`network masks: drop1 needs ${B * TP * F} values and drop2 ${B * DENSE_UNITS}`);
  }
  const training = (opts.training ?? false) || !!masks;
  const rate = opts.dropoutRate ?? DROPOUT_RATE;
  const rng = training && !masks ? (opts.rng ?? new Random(opts.seed ?? 0)) : null;
  let drop1Mask: Buf | null = null;
  let drop1 = pool;
  if (training) {
    drop1Mask = masks ? convert(masks.drop1, dtype) : alloc(dtype, B * TP * F);
    if (rng) dropoutMask(drop1Mask, B * TP * F, rate, rng);
    drop1 = alloc(dtype, B * TP * F);
    dropoutForward(drop1, pool, drop1Mask, B * TP * F);
  }

  const bilstm1Cache = biLstmCache(dtype, B, TP, H);
  const bilstm1 = alloc(dtype, B * TP * 2 * H);
  biLstmForward(bilstm1, bilstm1Cache, drop1, lstmWeights(w, 'bilstm1/forward_lstm1'),
    lstmWeights(w, 'bilstm1/backward_lstm1'), B, TP, F, H, true);
  const bilstm2Cache = biLstmCache(dtype, B, TP, H);
  const bilstm2 = alloc(dtype, B * 2 * H);
  biLstmForward(bilstm2, bilstm2Cache, bilstm1, lstmWeights(w, 'bilstm2/forward_lstm2'),
    lstmWeights(w, 'bilstm2/backward_lstm2'), B, TP, 2 * H, H, false);

  const dense1 = alloc(dtype, B * DENSE_UNITS);
  denseForward(dense1, bilstm2, w.get('dense1/kernel')!, w.get('dense1/bias')!, B, 2 * H, DENSE_UNITS, 'relu');
  let drop2Mask: Buf | null = null;
  let drop2 = dense1;
  if (training) {
    drop2Mask = masks ? convert(masks.drop2, dtype) : alloc(dtype, B * DENSE_UNITS);
    if (rng) dropoutMask(drop2Mask, B * DENSE_UNITS, rate, rng);
    drop2 = alloc(dtype, B * DENSE_UNITS);
    dropoutForward(drop2, dense1, drop2Mask, B * DENSE_UNITS);
  }
  const scores = alloc(dtype, B * N_SCORES);
  denseForward(scores, drop2, w.get('scores/kernel')!, w.get('scores/bias')!, B, DENSE_UNITS, N_SCORES, 'sigmoid');

  return {
    n, dtype, weights: w, x: xb, conv1, conv2, pool, poolArgmax, drop1Mask, drop1, bilstm1Cache, bilstm1,
    bilstm2Cache, bilstm2, dense1, drop2Mask, drop2, scores,
  };
}

// dscores (B,6) = dLoss/dscores -> gradients of every weight (WEIGHT_SPECS order) and of x (B,90,18)
export function networkBackward(acts: NetworkActivations, dscores: Buf): { grads: WeightMap; dx: Buf } {
  const { n: B, dtype, weights: w } = acts;
  const grads: WeightMap = new Map();
  for (const spec of WEIGHT_SPECS) grads.set(spec.name, alloc(dtype, sizeOf(spec.shape)));
  const g = (name: string) => grads.get(name)!;
  const lg = (prefix: string) => ({
    kernel: g(`${prefix}/kernel`), recurrent: g(`${prefix}/recurrent_kernel`), bias: g(`${prefix}/bias`),
  });

  const ddrop2 = alloc(dtype, B * DENSE_UNITS);
  denseBackward(ddrop2, g('scores/kernel'), g('scores/bias'), dscores, acts.drop2, w.get('scores/kernel')!,
    acts.scores, B, DENSE_UNITS, N_SCORES, 'sigmoid');
  let ddense1 = ddrop2;
  if (acts.drop2Mask) {
    ddense1 = alloc(dtype, B * DENSE_UNITS);
    dropoutBackward(ddense1, ddrop2, acts.drop2Mask, B * DENSE_UNITS);
  }
  const dbilstm2 = alloc(dtype, B * 2 * H);
  denseBackward(dbilstm2, g('dense1/kernel'), g('dense1/bias'), ddense1, acts.bilstm2, w.get('dense1/kernel')!,
    acts.dense1, B, 2 * H, DENSE_UNITS, 'relu');
  const dbilstm1 = alloc(dtype, B * TP * 2 * H);
  biLstmBackward(dbilstm1, lg('bilstm2/forward_lstm2'), lg('bilstm2/backward_lstm2'), dbilstm2, acts.bilstm2Cache,
    acts.bilstm1, lstmWeights(w, 'bilstm2/forward_lstm2'), lstmWeights(w, 'bilstm2/backward_lstm2'),
    B, TP, 2 * H, H, false);
  const ddrop1 = alloc(dtype, B * TP * F);
  biLstmBackward(ddrop1, lg('bilstm1/forward_lstm1'), lg('bilstm1/backward_lstm1'), dbilstm1, acts.bilstm1Cache,
    acts.drop1, lstmWeights(w, 'bilstm1/forward_lstm1'), lstmWeights(w, 'bilstm1/backward_lstm1'),
    B, TP, F, H, true);
  let dpool = ddrop1;
  if (acts.drop1Mask) {
    dpool = alloc(dtype, B * TP * F);
    dropoutBackward(dpool, ddrop1, acts.drop1Mask, B * TP * F);
  }
  const dconv2 = alloc(dtype, B * T * F);
  maxPool1dBackward(dconv2, dpool, acts.poolArgmax, B * TP * F);
  const dconv1 = alloc(dtype, B * T * F);
  conv1dBackward(dconv1, g('conv2/kernel'), g('conv2/bias'), dconv2, acts.conv1, w.get('conv2/kernel')!, acts.conv2,
    B, T, F, F, CONV2_KERNEL, true);
  const dx = alloc(dtype, B * T * N_FEATURES);
  conv1dBackward(dx, g('conv1/kernel'), g('conv1/bias'), dconv1, acts.x, w.get('conv1/kernel')!, acts.conv1,
    B, T, N_FEATURES, F, CONV1_KERNEL, true);
  return { grads, dx };
}

/** One training-style pass: forward (dropout when opts.training), MSE loss on y (B,6) in [0,1], backward. */
export function networkLossAndGrads(
  weights: WeightMap, x: ArrayLike<number>, y: ArrayLike<number>, n: number, opts: ForwardOptions = {},
): { loss: number; mae: number; scores: Buf; grads: WeightMap; dx: Buf } {
  const acts = networkForward(weights, x, n, opts);
  const dscores = alloc(acts.dtype, n * N_SCORES);
  const { loss, mae } = mseLoss(dscores, acts.scores, y, n, N_SCORES);
  const { grads, dx } = networkBackward(acts, dscores);
  return { loss, mae, scores: acts.scores, grads, dx };
}

/** Inference on the plain TypeScript kernels, float32 like the engine: x (N,90,18) -> scores (N,6). */
export function referenceForward(weights: NamedWeights, x: Float32Array, n: number): Float32Array {
  return networkForward(weights, x, n, { dtype: 'float32' }).scores as Float32Array;
}
