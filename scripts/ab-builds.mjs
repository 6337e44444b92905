// A/B of two builds of the engine in one process: their training steps (64 random
// samples, one thread, the kernel set each build picks) alternate in ABBA order, so the
// host's drift, which swings `bench` by 10-30 % within minutes on shared machines, falls
// on both alike. Prints the median step of each build and their ratio, then each layer's
// forward and backward time per step. Use it for changes of a few percent that separate
// `bench` runs cannot show; run it in both orders (A B, then B A), since the build loaded
// first can differ by about a percent. A build is a folder with dist/ (npm run build) and,
// for the native kernels, build/Release/ (npm run build:native), e.g. a git worktree.
// README "Measured performance" cites it. Usage:
//   node scripts/ab-builds.mjs <build A> <build B> [STEPS=60]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dirA, dirB, stepsArg = '60'] = process.argv.slice(2);
const steps = Number(stepsArg);
if (!dirA || !dirB || !Number.isInteger(steps) || steps < 2) {
  console.error('usage: node scripts/ab-builds.mjs <build A> <build B> [STEPS=60]');
  process.exit(2);
}

const BATCH = 64;

async function load(dir) {
  const root = resolve(dir);
  const at = (file) => pathToFileURL(`${root}/dist/src/${file}`).href;
  if (!existsSync(`${root}/dist/src/nn/engine.js`)) {
    console.error(`ab-builds: ${root}/dist/src/nn/engine.js is missing (run "npm run build" in ${root})`);
    process.exit(2);
  }
  const { Engine } = await import(at('nn/engine.js'));
  const { initWeights } = await import(at('nn/init.js'));
  const { TRAINABLE_LAYERS } = await import(at('nn/architecture.js'));
  const { defaultKernelSet } = await import(at('nn/kernels.js'));
  const { Random } = await import(at('util/random.js'));
  const engine = new Engine(BATCH);
  engine.writeNamed('params', initWeights(1));
  const rng = new Random(1);
  const x = Float32Array.from({ length: BATCH * 90 * 18 }, () => rng.uniform(-1, 1));
  const y = Float32Array.from({ length: BATCH * 6 }, () => rng.next());
  const trainable = Object.fromEntries(TRAINABLE_LAYERS.map((l) => [l, true]));
  // per layer and pass: milliseconds summed over the timed steps
  const layerMs = new Map();
  for (const layer of engine.layers) {
    for (const pass of ['forward', 'backward']) {
      const run = layer[pass].bind(layer);
      const key = `${layer.placed.layer.name} ${pass}`;
      layerMs.set(key, 0);
      layer[pass] = (...args) => {
        const t = performance.now();
        const out = run(...args);
        layerMs.set(key, layerMs.get(key) + performance.now() - t);
        return out;
      };
    }
  }
  const step = () => {
    engine.prepareBackward();
    engine.zeroGrads();
    engine.accumulateGradients(x, y, BATCH, BATCH * 6, 1, 0, trainable);
  };
  return { root, kernels: defaultKernelSet().name, step, layerMs, stepMs: [] };
}

const builds = [await load(dirA), await load(dirB)];
for (let i = 0; i < 5; i++) for (const b of builds) b.step();
for (const b of builds) for (const key of b.layerMs.keys()) b.layerMs.set(key, 0);
for (let i = 0; i < steps; i++) {
  for (const b of i % 2 ? [...builds].reverse() : builds) {
    const t = performance.now();
    b.step();
    b.stepMs.push(performance.now() - t);
  }
}

const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const [a, b] = builds;
const fixed = (v, d = 2) => v.toFixed(d);
console.log(`A ${a.root} (${a.kernels})\nB ${b.root} (${b.kernels})`);
console.log(`step (${BATCH} samples, one thread), median of ${steps}: A ${fixed(median(a.stepMs))} ms, B ${fixed(median(b.stepMs))} ms, B/A ${fixed(median(b.stepMs) / median(a.stepMs), 3)}`);
console.log('per step, ms:        A       B     B/A');
for (const [key, ms] of a.layerMs) {
  const other = b.layerMs.get(key) ?? NaN;
  if (ms / steps < 0.05) continue; // layers that cost nothing
  console.log(`${key.padEnd(18)} ${fixed(ms / steps).padStart(6)}  ${fixed(other / steps).padStart(6)}  ${fixed(other / ms, 3)}`);
}
