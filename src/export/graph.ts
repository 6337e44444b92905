// Builds the form scorer's TFLite graph from NamedWeights (Keras layout) by walking
// NETWORK (src/nn/architecture.ts) with one emitter per layer kind. Two forms of each
// BiLSTM, with the same weights:
//
//   fused  — one UNIDIRECTIONAL_SEQUENCE_LSTM per direction, as TensorFlow's
//            converter writes a Keras LSTM (per-gate [out, in] weights, output and
//            cell state as variable tensors); the backward direction runs between
//            REVERSE_V2 ops on the time axis. Small and fast on the classic
//            interpreter. A one-step LSTM after each one zeroes the state tensors,
//            so no state leaks from one invocation (rep) into the next.
//   unroll — the recurrence written out per time step in plain builtins
//            (FULLY_CONNECTED, ADD, LOGISTIC, TANH, MUL, SLICE, CONCATENATION), no
//            variable tensors: what LiteRT's CompiledModel API (and any runtime
//            without variable-tensor support) needs. Both directions advance in one
//            [2, ·] batch per step, so each step costs one set of element-wise ops.
//
// float16 weights are laid out as TensorFlow's float16 post-training quantization
// does: each constant a FLOAT16 tensor read through its own DEQUANTIZE. The first
// layer's weights stay float32 even then (see emitNetwork).

import type { Coverage } from '../data/coverage.js';
import {
  type BiLstmLayer, type Conv1dLayer, type DenseLayer, type DropoutLayer, INPUT_SHAPE, type LayerDef, type LayerKind, type LstmDirection,
  type MaxPool1dLayer, NETWORK, type NamedWeights, type Placed, WEIGHT_SPECS, kernelAndBias, lstmDirections, sizeOf,
} from '../nn/architecture.js';
import { ActivationFunctionType, BuiltinOperator, BuiltinOptions, LSTM_INPUTS, Padding, SCHEMA_VERSION, TensorType } from './tflite/schema.js';
import type { ModelDef, OperatorCodeDef, OperatorDef, OptionsDef, TensorDef } from './tflite/model.js';
import { toFloat16Bytes } from './tflite/float16.js';

export type LstmForm = 'fused' | 'unroll';
export type WeightDtype = 'float16' | 'float32';

export const INPUT_NAME = 'angle_sequence';
export const OUTPUT_NAME = 'scores';
export const SIGNATURE_KEY = 'serving_default';

/**
 * The version of each operator we write: the lowest that accepts what we use
 * (float32 tensors, default options), per TFLite's op_version.cc; DEQUANTIZE of a
 * float16 input needs 3. With the first runtime release that runs that version
 * (runtime_version.cc), which becomes the file's min_runtime_version.
 */
export const OPERATOR_VERSIONS: Partial<Record<BuiltinOperator, { version: number; runtime: string }>> = {
  [BuiltinOperator.ADD]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.CONCATENATION]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.CONV_2D]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.DEQUANTIZE]: { version: 3, runtime: '1.15.0' },
  [BuiltinOperator.FULLY_CONNECTED]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.LOGISTIC]: { version: 1, runtime: '1.14.0' },
  [BuiltinOperator.MAX_POOL_2D]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.MUL]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.RESHAPE]: { version: 1, runtime: '1.5.0' },
  [BuiltinOperator.REVERSE_V2]: { version: 1, runtime: '1.14.0' },
  [BuiltinOperator.SLICE]: { version: 1, runtime: '1.14.0' },
  [BuiltinOperator.STRIDED_SLICE]: { version: 1, runtime: '1.6.0' },
  [BuiltinOperator.TANH]: { version: 1, runtime: '1.14.0' },
  [BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM]: { version: 1, runtime: '1.13.1' },
};

const compareVersions = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
};

const opt = (type: BuiltinOptions, values: OptionsDef['values'] = {}): OptionsDef => ({ type, values });
const NO_ACTIVATION = ActivationFunctionType.NONE;

interface StateResetConstants { input: number; inputWeights: number; recurrentWeights: number; zeroBias: number; closedGateBias: number }

/** Tensors, buffers and operators of one subgraph, with the float16 constant handling. */
export class GraphBuilder {
  readonly tensors: TensorDef[] = [];
  readonly operators: OperatorDef[] = [];
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly codes: OperatorCodeDef[] = [];
  private readonly codeIndex = new Map<number, number>();

