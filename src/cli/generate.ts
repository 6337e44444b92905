// `formscore generate`: synthetic training reps per exercise, written as .npy files
// that numpy (and the rest of formscore) read.

import { join } from 'node:path';
import type { Command } from 'commander';
import { DIMENSIONS, N_SCORES, resolveExercises } from '../data/exercises.js';
import { DATA_PROFILES, DEFAULT_PROFILE, generateSynthetic, parseProfile, writeSynthetic } from '../data/synthetic.js';
import { checkWritableDir } from '../util/writable.js';
import { EXERCISE_OR_ALL, examplesHelp } from './options.js';
import { DEFAULT_DATA_DIR, DEFAULT_SEED, sourceFolder } from '../workspace/layout.js';

interface GenerateOptions {
  exercise: string;
  profile: string;
  nSamples: string;
  seed: string;
  out: string;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .summary('synthetic reps with ground-truth scores as .npy files')
    .description(
      'Generate synthetic reps with ground-truth scores. Profile realistic (default): every factor drawn on its own ' +
        '(depth, timing, posture, asymmetry, estimator jitter, glitches), reps of 40-160 frames at 30 fps resampled to 90 ' +
        'like pose logs, ground truth = the rule scorer on the final sequence. Profile seed: the original project\'s ' +
        'quality tiers (excellent/good/acceptable/poor, 25/35/25/15 %), byte-identical to its generator. Writes ' +
        '<out>/<exercise>/sequences.npy (N,90,9) float32 degrees, scores.npy (N,6) float32 0-100 [depth, stability, ' +
        'symmetry, tempo, alignment, overall], generation.json (profile, seed) and, for seed, tiers.npy (N,) uint8 ' +
        '(0 excellent .. 3 poor). Same seed, same bytes.',
    )
    .option('--exercise <name>', EXERCISE_OR_ALL, 'all')
    .option('--profile <name>', `${DATA_PROFILES.join(' or ')}: what the reps look like (see above)`, DEFAULT_PROFILE)
    .option('--n-samples <n>', 'reps per exercise (positive integer)', '5000')
    .option('--seed <n>', 'random seed (integer); each exercise derives its own stream from it', String(DEFAULT_SEED))
    .option('--out <dir>', 'output folder; train, evaluate and export read <data-dir>/generated/, so keep the default or pass them --data-dir', sourceFolder(DEFAULT_DATA_DIR, 'generated'))
    .addHelpText('after', examplesHelp(
      'formscore generate --exercise squat --n-samples 2000 --seed 7',
      'formscore generate --profile seed      # the original project\'s data, to reproduce its numbers',
    ))
    .action((opts: GenerateOptions) => runGenerate(opts));
}

function runGenerate(opts: GenerateOptions): void {
  const exercises = resolveExercises(opts.exercise);
  const n = parseIntegerOption('--n-samples', opts.nSamples, 1);
  const seed = parseIntegerOption('--seed', opts.seed, 0);
  const profile = parseProfile(opts.profile);
  checkWritableDir(opts.out);
  const started = performance.now();
  console.log(`Generating ${n} ${profile} reps × ${exercises.length} exercise${exercises.length > 1 ? 's' : ''} (seed ${seed}) into ${opts.out}`);
  for (const exercise of exercises) {
    const t0 = performance.now();
    const data = generateSynthetic(exercise, n, seed, profile);
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
