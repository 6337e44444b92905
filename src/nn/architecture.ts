// The form-scorer network (DESIGN.md, Keras semantics), declared once: LAYERS is the
// only place the layer sequence is written. Derived from it here: every layer's input
// and output shape (NETWORK), the weights (names, shapes, initializers, Keras order)
// and the trainable layers. Each module that runs or writes the network walks NETWORK
// with one implementation per layer kind: the engine (engine-layers.ts), the reference
// (reference/network.ts), the TF.js topology (checkpoint.ts) and the TFLite graphs
// (export/graph.ts).

import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';

/** Conv1D, stride 1, padding "same", with bias. */
export interface Conv1dLayer { kind: 'conv1d'; name: string; filters: number; kernelSize: number; activation: 'relu' }
/** MaxPooling1D, stride = pool size, padding "valid". */
export interface MaxPool1dLayer { kind: 'maxPool1d'; name: string; poolSize: number }
export interface DropoutLayer { kind: 'dropout'; name: string; rate: number }
/**
 * Bidirectional(LSTM(units), merge "concat"); `cell` is the wrapped LSTM's Keras name
 * (weights "<name>/forward_<cell>/…"). Without returnSequences the output is the
 * forward direction's last step and the backward direction's last step (time 0).
 */
export interface BiLstmLayer { kind: 'bilstm'; name: string; cell: string; units: number; returnSequences: boolean }
export interface DenseLayer { kind: 'dense'; name: string; units: number; activation: 'relu' | 'sigmoid' }
export type LayerDef = Conv1dLayer | MaxPool1dLayer | DropoutLayer | BiLstmLayer | DenseLayer;
export type LayerKind = LayerDef['kind'];

/** The form scorer, input (B, 90, 18) to scores (B, 6). */
export const LAYERS = [
  { kind: 'conv1d', name: 'conv1', filters: 64, kernelSize: 5, activation: 'relu' }, // (B, 90, 64)
  { kind: 'conv1d', name: 'conv2', filters: 64, kernelSize: 3, activation: 'relu' }, // (B, 90, 64)
  { kind: 'maxPool1d', name: 'pool', poolSize: 2 }, // (B, 45, 64)
  { kind: 'dropout', name: 'drop1', rate: 0.3 },
  { kind: 'bilstm', name: 'bilstm1', cell: 'lstm1', units: 64, returnSequences: true }, // (B, 45, 128)
  { kind: 'bilstm', name: 'bilstm2', cell: 'lstm2', units: 64, returnSequences: false }, // (B, 128)
  { kind: 'dense', name: 'dense1', units: 128, activation: 'relu' }, // (B, 128)
  { kind: 'dropout', name: 'drop2', rate: 0.3 },
  { kind: 'dense', name: 'scores', units: N_SCORES, activation: 'sigmoid' }, // (B, 6)
] as const satisfies readonly LayerDef[];

type Declared = (typeof LAYERS)[number];
export type LayerName = Declared['name'];
/** Layers that own weights. */
export type TrainableLayer = Extract<Declared, { kind: 'conv1d' | 'bilstm' | 'dense' }>['name'];
export type DropoutName = Extract<Declared, { kind: 'dropout' }>['name'];

/** Adam as Keras compiles it (epsilon 1e-7): the engine, the reference and the checkpoints' optimizer block. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export const INPUT_SHAPE = [FRAMES, N_FEATURES] as const; // per sample (90, 18)
/** Values of one model input sample: 90 × 18. */
export const INPUT_SIZE = FRAMES * N_FEATURES;
export const OUTPUT_SIZE = N_SCORES; // per sample (6)

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * A layer in place: its per-sample input and output shapes, [frames, channels] for a
 * sequence and [units] for a vector.
 */
export interface Placed<L extends LayerDef = LayerDef> {
  layer: L;
  index: number;
  input: readonly number[];
  output: readonly number[];
}

function outputShape(layer: LayerDef, input: readonly number[]): number[] {
  const [frames, channels] = input;
  switch (layer.kind) {
    case 'conv1d': return [frames, layer.filters];
    case 'maxPool1d': return [Math.floor(frames / layer.poolSize), channels];
    case 'dropout': return [...input];
    case 'bilstm': return layer.returnSequences ? [frames, 2 * layer.units] : [2 * layer.units];
    case 'dense': return [layer.units];
  }
}

/** LAYERS with their shapes, input to output. */
export const NETWORK: readonly Placed[] = (() => {
  let shape: readonly number[] = INPUT_SHAPE;
  return LAYERS.map((layer, index) => {
    const placed = { layer, index, input: shape, output: outputShape(layer, shape) };
    shape = placed.output;
    return placed;
  });
})();

const last = NETWORK[NETWORK.length - 1];
if (last.output.length !== 1 || last.output[0] !== OUTPUT_SIZE) throw new Error(`LAYERS end in [${last.output}], not the ${OUTPUT_SIZE} scores`);