  /** While set, weights stay float32 in a float16 graph (emitNetwork sets it for the first layer). */
  float32Weights = false;

  constructor(readonly dtype: WeightDtype, readonly compact = false) {}

  /** A tensor without data: an input, an activation or a state. Unnamed ones share one table in the file. */
  tensor(shape: number[], name = '', type = TensorType.FLOAT32, isVariable = false): number {
    const t: TensorDef = { name, shape, type, buffer: 0 };
    if (isVariable) t.isVariable = true;
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  private constant(name: string, shape: number[], type: TensorType, bytes: Uint8Array): number {
    this.buffers.push(bytes);
    this.tensors.push({ name, shape, type, buffer: this.buffers.length - 1 });
    return this.tensors.length - 1;
  }

  int32(name: string, values: number[], shape = [values.length]): number {
    return this.constant(name, shape, TensorType.INT32, new Uint8Array(Int32Array.from(values).buffer));
  }

  /** A float32 weight as the graph sees it; in float16 mode a FLOAT16 constant plus DEQUANTIZE, unless float32Weights is set. */
  weight(name: string, values: Float32Array, shape: number[]): number {
    if (values.length !== sizeOf(shape)) throw new Error(`weight ${name}: ${values.length} values for shape [${shape}]`);
    if (this.dtype === 'float32' || this.float32Weights) {
      return this.constant(name, shape, TensorType.FLOAT32, new Uint8Array(values.slice().buffer));
    }
    const half = this.constant(`${name}/float16`, shape, TensorType.FLOAT16, toFloat16Bytes(values));
    const out = this.tensor(shape, name);
    this.op(BuiltinOperator.DEQUANTIZE, [half], [out]);
    return out;
  }

  op(code: BuiltinOperator, inputs: number[], outputs: number[], options?: OptionsDef, extra: Partial<OperatorDef> = {}): void {
    let index = this.codeIndex.get(code);
    if (index === undefined) {
      const v = OPERATOR_VERSIONS[code];
      if (!v) throw new Error(`GraphBuilder: no version known for operator ${BuiltinOperator[code] ?? code}`);
      this.codes.push({ builtinCode: code, version: v.version });
      index = this.codes.length - 1;
      this.codeIndex.set(code, index);
    }
    const def: OperatorDef = { opcodeIndex: index, inputs, outputs, ...extra };
    if (options) def.options = options;
    this.operators.push(def);
  }

  /** Adds an operator with one fresh unnamed output of `shape`; returns it. */
  apply(code: BuiltinOperator, inputs: number[], shape: number[], options?: OptionsDef, name = ''): number {
    const out = this.tensor(shape, name);
    this.op(code, inputs, [out], options);
    return out;
  }

  private readonly int32Cache = new Map<string, number>();
  /** An int32 vector constant (slice bounds, REVERSE_V2's rank-1 axis), one per value. */
  int32Const(values: number[]): number {
    const key = values.join(',');
    let t = this.int32Cache.get(key);
    if (t === undefined) {
      t = this.int32(`const/${key}`, values);
      this.int32Cache.set(key, t);
    }
    return t;
  }

  /** SLICE of `size` at `begin` (SLICE rather than SPLIT: the XNNPACK inside tfjs-tflite fails on two SPLITs in one partition). */
  slice(input: number, begin: number[], size: number[]): number {
    return this.apply(BuiltinOperator.SLICE, [input, this.int32Const(begin), this.int32Const(size)], size, this.compact ? undefined : opt(BuiltinOptions.SliceOptions));
  }

  concat(inputs: number[], axis: number, shape: number[], name = ''): number {
    return this.apply(BuiltinOperator.CONCATENATION, inputs, shape, opt(BuiltinOptions.ConcatenationOptions, { axis, fused_activation_function: NO_ACTIVATION }), name);
  }

  reshape(input: number, shape: number[], name = ''): number {
    return this.apply(BuiltinOperator.RESHAPE, [input, this.int32(`shape/${shape.join('x')}`, shape)], shape, opt(BuiltinOptions.ReshapeOptions, { new_shape: shape }), name);
  }

  fullyConnected(input: number, weights: number, bias: number, shape: number[], activation = NO_ACTIVATION, name = ''): number {
    const options = this.compact && activation === NO_ACTIVATION ? undefined : opt(BuiltinOptions.FullyConnectedOptions, { fused_activation_function: activation });
    return this.apply(BuiltinOperator.FULLY_CONNECTED, [input, weights, bias], shape, options, name);
  }

  // In compact mode (the unrolled graph) options whose fields all hold the schema
  // defaults are left out; every interpreter then uses those defaults. It saves a
  // few bytes on each of the thousands of per-step operators.
  add(a: number, b: number, shape: number[]): number {
    return this.apply(BuiltinOperator.ADD, [a, b], shape, this.compact ? undefined : opt(BuiltinOptions.AddOptions, { fused_activation_function: NO_ACTIVATION }));
  }

  mul(a: number, b: number, shape: number[]): number {
    return this.apply(BuiltinOperator.MUL, [a, b], shape, this.compact ? undefined : opt(BuiltinOptions.MulOptions, { fused_activation_function: NO_ACTIVATION }));
  }

  private readonly zeroBiases = new Map<number, number>();
  /** A zero bias of `n` values for FULLY_CONNECTED ops that have none; float32 even in
   *  float16 mode (zeros need no rounding and no DEQUANTIZE), one per size. */
  zeroBias(n: number): number {
    let t = this.zeroBiases.get(n);
    if (t === undefined) {
      t = this.constant(`zero_bias/${n}`, [n], TensorType.FLOAT32, new Uint8Array(4 * n));
      this.zeroBiases.set(n, t);
    }
    return t;
  }

  private readonly resets = new Map<number, StateResetConstants>();
  /** Constants of the LSTM state-reset step, shared by every direction of `units` units. */
  resetConstants(units: number): StateResetConstants {
    let c = this.resets.get(units);
    if (c === undefined) {
      c = {
        input: this.weight('state_reset/input', new Float32Array(1), [1, 1, 1]),
        inputWeights: this.weight('state_reset/input_weights', new Float32Array(units), [units, 1]),
        recurrentWeights: this.weight('state_reset/recurrent_weights', new Float32Array(units * units), [units, units]),
        zeroBias: this.weight('state_reset/cell_bias', new Float32Array(units), [units]),
        closedGateBias: this.weight('state_reset/closed_gate_bias', new Float32Array(units).fill(-1e4), [units]),
      };
      this.resets.set(units, c);
    }
    return c;
  }

  operatorCodes(): OperatorCodeDef[] {
    return this.codes.slice();
  }

  /** The oldest runtime release that runs every operator version used. */
  minRuntimeVersion(): string {
    return this.codes.map((c) => OPERATOR_VERSIONS[c.builtinCode as BuiltinOperator]!.runtime).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '1.5.0');
  }
}

