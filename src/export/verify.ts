// Verifies an exported .tflite file in real TFLite runtimes against our engine:
// ≥100 test-split reps (or random inputs of the real value ranges when there is no
// data) through each runtime, max abs difference of the [0, 1] outputs within 5e-3
// for float16 weights and 1e-5 for float32.
//
// float16 rounds a weight by up to 2^-11 of itself, and two BiLSTMs carry that through
// 90 steps. With the first layer kept float32 (graph.ts, emitNetwork), 80-epoch
// realistic models move by 3.0e-4 to 8.7e-4 at the worst output of their whole test
// split, with a mean of 2.3e-5 to 3.0e-5. 5e-3 is half a point on the app's 0-100
// scale, a fraction of the network's own error against the rules. The graph itself
// is checked by the float32 files, which must agree to 1e-5.

import { FRAMES, N_ANGLES, N_FEATURES, N_SCORES, DIMENSIONS } from '../data/exercises.js';
import type { Exercise } from '../data/exercises.js';
import { loadDataset } from '../data/dataset.js';
import { toFeatures } from '../data/features.js';
import type { NamedWeights } from '../nn/architecture.js';
import { enginePredictor, withPredictor, type Predictor } from '../nn/predictor.js';
import { Random } from '../util/random.js';
import type { LstmForm, WeightDtype } from './graph.js';
import type { RuntimeName, TensorInfo, TfliteRuntime } from './runtimes/types.js';
import { DEFAULT_DATA_DIR } from '../workspace/layout.js';

export const TOLERANCE: Record<WeightDtype, number> = { float16: 5e-3, float32: 1e-5 };
export const DEFAULT_VERIFY_SAMPLES = 100;

/** Which runtimes run which form: LiteRT refuses the fused form's variable tensors. */
export const RUNTIMES_FOR_FORM: Record<LstmForm, RuntimeName[]> = {
  fused: ['tfjs-tflite'],
  unroll: ['tfjs-tflite', 'litert'],
};

export interface RuntimeVerification {
  runtime: RuntimeName;
  label: string;
  ok: boolean;
  maxAbsDiff: number;
  meanAbsDiff: number;
  meanLatencyMs: number;
  loadMs: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** The first sample's six scores ×100 from this runtime. */
  sampleScores: number[];
  error?: string;
}

export interface VerificationResult {
  ok: boolean;
  form: LstmForm;
  dtype: WeightDtype;
  bytes: number;
  samples: number;
  source: 'test split' | 'random' | 'test split + random';
  tolerance: number;
  engine: string;
  /** The first sample's six scores ×100 from our engine. */
  engineScores: number[];
  runtimes: RuntimeVerification[];
}

export interface VerifyOptions {
  form: LstmForm;
  dtype: WeightDtype;
  exercise?: Exercise;
  dataDir?: string;
  /** The training split seed (so the test split is the one training held out) and whether it included real reps. */
  splitSeed?: number;
  includeReal?: boolean;
  samples?: number;
  /** Override the runtimes (default RUNTIMES_FOR_FORM[form]). */
  runtimes?: RuntimeName[];
  /** What the runtimes are compared with (the caller's, not disposed here); default the engine with these weights, one thread. */
  engine?: Pick<Predictor, 'name' | 'predict'>;
  /** Progress and report lines; default console.log. */
  log?: (line: string) => void;
  seed?: number;
}

/** Random reps of the real value ranges: smooth angle paths in [0, 180]° turned into features. */
export function randomInputs(n: number, seed = 1): Float32Array {
  const rng = new Random(seed);
  const seq = new Float32Array(n * FRAMES * N_ANGLES);
  for (let s = 0; s < n; s++) {
    for (let a = 0; a < N_ANGLES; a++) {
      let angle = rng.uniform(20, 175);
      let velocity = 0;
      for (let t = 0; t < FRAMES; t++) {
        velocity = 0.9 * velocity + rng.normal() * 1.5;
        angle = Math.min(180, Math.max(0, angle + velocity));
        seq[(s * FRAMES + t) * N_ANGLES + a] = angle;
      }
    }
  }
  return toFeatures(seq, n);
}

/** Inputs for verification: the exercise's test split, topped up with random reps to `n`. */
export function verificationInputs(
  n: number, exercise?: Exercise, dataDir = DEFAULT_DATA_DIR, seed = 1, split: { seed?: number; includeReal?: boolean } = {},
): { x: Float32Array; n: number; source: VerificationResult['source'] } {
  let test: { x: Float32Array; n: number } | null = null;
  if (exercise) {
    try {
      test = loadDataset(exercise, { dataDir, seed: split.seed, includeReal: split.includeReal }).test;
    } catch {
      test = null; // no data: random inputs
    }
  }
  const fromTest = test ? Math.min(test.n, n) : 0;
  const x = new Float32Array(n * FRAMES * N_FEATURES);
  if (test && fromTest) x.set(test.x.subarray(0, fromTest * FRAMES * N_FEATURES));
  if (fromTest < n) x.set(randomInputs(n - fromTest, seed), fromTest * FRAMES * N_FEATURES);
  const source = fromTest === n ? 'test split' : fromTest === 0 ? 'random' : 'test split + random';
  return { x, n, source };
}