/** The placed layer called `name`. */
export function layerNamed<N extends LayerName>(name: N): Placed<Extract<Declared, { name: N }>> {
  return NETWORK.find((p) => p.layer.name === name) as Placed<Extract<Declared, { name: N }>>;
}

/** The layers of one kind, in network order. */
export function layersOfKind<K extends LayerKind>(kind: K): Placed<Extract<LayerDef, { kind: K }>>[] {
  return NETWORK.filter((p) => p.layer.kind === kind) as Placed<Extract<LayerDef, { kind: K }>>[];
}

// --- weights ---------------------------------------------------------------------

type LstmPrefix<L> = L extends BiLstmLayer ? `${L['name']}/${'forward' | 'backward'}_${L['cell']}` : never;
/** Every weight's name, e.g. "conv1/kernel" or "bilstm1/forward_lstm1/recurrent_kernel": a misspelt one does not compile. */
export type WeightName =
  | `${Extract<Declared, { kind: 'conv1d' | 'dense' }>['name']}/${'kernel' | 'bias'}`
  | `${LstmPrefix<Declared>}/${'kernel' | 'recurrent_kernel' | 'bias'}`;

export interface WeightSpec {
  /** TF.js / Keras weight name. */
  name: WeightName;
  layer: TrainableLayer;
  shape: readonly number[];
  init: 'glorot_uniform' | 'orthogonal' | 'zeros' | 'lstm_bias';
}

/** One direction of a BiLSTM: its weights' names, its input width and whether it runs backward in time. */
export interface LstmDirection {
  layer: BiLstmLayer;
  prefix: string;
  inputDim: number;
  units: number;
  reverse: boolean;
  kernel: WeightName;
  recurrent: WeightName;
  bias: WeightName;
}

/** The two directions of a placed BiLSTM, forward first (Keras order). */
export function lstmDirections({ layer, input }: Pick<Placed<BiLstmLayer>, 'layer' | 'input'>): [LstmDirection, LstmDirection] {
  const direction = (dir: 'forward' | 'backward'): LstmDirection => {
    const prefix = `${layer.name}/${dir}_${layer.cell}`;
    return {
      layer, prefix, inputDim: input[input.length - 1], units: layer.units, reverse: dir === 'backward',
      kernel: `${prefix}/kernel` as WeightName, recurrent: `${prefix}/recurrent_kernel` as WeightName, bias: `${prefix}/bias` as WeightName,
    };
  };
  return [direction('forward'), direction('backward')];
}

/** Every LSTM direction in Keras weight order. */
export const LSTM_DIRECTIONS: readonly LstmDirection[] = layersOfKind('bilstm').flatMap(lstmDirections);

/** The kernel and bias names of a Conv1D or Dense layer. */
export const kernelAndBias = (layer: Conv1dLayer | DenseLayer) =>
  ({ kernel: `${layer.name}/kernel` as WeightName, bias: `${layer.name}/bias` as WeightName });

function weightSpecs({ layer, input }: Placed): WeightSpec[] {
  const inputDim = input[input.length - 1];
  switch (layer.kind) {
    case 'conv1d':
    case 'dense': {
      const { kernel, bias } = kernelAndBias(layer);
      const units = layer.kind === 'conv1d' ? layer.filters : layer.units;
      const kernelShape = layer.kind === 'conv1d' ? [layer.kernelSize, inputDim, units] : [inputDim, units];
      return [
        { name: kernel, layer: layer.name as TrainableLayer, shape: kernelShape, init: 'glorot_uniform' },
        { name: bias, layer: layer.name as TrainableLayer, shape: [units], init: 'zeros' },
      ];
    }
    case 'bilstm':
      // gates i, f, c, o concatenated on the last axis
      return lstmDirections({ layer, input }).flatMap((d) => [
        { name: d.kernel, layer: layer.name as TrainableLayer, shape: [d.inputDim, 4 * d.units], init: 'glorot_uniform' },
        { name: d.recurrent, layer: layer.name as TrainableLayer, shape: [d.units, 4 * d.units], init: 'orthogonal' },
        { name: d.bias, layer: layer.name as TrainableLayer, shape: [4 * d.units], init: 'lstm_bias' },
      ] satisfies WeightSpec[]);
    default:
      return [];
  }
}

/** All weights in Keras order; shapes in Keras layout (Conv1D kernel: [k, in, out]). */
export const WEIGHT_SPECS: readonly WeightSpec[] = NETWORK.flatMap(weightSpecs);

/** Layers that own weights, in order. */
export const TRAINABLE_LAYERS: readonly TrainableLayer[] = [...new Set(WEIGHT_SPECS.map((s) => s.layer))];

export const isTrainableLayer = (name: string): name is TrainableLayer => (TRAINABLE_LAYERS as readonly string[]).includes(name);

/** 200,326 for the form scorer. */
export const PARAM_COUNT = WEIGHT_SPECS.reduce((n, s) => n + sizeOf(s.shape), 0);

/** Weights by name, each a flat float32 buffer in the spec's row-major layout. */
export type NamedWeights = Map<string, Float32Array>;