export interface FormScorerGraphOptions {
  form?: LstmForm;
  dtype?: WeightDtype;
  exercise?: string;
  phase?: number;
  /** formscore version written into the description. */
  version?: string;
  /** The training data's input coverage (data/coverage.ts), carried in the "formscore" metadata for `score`'s domain-gap check. */
  coverage?: Coverage;
}

function need(weights: NamedWeights, name: string): Float32Array {
  const w = weights.get(name);
  const spec = WEIGHT_SPECS.find((s) => s.name === name);
  if (!w) throw new Error(`weights: missing '${name}'`);
  if (spec && w.length !== sizeOf(spec.shape)) throw new Error(`weights: '${name}' has ${w.length} values, expected [${spec.shape}]`);
  return w;
}

/** [rows, cols] row-major → [cols, rows]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

/** Columns [from, from+n) of a [rows, cols] matrix, transposed: [n, rows]. */
function columnsTransposed(w: Float32Array, rows: number, cols: number, from: number, n: number): Float32Array {
  const out = new Float32Array(n * rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) out[c * rows + r] = w[r * cols + from + c];
  return out;
}

/** Keras Conv1D kernel [k, in, out] → TFLite CONV_2D filter [out, 1, k, in] (OHWI). */
function convFilter(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(cout * k * cin);
  for (let j = 0; j < k; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) out[(o * k + j) * cin + c] = w[(j * cin + c) * cout + o];
  return out;
}

