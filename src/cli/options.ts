// Options shared by the commands, so that every command names a bad value the same
// way (`--batch must be a positive whole number, got "x"`), and the phase options that
// evaluate, compare, plot and report share (they read the same data and models).

import { type Command, Option } from 'commander';
import { EXERCISES, isExercise, resolveExercises, type Exercise } from '../data/exercises.js';
import { parsePhase } from '../train/phases.js';
import type { PhaseOptions } from '../evaluate/evaluation.js';
import { checkWritableDir } from '../util/writable.js';
import { BOOTSTRAP_DEFAULTS, MIN_RESAMPLES } from '../evaluate/bootstrap.js';
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR } from '../workspace/layout.js';

/** Help text of every `--exercise` option that also accepts "all". */
export const EXERCISE_OR_ALL = `all, or one of ${EXERCISES.join(', ')}`;

/** The block that ends a command's help: a blank line, `Examples:`, then one command line each, indented. */
export function examplesHelp(...commandLines: string[]): string {
  return ['', 'Examples:', ...commandLines.map((line) => `  ${line}`)].join('\n');
}

/** The one exercise a command works on (annotate, score): "all" is refused. */
export function oneExercise(value: string): Exercise {
  if (isExercise(value)) return value;
  const names = EXERCISES.join(', ');
  throw new Error(value === 'all' ? `--exercise must name one exercise (${names}), not all` : `unknown exercise "${value}" (expected one of: ${names})`);
}

/** A whole number ≥ min from a flag's text, or a one-line error naming the flag; undefined stays undefined. */
export function wholeNumber(flag: string, value: string, min: number): number;
export function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined;
export function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const v = Number(text);
  if (text === '' || !Number.isSafeInteger(v) || v < min) {
    throw new Error(`${flag} must be ${min === 1 ? 'a positive whole number' : `a whole number ≥ ${min}`}, got "${value}"`);
  }
  return v;
}

/** A finite number > 0 from a flag's text (a learning rate), or a one-line error; undefined stays undefined. */
export function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const v = Number(text);
  if (text === '' || !Number.isFinite(v) || v <= 0) throw new Error(`${flag} must be a positive number, got "${value}"`);
  return v;
}

/**
 * The seeds of `--seeds`: a count N (seeds base, base + 1, …, base + N − 1, base being
 * --seed or 42), or a comma list of distinct seeds; a one-line error naming the flag otherwise.
 */
export function seedList(value: string | undefined, base: number): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value).split(',').map((p) => p.trim());
  if (parts.length === 1) return Array.from({ length: wholeNumber('--seeds', value, 1) }, (_, i) => base + i);
  const seeds = parts.map((p) => {
    const v = Number(p);
    if (p === '' || !Number.isSafeInteger(v) || v < 0) throw new Error(`--seeds must be a count or a comma list of whole numbers ≥ 0, got "${value}"`);
    return v;
  });
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new Error(`--seeds lists seed ${repeated} twice in "${value}"`);
  return seeds;
}

export interface PhaseCliOptions {
  phase: string;
  exercise: string;
  dataDir: string;
  modelsDir: string;
  out: string;
  seed?: string;
  engine: 'wasm' | 'reference';
  threads?: string;
  resamples?: string;
  bootstrapSeed?: string;
}

/** Adds the options shared by evaluate / compare / plot / report. */
export function addPhaseOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--phase <n>', 'training phase whose models to use: 1, 2 or 3')
    .option('--exercise <name>', EXERCISE_OR_ALL, 'all')
    .option('--data-dir <dir>', 'data folder (reads <dir>/generated/<ex> and, for phases 2-3, <dir>/real/<ex>)', DEFAULT_DATA_DIR)
    .option('--models-dir <dir>', 'models folder (reads saved/<ex>_phase<p>_final, else _best, and logs/)', DEFAULT_MODELS_DIR)
    .option('--out <dir>', 'output folder', DEFAULT_EVALUATION_DIR)
    .option('--seed <n>', 'split seed; must be the one training used (default: the seed the checkpoint records, else 42)')
    .addOption(new Option('--engine <name>', 'inference engine: wasm (fast) or reference (plain TypeScript oracle)')
      .choices(['wasm', 'reference']).default('wasm'))
    .option('--threads <n>', 'worker threads for the wasm engine (default: the engine\'s own choice)')
    .option('--resamples <n>', `bootstrap resamples of the 95 % confidence intervals (at least ${MIN_RESAMPLES})`, String(BOOTSTRAP_DEFAULTS.resamples))
    .option('--bootstrap-seed <n>', 'seed of the bootstrap resamples', String(BOOTSTRAP_DEFAULTS.seed));
}

/** Turns the parsed options into library options, with one-line errors naming the option; the output folder must be writable. */
export function phaseOptionsFrom(opts: PhaseCliOptions): PhaseOptions & { outDir: string } {
  checkWritableDir(opts.out);
  return {
    phase: parsePhase(opts.phase),
    exercises: resolveExercises(opts.exercise),
    dataDir: opts.dataDir,
    modelsDir: opts.modelsDir,
    outDir: opts.out,
    seed: wholeNumber('--seed', opts.seed, 0),
    engine: opts.engine,
    threads: wholeNumber('--threads', opts.threads, 1),
    bootstrap: {
      resamples: wholeNumber('--resamples', opts.resamples ?? String(BOOTSTRAP_DEFAULTS.resamples), MIN_RESAMPLES),
      seed: wholeNumber('--bootstrap-seed', opts.bootstrapSeed ?? String(BOOTSTRAP_DEFAULTS.seed), 0),
    },
  };
}
