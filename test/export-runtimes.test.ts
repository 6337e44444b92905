// Exports a random-initialised and a briefly trained form scorer in both graph forms
// and both weight types, and checks them in the real TFLite runtimes against our
// engine (FormScorer) on 100 reps: tfjs-tflite runs both forms, LiteRT the unrolled one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAMES, N_FEATURES, N_SCORES } from '../src/data/exercises.js';
import { initWeights } from '../src/nn/init.js';
import { FormScorer } from '../src/nn/model.js';
import type { NamedWeights } from '../src/nn/architecture.js';
import { exportTflite } from '../src/export/export.js';
import { randomInputs, TOLERANCE, verifyTflite, type VerificationResult } from '../src/export/verify.js';
import { liteRtRuntime } from '../src/export/runtimes/litert.js';
import { tfjsTfliteRuntime } from '../src/export/runtimes/tfjs-tflite.js';

const MAX_FLOAT16_BYTES = 500 * 1000;
const results: string[] = [];

async function checkAllForms(label: string, weights: NamedWeights): Promise<void> {
  const scorer = await FormScorer.fromWeights(weights, { threads: 1 });
  const engine = { name: 'FormScorer', predict: (x: Float32Array, n: number) => scorer.predict(x, n) };
  try {
    for (const form of ['fused', 'unroll'] as const) {
      for (const dtype of ['float16', 'float32'] as const) {
        const bytes = exportTflite(weights, { form, dtype, exercise: 'squat', phase: 1 });
        if (dtype === 'float16') assert.ok(bytes.length <= MAX_FLOAT16_BYTES, `${label} ${form} float16: ${bytes.length} bytes`);
        const lines: string[] = [];
        const r: VerificationResult = await verifyTflite(bytes, weights, { form, dtype, samples: 100, engine, log: (l) => lines.push(l) });
        const expected = form === 'fused' ? ['tfjs-tflite'] : ['tfjs-tflite', 'litert'];
        assert.deepEqual(r.runtimes.map((x) => x.runtime), expected);
        for (const rt of r.runtimes) {
          assert.equal(rt.error, undefined, `${label} ${form} ${dtype} ${rt.runtime}: ${rt.error}`);
          assert.ok(rt.maxAbsDiff <= TOLERANCE[dtype], `${label} ${form} ${dtype} ${rt.runtime}: max |Δ| ${rt.maxAbsDiff}`);
          assert.deepEqual(rt.inputs, [{ name: 'angle_sequence', shape: [1, FRAMES, N_FEATURES], dtype: 'float32' }]);
          assert.deepEqual(rt.outputs.map((o) => o.shape), [[1, N_SCORES]]);
          assert.equal(rt.sampleScores.length, N_SCORES);
          results.push(`${label.padEnd(8)} ${form.padEnd(6)} ${dtype} ${String(bytes.length).padStart(7)} B  ${rt.runtime.padEnd(11)} max|Δ| ${rt.maxAbsDiff.toExponential(2)}  ${rt.meanLatencyMs.toFixed(2)} ms/rep`);
        }
        assert.ok(r.ok);
        assert.ok(lines.some((l) => l.includes('sample rep ×100')));
      }
    }
  } finally {
    await scorer.dispose();
  }
}

test('random-initialised model: both forms, float16 and float32, within tolerance in both runtimes', async () => {
  await checkAllForms('random', initWeights(21));
});

test('briefly trained model: both forms, float16 and float32, within tolerance in both runtimes', async () => {
  const scorer = await FormScorer.create({ seed: 3, threads: 1 });
  let weights: NamedWeights;
  try {
    const n = 16;
    const x = randomInputs(n, 9);
    const y = new Float32Array(n * N_SCORES).map((_, i) => 0.2 + 0.6 * ((i * 7919) % 13) / 13);
    scorer.optimizer.learningRate = 0.01;
    const first = await scorer.trainStep(x, y, n);
    for (let s = 0; s < 4; s++) await scorer.trainStep(x, y, n);
    const after = await scorer.evaluate(x, y, n);
    assert.ok(after.loss < first.loss, `training moved: ${first.loss} → ${after.loss}`);
    weights = scorer.getWeights();
  } finally {
    await scorer.dispose();
  }
  const init = initWeights(3);
  assert.ok([...weights.keys()].some((k) => weights.get(k)!.some((v, i) => v !== init.get(k)![i])), 'weights changed by training');
  await checkAllForms('trained', weights);
  console.log(['form scorer in TFLite runtimes (100 reps each):', ...results].join('\n'));
});

test('fused form is stateless across invocations (its LSTM state is reset in-graph)', async () => {
  const weights = initWeights(4);
  const runtime = await tfjsTfliteRuntime();
  const model = await runtime.load(exportTflite(weights, { form: 'fused', dtype: 'float32' }));
  try {
    const x = randomInputs(2, 5);
    const a = x.subarray(0, FRAMES * N_FEATURES);
    const b = x.subarray(FRAMES * N_FEATURES);
    const first = await model.run(a);
    await model.run(b);
    const again = await model.run(a);
    assert.deepEqual(again, first);
  } finally {
    model.dispose();
  }
});

test('LiteRT refuses the fused form (variable tensors) with a clear error', async () => {
  const runtime = await liteRtRuntime();
  await assert.rejects(runtime.load(exportTflite(initWeights(1), { form: 'fused', dtype: 'float16' })), /LiteRT refused the model: .*[Vv]ariable tensors/);
});
