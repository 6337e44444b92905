// The TFLite FlatBuffer writer and reader: round trips, TensorFlow's own files as
// the reference layout, float16 rounding, and the operator codes/versions per form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ByteBuffer } from 'flatbuffers';
import { fixture } from './helpers/fixtures.js';
import { initWeights } from '../src/nn/init.js';
import { buildFormScorerModel, INPUT_NAME, OUTPUT_NAME, SIGNATURE_KEY } from '../src/export/graph.js';
import { writeTflite } from '../src/export/tflite/writer.js';
import { metadataText, operatorSummary, readTflite } from '../src/export/tflite/reader.js';
import { BuiltinOperator, BuiltinOptions, LSTM_INPUTS, TensorType } from '../src/export/tflite/schema.js';
import { float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16 } from '../src/export/tflite/float16.js';
import type { ModelDef } from '../src/export/tflite/model.js';
import { PARAM_COUNT } from '../src/nn/architecture.js';

const weights = initWeights(11);

test('TensorFlow fixture: fused LSTM layout (24 inputs, variable state, options) read with our reader', () => {
  const m = readTflite(readFileSync(fixture('tflite', 'trained_lstm.tflite')), 'trained_lstm.tflite');
  assert.equal(m.version, 3);
  const g = m.subgraphs[0];
  const lstm = g.operators.find((op) => m.operatorCodes[op.opcodeIndex].builtinCode === BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)!;
  assert.equal(m.operatorCodes[lstm.opcodeIndex].version, 1);
  assert.equal(lstm.inputs.length, LSTM_INPUTS.length);
  assert.ok(g.tensors[lstm.inputs[18]].isVariable && g.tensors[lstm.inputs[19]].isVariable, 'output and cell state are variable');
  assert.deepEqual([9, 10, 11, 16, 17, 20, 21, 22, 23].map((k) => lstm.inputs[k]), new Array(9).fill(-1), 'no peephole, projection or layer norm');
  assert.equal(lstm.options?.type, BuiltinOptions.UnidirectionalSequenceLSTMOptions);
  assert.equal(lstm.options?.values.fused_activation_function, 4); // TANH
  assert.equal(lstm.options?.values.cell_clip, 10);
  assert.equal(metadataText(m, 'min_runtime_version'), '1.13.1');
  assert.equal(m.signatureDefs[0].signatureKey, 'serving_default');
});

test('our fused LSTM matches the converter layout: per-gate [out, in] weights, 24 inputs, variable state, time_major false', () => {
  const m = buildFormScorerModel(weights, { form: 'fused', dtype: 'float32' });
  const g = m.subgraphs[0];
  const lstms = g.operators.filter((op) => m.operatorCodes[op.opcodeIndex].builtinCode === BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM);
  assert.equal(lstms.length, 8, '4 directions, each followed by its state reset');
  const main = lstms.filter((op) => g.tensors[op.outputs[0]].shape[1] === 45);
  assert.equal(main.length, 4);
  for (const op of main) {
    assert.equal(op.inputs.length, 24);
    const inDim = g.tensors[op.inputs[0]].shape[2];
    for (let k = 1; k <= 4; k++) assert.deepEqual(g.tensors[op.inputs[k]].shape, [64, inDim]);
    for (let k = 5; k <= 8; k++) assert.deepEqual(g.tensors[op.inputs[k]].shape, [64, 64]);
    for (let k = 12; k <= 15; k++) assert.deepEqual(g.tensors[op.inputs[k]].shape, [64]);
    assert.ok(g.tensors[op.inputs[18]].isVariable && g.tensors[op.inputs[19]].isVariable);
    assert.equal(op.options?.values.time_major, false);
    assert.equal(op.options?.values.fused_activation_function, 4);
  }
  // Keras kernel column block 1 (forget gate), unit 3, input 5 → input_to_forget_weights[3][5].
  const kernel = weights.get('bilstm1/forward_lstm1/kernel')!;
  const forget = g.tensors[main[0].inputs[2]];
  const data = new Float32Array(m.buffers[forget.buffer].slice().buffer);
  assert.equal(data[3 * 64 + 5], kernel[5 * 256 + 64 + 3]);
});

