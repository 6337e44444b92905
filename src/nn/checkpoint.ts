// Checkpoints in the TensorFlow.js Layers format, so `tf.loadLayersModel` of
// @tensorflow/tfjs loads a formscore model as it is, plus what TF.js has no place
// for: the Adam state (to resume training), training metadata and per-layer
// trainable flags. Folder layout:
//   model.json     format "layers-model", modelTopology (the functional model config as
//                  tfjs-layers 4.22 serialises it), weightsManifest → weights.bin,
//                  and a "formscore" block (optimizer manifest, training, trainable)
//   weights.bin    float32 little-endian, WEIGHT_SPECS order
//   optimizer.bin  float32 little-endian: Adam m for every weight, then v (WEIGHT_SPECS order)
// The folder is written atomically: a crash leaves the old checkpoint or the new one.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { MODEL_JSON, OPTIMIZER_BIN, WEIGHTS_BIN } from '../workspace/layout.js';
import {
  ADAM, type BiLstmLayer, type Conv1dLayer, type DenseLayer, type DropoutLayer, INPUT_SHAPE, type LayerDef, type MaxPool1dLayer,
  NETWORK, type NamedWeights, TRAINABLE_LAYERS, type TrainableLayer, WEIGHT_SPECS, isTrainableLayer, sizeOf,
} from './architecture.js';
import type { AdamState } from './optimizer.js';

export interface CheckpointExtra {
  optimizer?: AdamState;
  training?: Record<string, unknown>;
  trainable?: Partial<Record<TrainableLayer, boolean>>;
}

export interface Checkpoint {
  weights: NamedWeights;
  optimizer?: AdamState;
  training?: Record<string, unknown>;
  /** Per-layer trainable flags (from the topology; true when a layer says nothing). */
  trainable: Record<TrainableLayer, boolean>;
}

export const MODEL_NAME = 'form_scorer';
/** Version of the "formscore" block in model.json. */
export const CHECKPOINT_FORMAT_VERSION = 1;

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

// --- topology ----------------------------------------------------------------
// Built by hand (no tfjs import at run time: loading it costs a second and a banner)
// by walking NETWORK, one Keras config per layer kind; test/nn-checkpoint.test.ts
// compares it with tfjs-layers' own model.toJSON(). Key order is part of model.json's
// bytes (the golden checkpoint test pins them).

const INPUT_LAYER = 'input';

const glorotUniform = () => ({
  class_name: 'VarianceScaling',
  config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null },
});
const zeros = () => ({ class_name: 'Zeros', config: {} });

const conv1dConfig = (layer: Conv1dLayer) => ({
  filters: layer.filters, kernel_initializer: glorotUniform(), kernel_regularizer: null, kernel_constraint: null,
  kernel_size: [layer.kernelSize], strides: [1], padding: 'same', dilation_rate: [1], activation: layer.activation, use_bias: true,
  bias_initializer: zeros(), bias_regularizer: null, activity_regularizer: null, bias_constraint: null,
});

const maxPool1dConfig = (layer: MaxPool1dLayer) => ({ pool_size: [layer.poolSize], padding: 'valid', strides: [layer.poolSize] });

const dropoutConfig = (layer: DropoutLayer) => ({ rate: layer.rate, noise_shape: null, seed: null });

const bidirectionalConfig = (layer: BiLstmLayer) => ({
  merge_mode: 'concat',
  layer: {
    class_name: 'LSTM',
    config: {
      // tfjs-layers keeps the wrapped layer's own flag (true) and freezes through the wrapper
      name: layer.cell, trainable: true, units: layer.units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
      kernel_initializer: glorotUniform(),
      recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
      bias_initializer: zeros(), unit_forget_bias: true, kernel_regularizer: null, recurrent_regularizer: null,
      bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null,
      bias_constraint: null, dropout: 0, recurrent_dropout: 0, implementation: null,
      return_sequences: layer.returnSequences, return_state: false, go_backwards: false, stateful: false, unroll: false,
    },
  },
});

const denseConfig = (layer: DenseLayer) => ({
  units: layer.units, activation: layer.activation, use_bias: true, kernel_initializer: glorotUniform(), bias_initializer: zeros(),
  kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
});

/** The Keras class and config of `layer`, without the name and trainable flag every config ends with. */
function kerasLayer(layer: LayerDef): { class_name: string; config: object } {
  switch (layer.kind) {
    case 'conv1d': return { class_name: 'Conv1D', config: conv1dConfig(layer) };
    case 'maxPool1d': return { class_name: 'MaxPooling1D', config: maxPool1dConfig(layer) };
    case 'dropout': return { class_name: 'Dropout', config: dropoutConfig(layer) };
    case 'bilstm': return { class_name: 'Bidirectional', config: bidirectionalConfig(layer) };
    case 'dense': return { class_name: 'Dense', config: denseConfig(layer) };
  }
}

