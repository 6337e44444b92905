// Checkpoints against the real @tensorflow/tfjs: the topology is the one tfjs-layers
// serialises, tf.loadLayersModel reads our folder and predicts what the reference
// predicts, tf.variableGrads gives the reference gradients; plus round trips and errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tempDir } from './helpers/fixtures.js';
import { Random } from '../src/util/random.js';
import { FRAMES, N_FEATURES, N_SCORES } from '../src/data/exercises.js';
import { type NamedWeights, TRAINABLE_LAYERS, WEIGHT_SPECS, sizeOf } from '../src/nn/architecture.js';
import { initWeights } from '../src/nn/init.js';
import { formScorerTopology, loadCheckpoint, saveCheckpoint } from '../src/nn/checkpoint.js';
import type { AdamState } from '../src/nn/optimizer.js';
import { convert, networkLossAndGrads, referenceForward } from '../src/nn/reference/index.js';
import { FormScorer } from '../src/nn/model.js';

/**
 * The form scorer built with tfjs-layers, Keras initialisers named explicitly.
 * tfjs's Orthogonal initialiser takes seconds per matrix on the CPU backend; the
 * values do not matter here (checkpoints overwrite them), only the serialised
 * config does, so it draws zeros while the model is built.
 */
function buildTfModel(): tf.LayersModel {
  const proto = Object.getPrototypeOf(tf.initializers.orthogonal({ gain: 1 })) as { apply: unknown };
  const apply = proto.apply;
  proto.apply = (shape: number[]) => tf.zeros(shape);
  try {
    return buildTfModelSlow();
  } finally {
    proto.apply = apply;
  }
}

function buildTfModelSlow(): tf.LayersModel {
  const k = { kernelInitializer: 'glorotUniform' } as const;
  const inp = tf.input({ shape: [FRAMES, N_FEATURES], name: 'input' });
  let h = tf.layers.conv1d({ filters: 64, kernelSize: 5, activation: 'relu', padding: 'same', name: 'conv1', ...k }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.conv1d({ filters: 64, kernelSize: 3, activation: 'relu', padding: 'same', name: 'conv2', ...k }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling1d({ poolSize: 2, name: 'pool' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3, name: 'drop1' }).apply(h) as tf.SymbolicTensor;
  const lstm = (name: string, returnSequences: boolean) =>
    tf.layers.lstm({ units: 64, returnSequences, recurrentActivation: 'sigmoid', unitForgetBias: true, name, ...k });
  h = tf.layers.bidirectional({ layer: lstm('lstm1', true) as never, mergeMode: 'concat', name: 'bilstm1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.bidirectional({ layer: lstm('lstm2', false) as never, mergeMode: 'concat', name: 'bilstm2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 128, activation: 'relu', name: 'dense1', ...k }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3, name: 'drop2' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 6, activation: 'sigmoid', name: 'scores', ...k }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out, name: 'form_scorer' });
}

/** tf.io.http with a fetch that serves files from `dir`: TF.js itself parses model.json and resolves the manifest paths. */
function fileHandler(dir: string): tf.io.IOHandler {
  return tf.io.http('http://checkpoint.local/model.json', {
    fetchFunc: (async (url: string) => {
      const file = join(dir, new URL(url).pathname.slice(1));
      return new Response(readFileSync(file), { status: 200 });
    }) as typeof fetch,
  });
}

/** Initial weights with random biases, so that no bias is trivially zero. */
function testWeights(seed: number): NamedWeights {
  const w = initWeights(seed);
  const rng = new Random(seed + 1000);
  for (const [name, a] of w) if (name.endsWith('bias')) for (let i = 0; i < a.length; i++) a[i] += rng.normal(0, 0.1);
  return w;
}