async function loadRuntime(name: RuntimeName): Promise<TfliteRuntime> {
  if (name === 'tfjs-tflite') return (await import('./runtimes/tfjs-tflite.js')).tfjsTfliteRuntime();
  return (await import('./runtimes/litert.js')).liteRtRuntime();
}

const x100 = (v: ArrayLike<number>) => Array.from(v, (s) => Math.round(s * 10000) / 100);
const fmtShape = (t: TensorInfo) => `${t.name} [${t.shape.join(', ')}] ${t.dtype}`;

/** Runs `bytes` in each runtime on the verification inputs and compares with our engine. */
export async function verifyTflite(bytes: Uint8Array, weights: NamedWeights, opts: VerifyOptions): Promise<VerificationResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const samples = opts.samples ?? DEFAULT_VERIFY_SAMPLES;
  const tolerance = TOLERANCE[opts.dtype];
  const { x, n, source } = verificationInputs(samples, opts.exercise, opts.dataDir, opts.seed, { seed: opts.splitSeed, includeReal: opts.includeReal });
  const sampleSize = FRAMES * N_FEATURES;

  // A given predictor stays the caller's; the default one is made and disposed of here.
  let engineName = opts.engine?.name ?? '';
  const expected = opts.engine
    ? await opts.engine.predict(x, n)
    : await withPredictor(enginePredictor(weights, 1), (p) => ((engineName = p.name), p.predict(x, n)));

  const result: VerificationResult = {
    ok: true, form: opts.form, dtype: opts.dtype, bytes: bytes.length, samples: n, source, tolerance,
    engine: engineName, engineScores: x100(expected.subarray(0, N_SCORES)), runtimes: [],
  };
  log(`  verifying ${opts.form} ${opts.dtype} (${(bytes.length / 1024).toFixed(1)} KB) on ${n} reps (${source}) against ${engineName}; tolerance ${tolerance}`);
  log(`    ${'engine'.padEnd(12)} sample rep ×100: ${result.engineScores.map((s) => s.toFixed(2)).join(' ')}  (${DIMENSIONS.join(', ')})`);

  for (const name of opts.runtimes ?? RUNTIMES_FOR_FORM[opts.form]) {
    const r: RuntimeVerification = {
      runtime: name, label: name, ok: false, maxAbsDiff: NaN, meanAbsDiff: NaN, meanLatencyMs: NaN, loadMs: NaN,
      inputs: [], outputs: [], sampleScores: [],
    };
    result.runtimes.push(r);
    try {
      const runtime = await loadRuntime(name);
      r.label = runtime.label;
      const t0 = performance.now();
      const model = await runtime.load(bytes);
      r.loadMs = performance.now() - t0;
      r.inputs = model.inputs;
      r.outputs = model.outputs;
      try {
        let max = 0;
        let sum = 0;
        let time = 0;
        await model.run(x.subarray(0, sampleSize)); // warm-up: first-call set-up is not per-rep latency
        for (let s = 0; s < n; s++) {
          const t1 = performance.now();
          const y = await model.run(x.subarray(s * sampleSize, (s + 1) * sampleSize));
          time += performance.now() - t1;
          if (y.length !== N_SCORES) throw new Error(`output has ${y.length} values, expected ${N_SCORES}`);
          if (s === 0) r.sampleScores = x100(y);
          for (let k = 0; k < N_SCORES; k++) {
            const d = Math.abs(y[k] - expected[s * N_SCORES + k]);
            if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
            sum += d;
          }
        }
        r.maxAbsDiff = max;
        r.meanAbsDiff = sum / (n * N_SCORES);
        r.meanLatencyMs = time / n;
        r.ok = max <= tolerance;
        if (!r.ok) r.error = `max abs diff ${max.toExponential(2)} exceeds ${tolerance}`;
      } finally {
        model.dispose();
      }
    } catch (err) {
      r.error = err instanceof Error ? err.message : String(err);
    }
    result.ok &&= r.ok;
    if (r.inputs.length) log(`    ${name.padEnd(12)} ${r.label}: input ${r.inputs.map(fmtShape).join(', ')}; output ${r.outputs.map(fmtShape).join(', ')}`);
    if (r.sampleScores.length) {
      log(`    ${name.padEnd(12)} sample rep ×100: ${r.sampleScores.map((s) => s.toFixed(2)).join(' ')}`);
      log(`    ${name.padEnd(12)} max |Δ| ${r.maxAbsDiff.toExponential(2)} (mean ${r.meanAbsDiff.toExponential(2)}), ${r.meanLatencyMs.toFixed(2)} ms per rep, load ${r.loadMs.toFixed(0)} ms — ${r.ok ? 'OK' : 'FAILED'}`);
    }
    if (r.error) log(`    ${name.padEnd(12)} FAILED: ${r.error}`);
  }
  return result;
}