test('unrolled form has no variable tensors and only plain builtins', () => {
  const m = buildFormScorerModel(weights, { form: 'unroll', dtype: 'float16' });
  assert.ok(m.subgraphs[0].tensors.every((t) => !t.isVariable));
  const ops = new Set(m.operatorCodes.map((c) => BuiltinOperator[c.builtinCode]));
  assert.ok(!ops.has('UNIDIRECTIONAL_SEQUENCE_LSTM'));
  for (const op of ops) assert.ok(['CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'ADD', 'MUL', 'LOGISTIC', 'TANH', 'SLICE', 'CONCATENATION', 'REVERSE_V2', 'DEQUANTIZE'].includes(op), op);
});

test('writer round-trips through a flatbuffers reader, byte for byte', () => {
  for (const form of ['fused', 'unroll'] as const) {
    for (const dtype of ['float16', 'float32'] as const) {
      const model = buildFormScorerModel(weights, { form, dtype, exercise: 'squat', phase: 2, version: '9.9.9' });
      const bytes = writeTflite(model);
      assert.equal(new ByteBuffer(bytes).getBufferIdentifier(), 'TFL3');
      const back = readTflite(bytes);
      assert.deepEqual(back, normalise(model), `${form} ${dtype}`);
      assert.deepEqual(writeTflite(back), bytes, `${form} ${dtype} rewritten`);
      assert.match(back.description, /formscore 9\.9\.9.*exercise squat, phase 2/);
      const sig = back.signatureDefs[0];
      assert.equal(sig.signatureKey, SIGNATURE_KEY);
      assert.equal(back.subgraphs[0].tensors[sig.inputs[0].tensorIndex].name, INPUT_NAME);
      assert.deepEqual(back.subgraphs[0].tensors[sig.inputs[0].tensorIndex].shape, [1, 90, 18]);
      assert.deepEqual(back.subgraphs[0].tensors[sig.outputs[0].tensorIndex].shape, [1, 6]);
      assert.equal(sig.outputs[0].name, OUTPUT_NAME);
      // Every weight byte is there: 200,326 parameters, in float16 buffers except the first layer's (float32 in either file).
      const weightsOf = (type: TensorType) => back.subgraphs[0].tensors.filter((t) => t.buffer && t.type === type && !t.name.startsWith('state_reset') && !t.name.startsWith('zero_bias'));
      const count = (ts: { shape: number[] }[]) => ts.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
      const float32 = weightsOf(TensorType.FLOAT32);
      if (dtype === 'float16') {
        assert.deepEqual(float32.map((t) => t.name), ['conv1/filter', 'conv1/bias'], 'the first layer stays float32');
        assert.equal(count(weightsOf(TensorType.FLOAT16)) + count(float32), PARAM_COUNT);
      } else assert.equal(count(float32), PARAM_COUNT);
    }
  }
});

test('buffers are 16-byte aligned from the start of the file', () => {
  const bytes = writeTflite(buildFormScorerModel(weights, { form: 'fused', dtype: 'float16' }));
  const bb = new ByteBuffer(bytes);
  const root = bb.readInt32(0);
  const buffersField = bb.__offset(root, 4 + 2 * 4);
  const vec = bb.__vector(root + buffersField);
  const n = bb.__vector_len(root + buffersField);
  let checked = 0;
  for (let i = 1; i < n; i++) {
    const table = bb.__indirect(vec + 4 * i);
    const o = bb.__offset(table, 4);
    if (!o) continue;
    assert.equal(bb.__vector(table + o) % 16, 0, `buffer ${i}`);
    checked++;
  }
  assert.ok(checked > 20);
});

test('float16 rounding: exact values, ties to even, subnormals, overflow', () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(70000), 0x7c00);
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001);
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000);
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00, 'tie rounds to even (down)');
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  assert.equal(float16BitsToFloat32(0x3555), 0.333251953125);
  const v = new Float32Array([0.1, -0.7, 3.14159, 1e-5]);
  const r = roundToFloat16(v);
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(r[i] - v[i]) <= Math.abs(v[i]) * 2 ** -11 + 2 ** -25);
});

test('operator codes and versions of each form (listed in the README)', () => {
  for (const form of ['fused', 'unroll'] as const) {
    for (const dtype of ['float16', 'float32'] as const) {
      const m = readTflite(writeTflite(buildFormScorerModel(weights, { form, dtype })));
      const ops = operatorSummary(m);
      console.log(`${form} ${dtype} (min_runtime_version ${metadataText(m, 'min_runtime_version')}): ` +
        ops.map((o) => `${o.op} v${o.version} ×${o.count}`).join(', '));
      assert.ok(ops.every((o) => o.code < 127 && o.version >= 1));
      const dequant = ops.find((o) => o.op === 'DEQUANTIZE');
      if (dtype === 'float16') assert.equal(dequant?.version, 3);
      else assert.equal(dequant, undefined);
      assert.ok(ops.filter((o) => o.op !== 'DEQUANTIZE').every((o) => o.version === 1), 'version 1 for every float32 op');
    }
  }
});

/** What the reader returns for a model we built: defaults made explicit the reader's way. */
function normalise(m: ModelDef): ModelDef {
  return {
    ...m,
    subgraphs: m.subgraphs.map((g) => ({
      ...g,
      operators: g.operators.map((op) => {
        const out = { ...op };
        if (op.options) {
          // Fields equal to the schema default are not stored, so the reader omits them.
          const values = Object.fromEntries(Object.entries(op.options.values).filter(([k, v]) => !isDefault(k, v)));
          out.options = { type: op.options.type, values };
        }
        return out;
      }),
    })),
  };
}

function isDefault(field: string, value: unknown): boolean {
  if (field === 'pot_scale_int16') return value === true;
  if (field === 'dilation_w_factor' || field === 'dilation_h_factor') return value === 1;
  if (Array.isArray(value)) return false;
  return value === 0 || value === false;
}