function randomInput(rng: Random, n: number): Float32Array {
  const x = new Float32Array(n * FRAMES * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

function randomAdam(seed: number): AdamState {
  const rng = new Random(seed);
  const m: NamedWeights = new Map();
  const v: NamedWeights = new Map();
  for (const s of WEIGHT_SPECS) {
    const n = sizeOf(s.shape);
    m.set(s.name, Float32Array.from({ length: n }, () => rng.normal(0, 0.01)));
    v.set(s.name, Float32Array.from({ length: n }, () => rng.next() * 1e-4));
  }
  return { step: 1234, learningRate: 5e-4, m, v };
}

test('topology equals tfjs-layers 4.22 model.toJSON() of the form scorer, trainable flags included', () => {
  const model = buildTfModel();
  assert.deepEqual(formScorerTopology(), model.toJSON(null, false));
  model.getLayer('conv1').trainable = false;
  model.getLayer('bilstm2').trainable = false;
  assert.deepEqual(formScorerTopology({ conv1: false, bilstm2: false }), model.toJSON(null, false));
  assert.deepEqual(model.weights.map((w) => w.originalName).sort(), WEIGHT_SPECS.map((s) => s.name).sort());
  model.dispose();
});

test('tf.loadLayersModel reads a saved checkpoint and predicts within 1e-5 of referenceForward', async () => {
  const dir = join(tempDir(), 'ckpt');
  const weights = testWeights(1);
  saveCheckpoint(dir, weights, { trainable: { conv1: false } });
  const model = await tf.loadLayersModel(fileHandler(dir));
  assert.equal(model.countParams(), 200326);
  assert.equal(model.getLayer('conv1').trainable, false);
  const n = 3;
  const x = randomInput(new Random(2), n);
  const got = (model.predict(tf.tensor3d(x, [n, FRAMES, N_FEATURES])) as tf.Tensor).dataSync();
  const want = referenceForward(weights, x, n);
  assert.equal(got.length, n * N_SCORES);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= 1e-5, `max |tfjs − reference| = ${worst}`);
  model.dispose();
});

test('a FormScorer checkpoint (after a training step) loads in tfjs and predicts within 1e-5 of the engine', async () => {
  const dir = join(tempDir(), 'engine-ckpt');
  const model = await FormScorer.create({ seed: 12, threads: 1 });
  try {
    const rng = new Random(13);
    const n = 4;
    const x = randomInput(rng, n);
    const y = Float32Array.from({ length: n * N_SCORES }, () => rng.next());
    await model.trainStep(x, y, n);
    model.save(dir, { note: 'after one step' });
    const ckpt = loadCheckpoint(dir);
    assert.equal(ckpt.optimizer?.step, 1);
    assert.deepEqual(ckpt.training, { note: 'after one step' });
    const tfModel = await tf.loadLayersModel(fileHandler(dir));
    const got = (tfModel.predict(tf.tensor3d(x, [n, FRAMES, N_FEATURES])) as tf.Tensor).dataSync();
    const want = await model.predict(x, n);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst <= 1e-5, `max |tfjs − engine| = ${worst}`);
    tfModel.dispose();
  } finally {
    await model.dispose();
  }
});

