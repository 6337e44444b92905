// Training time of the whole pipeline with exercises side by side (`pipeline --jobs`) and
// one at a time (`--jobs 1`), on the full recipe's proportions at a smaller size: every
// exercise, REPS realistic reps (twice as many for the plank), EPOCHS epochs. Runs the
// two settings in ABBA order in fresh temporary folders and prints one JSON line per run.
// README "Measured performance" has the figures. Usage (after npm ci):
//   node scripts/bench-jobs.mjs [REPS=2000] [EPOCHS=10] [PAIRS=2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXERCISES, runPipeline } from '../dist/src/index.js';

const [reps = 2000, epochs = 10, pairs = 2] = process.argv.slice(2).map(Number);
const preset = {
  name: 'full', nSamples: { realistic: reps, seed: reps }, realisticSamples: { plank: 2 * reps },
  epochs: { realistic: { 1: epochs, 2: 1, 3: 1 }, seed: { 1: epochs, 2: 1, 3: 1 } }, seed: 42,
};

async function run(jobs) {
  const root = mkdtempSync(join(tmpdir(), 'formscore-jobs-'));
  let trainStart = 0, trainEnd = 0;
  try {
    const result = await runPipeline({
      preset, exercises: [...EXERCISES], jobs, progress: null,
      dataDir: join(root, 'data'), modelsDir: join(root, 'models'), evaluationDir: join(root, 'evaluation'),
      exportDir: join(root, 'export'), stateFile: join(root, 'pipeline_state.json'),
      log: (line) => {
        if (!trainStart && line.includes('] train ')) trainStart = performance.now();
        if (!trainEnd && line.includes('] evaluate')) trainEnd = performance.now();
      },
    });
    console.log(JSON.stringify({
      jobs: jobs ?? 'default', reps, epochs, training_s: Math.round((trainEnd - trainStart) / 100) / 10,
      sessions_mae: Object.fromEntries(result.summary.map((s) => [s.exercise, Number(s.transferMae?.toFixed(2))])),
    }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

for (let p = 0; p < pairs; p++) {
  const order = p % 2 === 0 ? [undefined, 1] : [1, undefined];
  for (const jobs of order) await run(jobs);
}
