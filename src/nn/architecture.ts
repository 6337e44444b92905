// The form-scorer network (DESIGN.md, Keras semantics). Every other module names
// weights through this table, so the engine, the checkpoints (TF.js Layers format)
// and the TFLite writer agree on names, shapes and order.

import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';

export const CONV_FILTERS = 64;
export const CONV1_KERNEL = 5;
export const CONV2_KERNEL = 3;
export const POOL_SIZE = 2;
export const POOLED_FRAMES = FRAMES / POOL_SIZE; // 45
export const LSTM_UNITS = 64;
export const DENSE_UNITS = 128;
export const DROPOUT_RATE = 0.3;
/** Adam as Keras compiles it (epsilon 1e-7): the engine, the reference and the checkpoints' optimizer block. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
/** Layers that own weights, in order. */
export const TRAINABLE_LAYERS = ['conv1', 'conv2', 'bilstm1', 'bilstm2', 'dense1', 'scores'] as const;
export type TrainableLayer = (typeof TRAINABLE_LAYERS)[number];

export interface WeightSpec<Name extends string = string> {
  /** TF.js / Keras weight name, e.g. "bilstm1/forward_lstm1/kernel". */
  name: Name;
  layer: TrainableLayer;
  shape: readonly number[];
  init: 'glorot_uniform' | 'orthogonal' | 'zeros' | 'lstm_bias';
}

const H4 = 4 * LSTM_UNITS; // gates i, f, c, o concatenated on the last axis

/** Every LSTM direction in Keras weight order: its weight-name prefix, layer and input width. */
export const LSTM_DIRECTIONS = [
  { prefix: 'bilstm1/forward_lstm1', layer: 'bilstm1', inputDim: CONV_FILTERS },
  { prefix: 'bilstm1/backward_lstm1', layer: 'bilstm1', inputDim: CONV_FILTERS },
  { prefix: 'bilstm2/forward_lstm2', layer: 'bilstm2', inputDim: 2 * LSTM_UNITS },
  { prefix: 'bilstm2/backward_lstm2', layer: 'bilstm2', inputDim: 2 * LSTM_UNITS },
] as const;

function lstmSpecs(layer: 'bilstm1' | 'bilstm2') {
  return LSTM_DIRECTIONS.filter((d) => d.layer === layer).flatMap(({ prefix, inputDim }) => [
    { name: `${prefix}/kernel` as const, layer, shape: [inputDim, H4], init: 'glorot_uniform' },
    { name: `${prefix}/recurrent_kernel` as const, layer, shape: [LSTM_UNITS, H4], init: 'orthogonal' },
    { name: `${prefix}/bias` as const, layer, shape: [H4], init: 'lstm_bias' },
  ] satisfies WeightSpec[]);
}

/** All weights in Keras order; shapes in Keras layout (Conv1D kernel: [k, in, out]). */
export const WEIGHT_SPECS = [
  { name: 'conv1/kernel', layer: 'conv1', shape: [CONV1_KERNEL, N_FEATURES, CONV_FILTERS], init: 'glorot_uniform' },
  { name: 'conv1/bias', layer: 'conv1', shape: [CONV_FILTERS], init: 'zeros' },
  { name: 'conv2/kernel', layer: 'conv2', shape: [CONV2_KERNEL, CONV_FILTERS, CONV_FILTERS], init: 'glorot_uniform' },
  { name: 'conv2/bias', layer: 'conv2', shape: [CONV_FILTERS], init: 'zeros' },
  ...lstmSpecs('bilstm1'),
  ...lstmSpecs('bilstm2'),
  { name: 'dense1/kernel', layer: 'dense1', shape: [2 * LSTM_UNITS, DENSE_UNITS], init: 'glorot_uniform' },
  { name: 'dense1/bias', layer: 'dense1', shape: [DENSE_UNITS], init: 'zeros' },
  { name: 'scores/kernel', layer: 'scores', shape: [DENSE_UNITS, N_SCORES], init: 'glorot_uniform' },
  { name: 'scores/bias', layer: 'scores', shape: [N_SCORES], init: 'zeros' },
] as const satisfies readonly WeightSpec[];

/** Every weight's name: a misspelt one does not compile. */
export type WeightName = (typeof WEIGHT_SPECS)[number]['name'];

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** 200,326 for the form scorer. */
export const PARAM_COUNT = WEIGHT_SPECS.reduce((n, s) => n + sizeOf(s.shape), 0);

/** Weights by name, each a flat float32 buffer in the spec's row-major layout. */
export type NamedWeights = Map<string, Float32Array>;

export const INPUT_SHAPE = [FRAMES, N_FEATURES] as const; // per sample (90, 18)
/** Values of one model input sample: 90 × 18. */
export const INPUT_SIZE = FRAMES * N_FEATURES;
export const OUTPUT_SIZE = N_SCORES; // per sample (6)
