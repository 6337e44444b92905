// `formscore generate`: synthetic training reps per exercise, written as .npy files
// that numpy (and the rest of formscore) read.

import { join } from 'node:path';
import type { Command } from 'commander';
import { DIMENSIONS, N_SCORES, resolveExercises } from '../data/exercises.js';
import { generateSynthetic, writeSynthetic } from '../data/synthetic.js';
import { EXERCISE_OR_ALL } from './options.js';

interface GenerateOptions {
  exercise: string;
  nSamples: string;
  seed: string;
  out: string;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .summary('synthetic reps with ground-truth scores as .npy files')
    .description(
      'Generate synthetic reps with ground-truth scores (quality tiers excellent/good/acceptable/poor ' +
        'in shares 25/35/25/15 %). Writes <out>/<exercise>/sequences.npy (N,90,9) float32 degrees, ' +
        'scores.npy (N,6) float32 0-100 [depth, stability, symmetry, tempo, alignment, overall] and ' +
        'tiers.npy (N,) uint8 (0 excellent .. 3 poor). Same seed, same bytes.',
    )
    .option('--exercise <name>', EXERCISE_OR_ALL, 'all')
    .option('--n-samples <n>', 'reps per exercise (positive integer)', '5000')
    .option('--seed <n>', 'random seed (integer); each exercise derives its own stream from it', '42')
    .option('--out <dir>', 'output folder; train, evaluate and export read <data-dir>/generated/, so keep the default or pass them --data-dir', join('data', 'generated'))
    .addHelpText('after', '\nExample:\n  formscore generate --exercise squat --n-samples 2000 --seed 7')
    .action((opts: GenerateOptions) => runGenerate(opts));
}

function runGenerate(opts: GenerateOptions): void {
  const exercises = resolveExercises(opts.exercise);
  const n = parseIntegerOption('--n-samples', opts.nSamples, 1);
  const seed = parseIntegerOption('--seed', opts.seed, 0);
  const started = performance.now();
  console.log(`Generating ${n} reps × ${exercises.length} exercise${exercises.length > 1 ? 's' : ''} (seed ${seed}) into ${opts.out}`);
  for (const exercise of exercises) {
    const t0 = performance.now();
    const data = generateSynthetic(exercise, n, seed);
    const dir = join(opts.out, exercise);
    writeSynthetic(dir, data);
    const summary = DIMENSIONS.map((d, k) => {
      const { mean, std } = columnStats(data.scores, n, k);
      return `${d} ${mean.toFixed(1)}±${std.toFixed(1)}`;
    }).join('  ');
    console.log(`  ${exercise.padEnd(10)} ${summary}  (${((performance.now() - t0) / 1000).toFixed(2)} s) → ${dir}`);
  }
  console.log(`Done: ${n * exercises.length} reps in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

/** A whole number ≥ min, or a one-line error naming the option. */
function parseIntegerOption(name: string, value: string, min: number): number {
  const v = String(value).trim();
  if (!/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new Error(`${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, got "${value}"`);
  }
  return Number(v);
}

function columnStats(scores: Float32Array, n: number, k: number): { mean: number; std: number } {
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i * N_SCORES + k];
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}