// --- layer emitters ------------------------------------------------------------
// One per layer kind: each takes its layer in place and the previous layer's output
// in whatever view ([1, 1, T, C] NHWC, [1, T, C], [T, C] or [1, N]), reshapes it to
// the view its operators want if it is not already in it, and returns its output.

type Emitter<L extends LayerDef> = (g: GraphBuilder, weights: NamedWeights, at: Placed<L>, x: number) => number;
type Emitters = { [K in LayerKind]: Emitter<Extract<LayerDef, { kind: K }>> };

/** `x` viewed as `shape` (same values, row-major): a RESHAPE named `name`, unless `x` has that shape. */
function viewAs(g: GraphBuilder, x: number, shape: number[], name: string): number {
  const current = g.tensors[x].shape;
  return current.length === shape.length && current.every((n, i) => n === shape[i]) ? x : g.reshape(x, shape, name);
}

/** A sequence [T, C] as an NHWC image [1, 1, T, C] (time along the width), for CONV_2D and MAX_POOL_2D. */
const nhwc = (g: GraphBuilder, x: number, { layer, input }: Placed): number => viewAs(g, x, [1, 1, ...input], `${layer.name}/nhwc`);

// [T, C] → CONV_2D (SAME, stride 1, ReLU fused) → [1, 1, T, F]
const conv1d: Emitter<Conv1dLayer> = (g, weights, at, x) => {
  const { layer, input: [, channels], output } = at;
  const image = nhwc(g, x, at);
  const { kernel, bias } = kernelAndBias(layer);
  const filter = g.weight(`${layer.name}/filter`, convFilter(need(weights, kernel), layer.kernelSize, channels, layer.filters), [layer.filters, 1, layer.kernelSize, channels]);
  const b = g.weight(`${layer.name}/bias`, need(weights, bias), [layer.filters]);
  return g.apply(BuiltinOperator.CONV_2D, [image, filter, b], [1, 1, ...output], opt(BuiltinOptions.Conv2DOptions, {
    padding: Padding.SAME, stride_w: 1, stride_h: 1, fused_activation_function: ActivationFunctionType.RELU,
  }), `${layer.name}/relu`);
};

// [T, C] → MAX_POOL_2D (1 × p, stride p, VALID) → [1, 1, T / p, C]
const maxPool1d: Emitter<MaxPool1dLayer> = (g, _weights, at, x) => {
  const { layer: { name, poolSize }, output } = at;
  return g.apply(BuiltinOperator.MAX_POOL_2D, [nhwc(g, x, at)], [1, 1, ...output], opt(BuiltinOptions.Pool2DOptions, {
    padding: Padding.VALID, stride_w: poolSize, stride_h: 1, filter_width: poolSize, filter_height: 1, fused_activation_function: NO_ACTIVATION,
  }), name);
};

// Inference: dropout passes its input through.
const dropout: Emitter<DropoutLayer> = (_g, _weights, _at, x) => x;

// [N] → FULLY_CONNECTED → [1, U]; ReLU fused, sigmoid (which TFLite does not fuse) as its own LOGISTIC.
const dense: Emitter<DenseLayer> = (g, weights, { layer, input: [inputDim] }, x) => {
  const vector = viewAs(g, x, [1, inputDim], `${layer.name}/input`);
  const { kernel, bias } = kernelAndBias(layer);
  const w = g.weight(`${layer.name}/weights`, transpose(need(weights, kernel), inputDim, layer.units), [layer.units, inputDim]);
  const b = g.weight(`${layer.name}/bias`, need(weights, bias), [layer.units]);
  if (layer.activation === 'relu') return g.fullyConnected(vector, w, b, [1, layer.units], ActivationFunctionType.RELU, `${layer.name}/relu`);
  const logits = g.fullyConnected(vector, w, b, [1, layer.units], NO_ACTIVATION, `${layer.name}/logits`);
  return g.apply(BuiltinOperator.LOGISTIC, [logits], [1, layer.units], undefined, `${layer.name}/sigmoid`);
};

/** REVERSE_V2 of `x` ([1, T, C] or [T, C]) along time. */
function reverseTime(g: GraphBuilder, x: number, name = ''): number {
  const shape = g.tensors[x].shape;
  return g.apply(BuiltinOperator.REVERSE_V2, [x, g.int32Const([shape.length - 2])], shape, opt(BuiltinOptions.ReverseV2Options), name);
}

