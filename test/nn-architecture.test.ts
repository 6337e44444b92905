// The network declared in LAYERS: the shapes and weights derived from it are DESIGN.md's.
import assert from 'node:assert/strict';
import test from 'node:test';
import { LSTM_DIRECTIONS, NETWORK, PARAM_COUNT, TRAINABLE_LAYERS, WEIGHT_SPECS, layerNamed } from '../src/nn/architecture.js';

test('every layer has the output shape of the DESIGN.md table', () => {
  const shapes = Object.fromEntries(NETWORK.map((p) => [p.layer.name, p.output]));
  assert.deepEqual(shapes, {
    conv1: [90, 64], conv2: [90, 64], pool: [45, 64], drop1: [45, 64], bilstm1: [45, 128], bilstm2: [128],
    dense1: [128], drop2: [128], scores: [6],
  });
  assert.deepEqual(NETWORK[0].input, [90, 18]);
  NETWORK.slice(1).forEach((p, i) => assert.deepEqual(p.input, NETWORK[i].output, `${p.layer.name} reads what the layer before it writes`));
});

test('the weights follow from the layers: Keras names, shapes and order, 200,326 parameters', () => {
  assert.equal(PARAM_COUNT, 200_326);
  assert.deepEqual(TRAINABLE_LAYERS, ['conv1', 'conv2', 'bilstm1', 'bilstm2', 'dense1', 'scores']);
  assert.deepEqual(WEIGHT_SPECS.slice(0, 4).map((s) => [s.name, s.shape]), [
    ['conv1/kernel', [5, 18, 64]], ['conv1/bias', [64]], ['conv2/kernel', [3, 64, 64]], ['conv2/bias', [64]],
  ]);
  assert.deepEqual(LSTM_DIRECTIONS.map((d) => [d.prefix, d.inputDim, d.reverse]), [
    ['bilstm1/forward_lstm1', 64, false], ['bilstm1/backward_lstm1', 64, true],
    ['bilstm2/forward_lstm2', 128, false], ['bilstm2/backward_lstm2', 128, true],
  ]);
  const lstm2 = WEIGHT_SPECS.filter((s) => s.layer === 'bilstm2').map((s) => [s.name, s.shape, s.init]);
  assert.deepEqual(lstm2.slice(0, 3), [
    ['bilstm2/forward_lstm2/kernel', [128, 256], 'glorot_uniform'],
    ['bilstm2/forward_lstm2/recurrent_kernel', [64, 256], 'orthogonal'],
    ['bilstm2/forward_lstm2/bias', [256], 'lstm_bias'],
  ]);
  assert.deepEqual(WEIGHT_SPECS.slice(-2).map((s) => [s.name, s.shape]), [['scores/kernel', [128, 6]], ['scores/bias', [6]]]);
  assert.equal(layerNamed('bilstm2').layer.returnSequences, false);
});