/** The form scorer's functional-model config, as tfjs-layers 4.22 `model.toJSON(null, false)` returns it. */
export function formScorerTopology(trainable: Partial<Record<TrainableLayer, boolean>> = {}) {
  const input = {
    name: INPUT_LAYER, class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...INPUT_SHAPE], dtype: 'float32', sparse: false, name: INPUT_LAYER },
    inbound_nodes: [],
  };
  const layers = NETWORK.map(({ layer, index }) => {
    const { class_name, config } = kerasLayer(layer);
    const from = index === 0 ? INPUT_LAYER : NETWORK[index - 1].layer.name;
    // only layers with weights carry a flag; the others stay trainable, as in Keras
    const flag = trainable[layer.name as TrainableLayer] ?? true;
    return { name: layer.name, class_name, config: { ...config, name: layer.name, trainable: flag }, inbound_nodes: [[[from, 0, 0, {}]]] };
  });
  return {
    class_name: 'Model',
    config: {
      name: MODEL_NAME,
      layers: [input, ...layers],
      input_layers: [[INPUT_LAYER, 0, 0]],
      output_layers: [[NETWORK[NETWORK.length - 1].layer.name, 0, 0]],
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

// --- binary helpers ----------------------------------------------------------

/** Concatenates `arrays` as float32 little-endian (explicit, so big-endian hosts write the same bytes). */
function packFloat32(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let o = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++, o += 4) view.setFloat32(o, a[i], true);
  return bytes;
}

function unpackFloat32(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Index of the first NaN or ±Infinity in `a`, or -1. */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

// A diverged run's weights must never replace a good checkpoint, so non-finite values
// are refused here, before anything is written.
function checkWeights(what: string, weights: NamedWeights): void {
  for (const spec of WEIGHT_SPECS) {
    const w = weights.get(spec.name);
    if (!w) throw new Error(`saveCheckpoint: ${what} has no "${spec.name}"`);
    if (w.length !== sizeOf(spec.shape)) {
      throw new Error(`saveCheckpoint: ${what} "${spec.name}" has ${w.length} values, expected ${sizeOf(spec.shape)} (shape [${spec.shape}])`);
    }
    const bad = firstNonFinite(w);
    if (bad >= 0) throw new Error(`saveCheckpoint: ${what} "${spec.name}" holds ${w[bad]} at index ${bad}; nothing written, the previous checkpoint is kept`);
  }
}

const manifestOf = (prefix = ''): ManifestWeight[] =>
  WEIGHT_SPECS.map((s) => ({ name: prefix + s.name, shape: [...s.shape], dtype: 'float32' }));

// --- save ----------------------------------------------------------------------

/** Writes the checkpoint folder `dir` atomically (replacing any previous one only once complete). */
export function saveCheckpoint(dir: string, weights: NamedWeights, extra: CheckpointExtra = {}): void {
  checkWeights('weights', weights);
  const trainable = Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, extra.trainable?.[l] ?? true]));
  const files: Record<string, Uint8Array | string> = {
    [WEIGHTS_BIN]: packFloat32(WEIGHT_SPECS.map((s) => weights.get(s.name)!)),
  };
  const formscore: Record<string, unknown> = {
    version: CHECKPOINT_FORMAT_VERSION,
    formscoreVersion: VERSION,
    trainable,
    training: extra.training ?? {},
  };
  const opt = extra.optimizer;
  if (opt) {
    checkWeights('optimizer m', opt.m);
    checkWeights('optimizer v', opt.v);
    if (!Number.isInteger(opt.step) || opt.step < 0) throw new Error(`saveCheckpoint: optimizer step ${opt.step} is not a whole number >= 0`);
    if (!(opt.learningRate > 0)) throw new Error(`saveCheckpoint: optimizer learningRate ${opt.learningRate} is not positive`);
    files[OPTIMIZER_BIN] = packFloat32([
      ...WEIGHT_SPECS.map((s) => opt.m.get(s.name)!),
      ...WEIGHT_SPECS.map((s) => opt.v.get(s.name)!),
    ]);
    formscore.optimizer = {
      name: 'adam',
      step: opt.step,
      learningRate: opt.learningRate,
      beta1: ADAM.beta1,
      beta2: ADAM.beta2,
      epsilon: ADAM.epsilon,
      weightsManifest: [{ paths: [OPTIMIZER_BIN], weights: [...manifestOf('m/'), ...manifestOf('v/')] }],
    };
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `formscore ${VERSION}`,
    convertedBy: null,
    modelTopology: formScorerTopology(trainable),
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: manifestOf() }],
    formscore,
  };
  files[MODEL_JSON] = JSON.stringify(modelJson, null, 1) + '\n';
  writeDirAtomic(dir, files);
}

// --- load ----------------------------------------------------------------------