// One fused LSTM direction over x [1, T, D] → [1, T, H]; gate weights sliced from the Keras i, f, c, o blocks.
function fusedLstm(g: GraphBuilder, weights: NamedWeights, d: LstmDirection, x: number, frames: number): number {
  const H = d.units;
  const kernel = need(weights, d.kernel);
  const recurrent = need(weights, d.recurrent);
  const bias = need(weights, d.bias);
  const gates = ['input', 'forget', 'cell', 'output'];
  const inputW = gates.map((gate, k) => g.weight(`${d.prefix}/input_to_${gate}_weights`, columnsTransposed(kernel, d.inputDim, 4 * H, k * H, H), [H, d.inputDim]));
  const recurrentW = gates.map((gate, k) => g.weight(`${d.prefix}/recurrent_to_${gate}_weights`, columnsTransposed(recurrent, H, 4 * H, k * H, H), [H, H]));
  const biases = gates.map((gate, k) => g.weight(`${d.prefix}/${gate}_gate_bias`, bias.slice(k * H, (k + 1) * H), [H]));
  const outputState = g.tensor([1, H], `${d.prefix}/output_state`, TensorType.FLOAT32, true);
  const cellState = g.tensor([1, H], `${d.prefix}/cell_state`, TensorType.FLOAT32, true);
  const inputs = new Array<number>(LSTM_INPUTS.length).fill(-1);
  inputs[0] = x;
  inputW.forEach((t, k) => (inputs[1 + k] = t));
  recurrentW.forEach((t, k) => (inputs[5 + k] = t));
  biases.forEach((t, k) => (inputs[12 + k] = t));
  inputs[18] = outputState;
  inputs[19] = cellState;
  // cell_clip 0 (no clipping): the Keras layer does not clip, so neither do we.
  const options = opt(BuiltinOptions.UnidirectionalSequenceLSTMOptions, {
    fused_activation_function: ActivationFunctionType.TANH, cell_clip: 0, proj_clip: 0, time_major: false,
  });
  const sequence = g.apply(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [1, frames, H], options, `${d.prefix}/sequence`);
  stateReset(g, H, outputState, cellState, options, d.prefix);
  return sequence;
}

/**
 * The interpreter keeps an LSTM's final state in its variable tensors and starts
 * the next invocation from it (TensorFlow's own conversion behaves the same), so a
 * second rep would be scored from the first rep's state. The app's interpreter
 * (tflite_flutter) cannot reset variable tensors. So after each LSTM a one-step LSTM
 * on the same state tensors writes exact zeros back: zero weights and gate biases
 * of -1e4 make i = f = o = σ(-1e4) = 0 in float32, hence c = 0 and h = 0.
 */
function stateReset(g: GraphBuilder, units: number, outputState: number, cellState: number, options: OptionsDef, prefix: string): void {
  const c = g.resetConstants(units);
  const inputs = new Array<number>(LSTM_INPUTS.length).fill(-1);
  inputs[0] = c.input;
  for (let k = 0; k < 4; k++) {
    inputs[1 + k] = c.inputWeights;
    inputs[5 + k] = c.recurrentWeights;
    inputs[12 + k] = k === 2 ? c.zeroBias : c.closedGateBias;
  }
  inputs[18] = outputState;
  inputs[19] = cellState;
  g.apply(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [1, 1, units], options, `${prefix}/state_reset`);
}

