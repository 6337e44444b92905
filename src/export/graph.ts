// Builds the form scorer's TFLite graph from NamedWeights (Keras layout, see
// src/nn/architecture.ts). Two forms of each BiLSTM, with the same weights:
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
// does: each constant a FLOAT16 tensor read through its own DEQUANTIZE.

import type { Coverage } from '../data/coverage.js';
import { FRAMES, N_FEATURES, N_SCORES } from '../data/exercises.js';
import {
  CONV_FILTERS, CONV1_KERNEL, CONV2_KERNEL, DENSE_UNITS, LSTM_UNITS, POOL_SIZE, POOLED_FRAMES, WEIGHT_SPECS, sizeOf,
} from '../nn/architecture.js';
import type { NamedWeights } from '../nn/architecture.js';
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

/** Tensors, buffers and operators of one subgraph, with the float16 constant handling. */
export class GraphBuilder {
  readonly tensors: TensorDef[] = [];
  readonly operators: OperatorDef[] = [];
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly codes: OperatorCodeDef[] = [];
  private readonly codeIndex = new Map<number, number>();

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

  /** A float32 weight as the graph sees it; in float16 mode a FLOAT16 constant plus DEQUANTIZE. */
  weight(name: string, values: Float32Array, shape: number[]): number {
    if (values.length !== sizeOf(shape)) throw new Error(`weight ${name}: ${values.length} values for shape [${shape}]`);
    if (this.dtype === 'float32') {
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

  private reset?: { input: number; inputWeights: number; recurrentWeights: number; zeroBias: number; closedGateBias: number };
  /** Constants of the LSTM state-reset step, shared by every direction. */
  resetConstants(): { input: number; inputWeights: number; recurrentWeights: number; zeroBias: number; closedGateBias: number } {
    this.reset ??= {
      input: this.weight('state_reset/input', new Float32Array(1), [1, 1, 1]),
      inputWeights: this.weight('state_reset/input_weights', new Float32Array(LSTM_UNITS), [LSTM_UNITS, 1]),
      recurrentWeights: this.weight('state_reset/recurrent_weights', new Float32Array(LSTM_UNITS * LSTM_UNITS), [LSTM_UNITS, LSTM_UNITS]),
      zeroBias: this.weight('state_reset/cell_bias', new Float32Array(LSTM_UNITS), [LSTM_UNITS]),
      closedGateBias: this.weight('state_reset/closed_gate_bias', new Float32Array(LSTM_UNITS).fill(-1e4), [LSTM_UNITS]),
    };
    return this.reset;
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

const H = LSTM_UNITS;
const G = 4 * LSTM_UNITS;

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

// Conv front: [1, 90, 18] → NHWC [1, 1, 90, 18] → conv1, conv2 (SAME, ReLU) → max pool 1×2 → [1, 1, 45, 64].
function convFront(g: GraphBuilder, weights: NamedWeights, input: number): number {
  let x = g.reshape(input, [1, 1, FRAMES, N_FEATURES], 'conv1/nhwc');
  const layers = [['conv1', CONV1_KERNEL, N_FEATURES], ['conv2', CONV2_KERNEL, CONV_FILTERS]] as const;
  for (const [name, k, cin] of layers) {
    const filter = g.weight(`${name}/filter`, convFilter(need(weights, `${name}/kernel`), k, cin, CONV_FILTERS), [CONV_FILTERS, 1, k, cin]);
    const bias = g.weight(`${name}/bias`, need(weights, `${name}/bias`), [CONV_FILTERS]);
    x = g.apply(BuiltinOperator.CONV_2D, [x, filter, bias], [1, 1, FRAMES, CONV_FILTERS], opt(BuiltinOptions.Conv2DOptions, {
      padding: Padding.SAME, stride_w: 1, stride_h: 1, fused_activation_function: ActivationFunctionType.RELU,
    }), `${name}/relu`);
  }
  return g.apply(BuiltinOperator.MAX_POOL_2D, [x], [1, 1, POOLED_FRAMES, CONV_FILTERS], opt(BuiltinOptions.Pool2DOptions, {
    padding: Padding.VALID, stride_w: POOL_SIZE, stride_h: 1, filter_width: POOL_SIZE, filter_height: 1, fused_activation_function: NO_ACTIVATION,
  }), 'pool');
}

// Dense head: [1, 128] → dense1 (ReLU) → scores → LOGISTIC → output.
function denseHead(g: GraphBuilder, weights: NamedWeights, x: number): number {
  const w1 = g.weight('dense1/weights', transpose(need(weights, 'dense1/kernel'), 2 * H, DENSE_UNITS), [DENSE_UNITS, 2 * H]);
  const b1 = g.weight('dense1/bias', need(weights, 'dense1/bias'), [DENSE_UNITS]);
  const d1 = g.fullyConnected(x, w1, b1, [1, DENSE_UNITS], ActivationFunctionType.RELU, 'dense1/relu');
  const w2 = g.weight('scores/weights', transpose(need(weights, 'scores/kernel'), DENSE_UNITS, N_SCORES), [N_SCORES, DENSE_UNITS]);
  const b2 = g.weight('scores/bias', need(weights, 'scores/bias'), [N_SCORES]);
  const logits = g.fullyConnected(d1, w2, b2, [1, N_SCORES], NO_ACTIVATION, 'scores/logits');
  return g.apply(BuiltinOperator.LOGISTIC, [logits], [1, N_SCORES], undefined, OUTPUT_NAME);
}

const lstmName = (layer: 'bilstm1' | 'bilstm2') => (layer === 'bilstm1' ? 'lstm1' : 'lstm2');

// One fused LSTM direction over x [1, T, D] → [1, T, H]; gate weights sliced from the Keras i, f, c, o blocks.
function fusedLstm(g: GraphBuilder, weights: NamedWeights, layer: 'bilstm1' | 'bilstm2', dir: 'forward' | 'backward', x: number, inputDim: number): number {
  const base = `${layer}/${dir}_${lstmName(layer)}`;
  const kernel = need(weights, `${base}/kernel`);
  const recurrent = need(weights, `${base}/recurrent_kernel`);
  const bias = need(weights, `${base}/bias`);
  const gates = ['input', 'forget', 'cell', 'output'];
  const inputW = gates.map((gate, k) => g.weight(`${base}/input_to_${gate}_weights`, columnsTransposed(kernel, inputDim, G, k * H, H), [H, inputDim]));
  const recurrentW = gates.map((gate, k) => g.weight(`${base}/recurrent_to_${gate}_weights`, columnsTransposed(recurrent, H, G, k * H, H), [H, H]));
  const biases = gates.map((gate, k) => g.weight(`${base}/${gate}_gate_bias`, bias.slice(k * H, (k + 1) * H), [H]));
  const outputState = g.tensor([1, H], `${base}/output_state`, TensorType.FLOAT32, true);
  const cellState = g.tensor([1, H], `${base}/cell_state`, TensorType.FLOAT32, true);
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
  const sequence = g.apply(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [1, POOLED_FRAMES, H], options, `${base}/sequence`);
  stateReset(g, outputState, cellState, options, base);
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
function stateReset(g: GraphBuilder, outputState: number, cellState: number, options: OptionsDef, base: string): void {
  const c = g.resetConstants();
  const inputs = new Array<number>(LSTM_INPUTS.length).fill(-1);
  inputs[0] = c.input;
  for (let k = 0; k < 4; k++) {
    inputs[1 + k] = c.inputWeights;
    inputs[5 + k] = c.recurrentWeights;
    inputs[12 + k] = k === 2 ? c.zeroBias : c.closedGateBias;
  }
  inputs[18] = outputState;
  inputs[19] = cellState;
  g.apply(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [1, 1, H], options, `${base}/state_reset`);
}

function fusedBiLstms(g: GraphBuilder, weights: NamedWeights, pooled: number): number {
  const T = POOLED_FRAMES;
  const x1 = g.reshape(pooled, [1, T, CONV_FILTERS], 'bilstm1/input');
  const reverse = (t: number, shape: number[], name = '') => g.apply(BuiltinOperator.REVERSE_V2, [t, g.int32Const([1])], shape, opt(BuiltinOptions.ReverseV2Options), name);
  const f1 = fusedLstm(g, weights, 'bilstm1', 'forward', x1, CONV_FILTERS);
  const b1r = fusedLstm(g, weights, 'bilstm1', 'backward', reverse(x1, [1, T, CONV_FILTERS]), CONV_FILTERS);
  const y1 = g.concat([f1, reverse(b1r, [1, T, H])], 2, [1, T, 2 * H], 'bilstm1/output');
  const f2 = fusedLstm(g, weights, 'bilstm2', 'forward', y1, 2 * H);
  const b2r = fusedLstm(g, weights, 'bilstm2', 'backward', reverse(y1, [1, T, 2 * H]), 2 * H);
  // The last step of each pass: forward after the whole sequence, backward after the whole reversed one.
  const begin = g.int32('bilstm2/last_step/begin', [0, T - 1, 0]);
  const end = g.int32('bilstm2/last_step/end', [1, T, H]);
  const strides = g.int32('bilstm2/last_step/strides', [1, 1, 1]);
  const last = (seq: number, name: string) => g.apply(BuiltinOperator.STRIDED_SLICE, [seq, begin, end, strides], [1, H], opt(BuiltinOptions.StridedSliceOptions, {
    begin_mask: 0, end_mask: 0, ellipsis_mask: 0, new_axis_mask: 0, shrink_axis_mask: 2,
  }), name);
  return g.concat([last(f2, 'bilstm2/forward_last'), last(b2r, 'bilstm2/backward_last')], 1, [1, 2 * H], 'bilstm2/output');
}

interface UnrolledLayer {
  /** h per step, forward direction, in time order: [1, H] each. */
  forward: number[];
  /** h per step of the backward pass, in processing order (step s = time T-1-s). */
  backward: number[];
  /** Final [2, H] state (rows forward, backward). */
  last: number;
}

// Both directions of one BiLSTM advance together: per step the state is [2, H]
// (row 0 forward at time s, row 1 backward at time T-1-s).
//   P_s   = [x_s W_f^T + b_f ; x_{T-1-s} W_b^T + b_b]          (projected for all s at once)
//   z     = P_s + [h_f U_f^T ; h_b U_b^T]
//   i, f, o = σ(z) blocks 0, 1, 3;  c̃ = tanh(z) block 2
//   c     = f ⊙ c + i ⊙ c̃;  h = o ⊙ tanh(c)
function unrolledBiLstm(
  g: GraphBuilder, weights: NamedWeights, layer: 'bilstm1' | 'bilstm2', x: number, xReversed: number, inputDim: number, needSequence: boolean,
): UnrolledLayer {
  const T = POOLED_FRAMES;
  const w = (dir: 'forward' | 'backward', part: string) => need(weights, `${layer}/${dir}_${lstmName(layer)}/${part}`);
  const proj = (['forward', 'backward'] as const).map((dir, k) => {
    const base = `${layer}/${dir}_${lstmName(layer)}`;
    const W = g.weight(`${base}/kernel_t`, transpose(w(dir, 'kernel'), inputDim, G), [G, inputDim]);
    const b = g.weight(`${base}/bias`, w(dir, 'bias'), [G]);
    return g.fullyConnected(k === 0 ? x : xReversed, W, b, [T, G], NO_ACTIVATION, `${base}/input_projection`);
  });
  const recurrent = (['forward', 'backward'] as const).map((dir) =>
    g.weight(`${layer}/${dir}_${lstmName(layer)}/recurrent_kernel_t`, transpose(w(dir, 'recurrent_kernel'), H, G), [G, H]));
  const zeroBias = g.zeroBias(G);
  // [T, 2G] → [2T, G]: rows 2s, 2s+1 are the step's (forward, backward) projections.
  const paired = g.reshape(g.concat(proj, 1, [T, 2 * G]), [2 * T, G], `${layer}/projection_pairs`);

  const forward: number[] = [];
  const backward: number[] = [];
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
    if (s < T - 1 || needSequence) {
      hRows = [g.slice(h, [0, 0], [1, H]), g.slice(h, [1, 0], [1, H])];
      forward.push(hRows[0]);
      backward.push(hRows[1]);
    }
  }
  return { forward, backward, last: h };
}

function unrolledBiLstms(g: GraphBuilder, weights: NamedWeights, pooled: number): number {
  const T = POOLED_FRAMES;
  const x = g.reshape(pooled, [T, CONV_FILTERS], 'bilstm1/input');
  const xReversed = g.apply(BuiltinOperator.REVERSE_V2, [x, g.int32Const([0])], [T, CONV_FILTERS], opt(BuiltinOptions.ReverseV2Options), 'bilstm1/input_reversed');
  const l1 = unrolledBiLstm(g, weights, 'bilstm1', x, xReversed, CONV_FILTERS, true);
  // bilstm1 output in time order, [h_f(t), h_b(t)], and in reverse time order for bilstm2's backward pass.
  const bwTime = l1.backward.slice().reverse();
  const y = g.concat([g.concat(l1.forward, 0, [T, H]), g.concat(bwTime, 0, [T, H])], 1, [T, 2 * H], 'bilstm1/output');
  const yReversed = g.concat([g.concat(l1.forward.slice().reverse(), 0, [T, H]), g.concat(l1.backward, 0, [T, H])], 1, [T, 2 * H], 'bilstm1/output_reversed');
  const l2 = unrolledBiLstm(g, weights, 'bilstm2', y, yReversed, 2 * H, false);
  return g.reshape(l2.last, [1, 2 * H], 'bilstm2/output'); // [2, H] rows (forward, backward) → concat
}

/** The complete TFLite model (as data) of the form scorer for `weights`. */
export function buildFormScorerModel(weights: NamedWeights, options: FormScorerGraphOptions = {}): ModelDef {
  const form = options.form ?? 'fused';
  const dtype = options.dtype ?? 'float16';
  const g = new GraphBuilder(dtype, form === 'unroll');
  const input = g.tensor([1, FRAMES, N_FEATURES], INPUT_NAME);
  const pooled = convFront(g, weights, input);
  const features = form === 'fused' ? fusedBiLstms(g, weights, pooled) : unrolledBiLstms(g, weights, pooled);
  const output = denseHead(g, weights, features);

  const what = [
    `formscore ${options.version ?? ''}`.trim(),
    'form scorer',
    options.exercise ? `exercise ${options.exercise}` : '',
    options.phase !== undefined ? `phase ${options.phase}` : '',
    `${form} LSTM`,
    `${dtype} weights`,
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