/**
 * Reads the tensors of a weights manifest (TF.js shards concatenated per group) and
 * returns those named in WEIGHT_SPECS (after stripping `prefix`), checking shapes.
 */
function readManifest(dir: string, groups: unknown, prefix: string, what: string): NamedWeights {
  if (!Array.isArray(groups)) throw new Error(`checkpoint ${join(dir, MODEL_JSON)}: ${what} is not a list`);
  const found: NamedWeights = new Map();
  for (const group of groups as ManifestGroup[]) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`checkpoint ${join(dir, MODEL_JSON)}: ${what} group without "paths" and "weights"`);
    }
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new Error(`checkpoint ${file}: file missing`);
      parts.push(readFileSync(file));
    }
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const expected = group.weights.reduce((n, w) => n + sizeOf(w.shape) * 4, 0);
    const fileNames = group.paths.map((p) => join(dir, p)).join(' + ');
    if (bytes.length !== expected) {
      throw new Error(`checkpoint ${fileNames}: ${bytes.length} bytes, the manifest needs ${expected}`);
    }
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`checkpoint ${fileNames}: "${w.name}" is ${w.dtype}, only float32 is supported`);
      const count = sizeOf(w.shape);
      if (w.name.startsWith(prefix)) found.set(w.name.slice(prefix.length), unpackFloat32(bytes, offset, count));
      offset += count * 4;
    }
  }
  const weights: NamedWeights = new Map();
  for (const spec of WEIGHT_SPECS) {
    const w = found.get(spec.name);
    if (!w) throw new Error(`checkpoint ${join(dir, MODEL_JSON)}: ${what} has no weight "${prefix}${spec.name}"`);
    if (w.length !== sizeOf(spec.shape)) {
      throw new Error(`checkpoint ${join(dir, MODEL_JSON)}: "${prefix}${spec.name}" has ${w.length} values, expected shape [${spec.shape}]`);
    }
    const bad = firstNonFinite(w);
    if (bad >= 0) throw new Error(`checkpoint ${dir}: "${prefix}${spec.name}" holds ${w[bad]} at index ${bad}; the model is not usable`);
    weights.set(spec.name, w);
  }
  return weights;
}

/** Trainable flags from the topology's layer configs (Bidirectional carries its own). */
function trainableFromTopology(topology: unknown): Record<TrainableLayer, boolean> {
  const flags = Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, true])) as Record<TrainableLayer, boolean>;
  const layers = (topology as { config?: { layers?: { name?: string; config?: { trainable?: unknown } }[] } })?.config?.layers;
  if (Array.isArray(layers)) {
    for (const layer of layers) {
      const name = layer?.name;
      if (typeof name === 'string' && isTrainableLayer(name) && layer.config?.trainable === false) flags[name] = false;
    }
  }
  return flags;
}

export interface LoadCheckpointOptions {
  /** Read Adam's state (to resume training); default true. Inference passes false, so a damaged optimizer.bin does not block it. */
  optimizer?: boolean;
}

/** Reads a checkpoint folder written by saveCheckpoint (or a TF.js `model.save` of the form scorer). */
export function loadCheckpoint(dir: string, opts: LoadCheckpointOptions = {}): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`checkpoint ${dir}: folder not found`);
  const jsonPath = join(dir, MODEL_JSON);
  if (!existsSync(jsonPath)) throw new Error(`checkpoint ${jsonPath}: file missing`);
  let model: Record<string, unknown>;
  try {
    model = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new Error(`checkpoint ${jsonPath}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!model || typeof model !== 'object' || model.format !== 'layers-model') {
    throw new Error(`checkpoint ${jsonPath}: format is ${JSON.stringify(model?.format)}, expected "layers-model"`);
  }
  const weights = readManifest(dir, model.weightsManifest, '', 'weightsManifest');
  const result: Checkpoint = { weights, trainable: trainableFromTopology(model.modelTopology) };
  const block = model.formscore as Record<string, unknown> | undefined;
  if (block && typeof block === 'object') {
    if (block.training && typeof block.training === 'object') result.training = block.training as Record<string, unknown>;
    const opt = block.optimizer as Record<string, unknown> | undefined;
    if (opt && opts.optimizer !== false) {
      const step = opt.step as number;
      const learningRate = opt.learningRate as number;
      if (!Number.isInteger(step) || step < 0 || !(learningRate > 0)) {
        throw new Error(`checkpoint ${jsonPath}: formscore.optimizer needs a whole "step" >= 0 and a positive "learningRate"`);
      }
      result.optimizer = {
        step,
        learningRate,
        m: readManifest(dir, opt.weightsManifest, 'm/', 'formscore.optimizer.weightsManifest'),
        v: readManifest(dir, opt.weightsManifest, 'v/', 'formscore.optimizer.weightsManifest'),
      };
    }
  }
  return result;
}