// [T, C] → [1, T, C] → forward LSTM, and backward LSTM between two REVERSE_V2 →
// concat [1, T, 2H] (returnSequences) or the last step of each pass [1, 2H].
const fusedBiLstm: Emitter<BiLstmLayer> = (g, weights, at, x) => {
  const { layer, input: [frames] } = at;
  const H = layer.units;
  const sequence = viewAs(g, x, [1, ...at.input], `${layer.name}/input`);
  const [forward, backward] = lstmDirections(at);
  const f = fusedLstm(g, weights, forward, sequence, frames);
  const bReversed = fusedLstm(g, weights, backward, reverseTime(g, sequence), frames);
  if (layer.returnSequences) return g.concat([f, reverseTime(g, bReversed)], 2, [1, frames, 2 * H], `${layer.name}/output`);
  // The last step of each pass: forward after the whole sequence, backward after the whole reversed one.
  const begin = g.int32(`${layer.name}/last_step/begin`, [0, frames - 1, 0]);
  const end = g.int32(`${layer.name}/last_step/end`, [1, frames, H]);
  const strides = g.int32(`${layer.name}/last_step/strides`, [1, 1, 1]);
  const last = (seq: number, name: string) => g.apply(BuiltinOperator.STRIDED_SLICE, [seq, begin, end, strides], [1, H], opt(BuiltinOptions.StridedSliceOptions, {
    begin_mask: 0, end_mask: 0, ellipsis_mask: 0, new_axis_mask: 0, shrink_axis_mask: 2,
  }), name);
  return g.concat([last(f, `${layer.name}/forward_last`), last(bReversed, `${layer.name}/backward_last`)], 1, [1, 2 * H], `${layer.name}/output`);
};

// Both directions advance together: per step the state is [2, H] (row 0 forward at
// time s, row 1 backward at time T-1-s).
//   P_s   = [x_s W_f^T + b_f ; x_{T-1-s} W_b^T + b_b]          (projected for all s at once)
//   z     = P_s + [h_f U_f^T ; h_b U_b^T]
//   i, f, o = σ(z) blocks 0, 1, 3;  c̃ = tanh(z) block 2
//   c     = f ⊙ c + i ⊙ c̃;  h = o ⊙ tanh(c)
// [T, C] → [T, 2H] (returnSequences, rows [h_f(t), h_b(t)] in time order) or [1, 2H] (last steps).
const unrolledBiLstm: Emitter<BiLstmLayer> = (g, weights, at, x) => {
  const { layer, input: [T] } = at;
  const H = layer.units;
  const G = 4 * H;
  const rows = viewAs(g, x, [...at.input], `${layer.name}/input`);
  const directionInput = [rows, reverseTime(g, rows, `${layer.name}/input_reversed`)]; // forward reads time order, backward reversed
  const directions = lstmDirections(at);
  const proj = directions.map((d, k) => {
    const W = g.weight(`${d.prefix}/kernel_t`, transpose(need(weights, d.kernel), d.inputDim, G), [G, d.inputDim]);
    const b = g.weight(`${d.prefix}/bias`, need(weights, d.bias), [G]);
    return g.fullyConnected(directionInput[k], W, b, [T, G], NO_ACTIVATION, `${d.prefix}/input_projection`);
  });
  const recurrent = directions.map((d) => g.weight(`${d.prefix}/recurrent_kernel_t`, transpose(need(weights, d.recurrent), H, G), [G, H]));
  const zeroBias = g.zeroBias(G);
  // [T, 2G] → [2T, G]: rows 2s, 2s+1 are the step's (forward, backward) projections.
  const paired = g.reshape(g.concat(proj, 1, [T, 2 * G]), [2 * T, G], `${layer.name}/projection_pairs`);

  const forward: number[] = []; // h per step in time order, [1, H] each
  const backward: number[] = []; // h per step of the backward pass, step s = time T-1-s
  let h = -1;
  let c = -1;
  let hRows: number[] = [];
  for (let s = 0; s < T; s++) {
    let z = g.slice(paired, [2 * s, 0], [2, G]);
    if (s > 0) {
      const rf = g.fullyConnected(hRows[0], recurrent[0], zeroBias, [1, G]);
      const rb = g.fullyConnected(hRows[1], recurrent[1], zeroBias, [1, G]);
      z = g.add(g.concat([rf, rb], 0, [2, G]), z, [2, G]);
    }
    const sig = g.apply(BuiltinOperator.LOGISTIC, [z], [2, G]);
    const tanh = g.apply(BuiltinOperator.TANH, [z], [2, G]);
    const gate = (t: number, k: number) => g.slice(t, [0, k * H], [2, H]);
    const ig = g.mul(gate(sig, 0), gate(tanh, 2), [2, H]);
    c = s === 0 ? ig : g.add(g.mul(gate(sig, 1), c, [2, H]), ig, [2, H]);
    h = g.mul(gate(sig, 3), g.apply(BuiltinOperator.TANH, [c], [2, H]), [2, H]);
    if (s < T - 1 || layer.returnSequences) {
      hRows = [g.slice(h, [0, 0], [1, H]), g.slice(h, [1, 0], [1, H])];
      forward.push(hRows[0]);
      backward.push(hRows[1]);
    }
  }
  if (!layer.returnSequences) return g.reshape(h, [1, 2 * H], `${layer.name}/output`); // [2, H] rows (forward, backward) → concat
  const backwardInTime = backward.reverse();
  return g.concat([g.concat(forward, 0, [T, H]), g.concat(backwardInTime, 0, [T, H])], 1, [T, 2 * H], `${layer.name}/output`);
};