test('tf.variableGrads of the MSE on the loaded model match the reference backward within 1e-4', async () => {
  const dir = join(tempDir(), 'ckpt');
  const weights = testWeights(4);
  saveCheckpoint(dir, weights);
  const model = await tf.loadLayersModel(fileHandler(dir));
  const n = 2;
  const rng = new Random(5);
  const x = randomInput(rng, n);
  const y = Float32Array.from({ length: n * N_SCORES }, () => rng.next());
  const xt = tf.tensor3d(x, [n, FRAMES, N_FEATURES]);
  const yt = tf.tensor2d(y, [n, N_SCORES]);
  const { value, grads } = tf.variableGrads(() => {
    const pred = model.apply(xt, { training: false }) as tf.Tensor;
    return tf.mean(tf.square(tf.sub(pred, yt))) as tf.Scalar;
  });
  const byName = new Map(model.weights.map((w) => [w.name, w.originalName]));
  const tfGrads = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) tfGrads.set(byName.get(varName) ?? varName, g.dataSync() as Float32Array);

  const w64 = new Map([...weights].map(([k, a]) => [k, convert(a, 'float64')]));
  const ref = networkLossAndGrads(w64, x, y, n);
  assert.ok(Math.abs(value.dataSync()[0] - ref.loss) <= 1e-5 * ref.loss, `loss ${value.dataSync()[0]} vs ${ref.loss}`);
  for (const spec of WEIGHT_SPECS) {
    const a = tfGrads.get(spec.name);
    assert.ok(a, `tfjs has a gradient for ${spec.name}`);
    const b = ref.grads.get(spec.name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    assert.ok(scale > 0, `${spec.name}: non-zero gradient`);
    assert.ok(diff <= 1e-4 * scale, `${spec.name}: max diff ${diff} vs max |grad| ${scale}`);
  }
  tf.dispose([xt, yt, value, ...Object.values(grads)]);
  model.dispose();
});

test('save → load gives identical weights, optimizer state, training metadata and trainable flags', () => {
  const dir = join(tempDir(), 'models', 'squat');
  const weights = testWeights(7);
  const optimizer = randomAdam(8);
  const training = { exercise: 'squat', epoch: 12, valLoss: 0.0123, history: [{ loss: 0.1 }] };
  saveCheckpoint(dir, weights, { optimizer, training, trainable: { conv1: false, conv2: false } });
  assert.deepEqual(new Set(['model.json', 'weights.bin', 'optimizer.bin']), new Set(['model.json', 'weights.bin', 'optimizer.bin'].filter((f) => existsSync(join(dir, f)))));
  assert.equal(readFileSync(join(dir, 'weights.bin')).length, 200326 * 4);
  const back = loadCheckpoint(dir);
  assert.deepEqual([...back.weights.keys()], WEIGHT_SPECS.map((s) => s.name));
  for (const s of WEIGHT_SPECS) assert.deepEqual(back.weights.get(s.name), weights.get(s.name), s.name);
  assert.ok(back.optimizer);
  assert.equal(back.optimizer.step, 1234);
  assert.equal(back.optimizer.learningRate, 5e-4);
  for (const s of WEIGHT_SPECS) {
    assert.deepEqual(back.optimizer.m.get(s.name), optimizer.m.get(s.name));
    assert.deepEqual(back.optimizer.v.get(s.name), optimizer.v.get(s.name));
  }
  assert.deepEqual(back.training, training);
  assert.deepEqual(back.trainable, { ...Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, true])), conv1: false, conv2: false });

  // saving again over it replaces the folder; without optimizer there is no optimizer.bin
  saveCheckpoint(dir, weights);
  assert.equal(existsSync(join(dir, 'optimizer.bin')), false);
  assert.equal(loadCheckpoint(dir).optimizer, undefined);
});

test('loadCheckpoint reads a model saved by tfjs-layers itself', async () => {
  const dir = join(tempDir(), 'tfjs-saved');
  const model = buildTfModel();
  await model.save({
    save: async (artifacts) => {
      mkdirSync(dir, { recursive: true });
      const { weightData, weightSpecs, ...rest } = artifacts;
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  const back = loadCheckpoint(dir);
  for (const w of model.weights) assert.deepEqual(back.weights.get(w.originalName), w.read().dataSync(), w.originalName);
  assert.equal(back.optimizer, undefined);
  model.dispose();
});

test('bad checkpoints fail with one line naming the path; a failed save keeps the old folder', () => {
  const root = tempDir();
  const one = (fn: () => unknown, re: RegExp) => {
    assert.throws(fn, (err: Error) => {
      assert.match(err.message, re);
      assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
      return true;
    });
  };
  one(() => loadCheckpoint(join(root, 'nope')), /checkpoint .*nope: folder not found/);

  const dir = join(root, 'ckpt');
  const weights = testWeights(9);
  saveCheckpoint(dir, weights, { optimizer: randomAdam(3) });
  const bin = readFileSync(join(dir, 'weights.bin'));
  const json = readFileSync(join(dir, 'model.json'), 'utf8');

  writeFileSync(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 8));
  one(() => loadCheckpoint(dir), /weights\.bin: 801296 bytes, the manifest needs 801304/);
  rmSync(join(dir, 'weights.bin'));
  one(() => loadCheckpoint(dir), /weights\.bin: file missing/);
  writeFileSync(join(dir, 'weights.bin'), bin);

  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(12));
  one(() => loadCheckpoint(dir), /optimizer\.bin: 12 bytes/);
  rmSync(join(dir, 'optimizer.bin'));
  one(() => loadCheckpoint(dir), /optimizer\.bin: file missing/);

  writeFileSync(join(dir, 'model.json'), json.slice(0, 100));
  one(() => loadCheckpoint(dir), /model\.json: not valid JSON/);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...JSON.parse(json), format: 'graph-model' }));
  one(() => loadCheckpoint(dir), /model\.json: format is "graph-model"/);
  const edited = JSON.parse(json);
  edited.weightsManifest[0].weights[0].shape = [5, 18, 65];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(edited));
  one(() => loadCheckpoint(dir), /weights\.bin: 801304 bytes, the manifest needs 801664/);
  rmSync(join(dir, 'model.json'));
  one(() => loadCheckpoint(dir), /model\.json: file missing/);

  // a save that fails validation writes nothing and leaves the previous checkpoint as it was
  saveCheckpoint(dir, weights);
  const broken = new Map(weights);
  broken.delete('scores/bias');
  one(() => saveCheckpoint(dir, broken), /saveCheckpoint: weights has no "scores\/bias"/);
  const short = new Map(weights);
  short.set('dense1/kernel', new Float32Array(3));
  one(() => saveCheckpoint(dir, short), /"dense1\/kernel" has 3 values, expected 16384/);
  assert.deepEqual(loadCheckpoint(dir).weights.get('scores/bias'), weights.get('scores/bias'));
});

test('non-finite weights are never saved nor loaded; inference reads the weights without the optimizer state', () => {
  const root = tempDir();
  const dir = join(root, 'ckpt');
  const weights = testWeights(4);
  saveCheckpoint(dir, weights, { optimizer: randomAdam(2) });
  const good = readFileSync(join(dir, 'weights.bin'));

  const diverged = new Map(weights);
  diverged.set('dense1/bias', Float32Array.from(weights.get('dense1/bias')!, (v, i) => (i === 7 ? NaN : v)));
  assert.throws(() => saveCheckpoint(dir, diverged), (e: Error) =>
    e.message === 'saveCheckpoint: weights "dense1/bias" holds NaN at index 7; nothing written, the previous checkpoint is kept');
  assert.ok(readFileSync(join(dir, 'weights.bin')).equals(good));

  // A checkpoint damaged on disk (or written by another tool) with NaN weights is refused on load.
  const nanFile = Buffer.from(good);
  nanFile.writeFloatLE(NaN, 0);
  writeFileSync(join(dir, 'weights.bin'), nanFile);
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message === `checkpoint ${dir}: "conv1/kernel" holds NaN at index 0; the model is not usable`);
  writeFileSync(join(dir, 'weights.bin'), good);

  // A damaged optimizer.bin blocks resuming, not inference.
  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(12));
  assert.throws(() => loadCheckpoint(dir), /optimizer\.bin: 12 bytes/);
  const forInference = loadCheckpoint(dir, { optimizer: false });
  assert.equal(forInference.optimizer, undefined);
  assert.deepEqual(forInference.weights.get('scores/bias'), weights.get('scores/bias'));
});