const FUSED: Emitters = { conv1d, maxPool1d, dropout, bilstm: fusedBiLstm, dense };
const UNROLLED: Emitters = { ...FUSED, bilstm: unrolledBiLstm };

/**
 * Walks NETWORK from the input tensor [1, T, C]; returns the last layer's output.
 *
 * The first layer's weights stay float32 in a float16 file (11.6 KB more): that layer
 * reads the raw features, and its float16 rounding alone moved the worst test-split
 * output of 80-epoch realistic models by up to 5.9e-3 (plank). Measured over each
 * exercise's whole test split (1,200 reps, plank 2,400) against float32: all weights
 * float16 1.6e-3 to 7.7e-3 at the worst output; all but the first layer's 3.0e-4 to 8.7e-4.
 */
function emitNetwork(g: GraphBuilder, weights: NamedWeights, emitters: Emitters, input: number): number {
  return NETWORK.reduce((x, at) => {
    const emit = emitters[at.layer.kind] as Emitter<LayerDef>; // Emitters pairs each kind with its own emitter
    g.float32Weights = at.index === 0;
    return emit(g, weights, at, x);
  }, input);
}

/** The complete TFLite model (as data) of the form scorer for `weights`. */
export function buildFormScorerModel(weights: NamedWeights, options: FormScorerGraphOptions = {}): ModelDef {
  const form = options.form ?? 'fused';
  const dtype = options.dtype ?? 'float16';
  const g = new GraphBuilder(dtype, form === 'unroll');
  const input = g.tensor([1, ...INPUT_SHAPE], INPUT_NAME);
  const output = emitNetwork(g, weights, form === 'fused' ? FUSED : UNROLLED, input);
  g.tensors[output].name = OUTPUT_NAME; // the signature's output keeps its name whatever the last layer

  const what = [
    `formscore ${options.version ?? ''}`.trim(),
    'form scorer',
    options.exercise ? `exercise ${options.exercise}` : '',
    options.phase !== undefined ? `phase ${options.phase}` : '',
    `${form} LSTM`,
    dtype === 'float16' ? 'float16 weights (first layer float32)' : 'float32 weights',
  ].filter(Boolean);
  const info = JSON.stringify({ formscore: options.version ?? null, exercise: options.exercise ?? null, phase: options.phase ?? null, form, dtype, input: INPUT_NAME, output: OUTPUT_NAME, coverage: options.coverage ?? null });
  const text = (s: string, pad = 0) => {
    const bytes = new TextEncoder().encode(s);
    const out = new Uint8Array(Math.max(bytes.length, pad));
    out.set(bytes);
    return out;
  };
  const buffers = g.buffers.slice();
  buffers.push(text(g.minRuntimeVersion(), 16)); // TF pads this string to 16 bytes with NULs
  const runtimeBuffer = buffers.length - 1;
  buffers.push(text(info));
  const infoBuffer = buffers.length - 1;

  return {
    version: SCHEMA_VERSION,
    description: what.join(', '),
    operatorCodes: g.operatorCodes(),
    subgraphs: [{ name: 'main', tensors: g.tensors, inputs: [input], outputs: [output], operators: g.operators }],
    buffers,
    metadata: [{ name: 'min_runtime_version', buffer: runtimeBuffer }, { name: 'formscore', buffer: infoBuffer }],
    signatureDefs: [{ signatureKey: SIGNATURE_KEY, inputs: [{ name: INPUT_NAME, tensorIndex: input }], outputs: [{ name: OUTPUT_NAME, tensorIndex: output }], subgraphIndex: 0 }],
  };
}
