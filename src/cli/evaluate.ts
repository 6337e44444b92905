// `formscore evaluate`: a phase's models against the held-out test split. Also holds
// the options that evaluate, compare, plot and report share (they read the same data).

import { Command, Option } from 'commander';
import { resolveExercises } from '../data/exercises.js';
import { parsePhase } from '../train/phases.js';
import { runEvaluation, TARGETS, type PhaseOptions } from '../evaluate/evaluation.js';
import { EXERCISE_OR_ALL, wholeNumber } from './options.js';

export interface PhaseCliOptions {
  phase: string;
  exercise: string;
  dataDir: string;
  modelsDir: string;
  out: string;
  seed?: string;
  engine: 'wasm' | 'reference';
  threads?: string;
}

/** Adds the options shared by evaluate / compare / plot / report. */
export function addPhaseOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--phase <n>', 'training phase whose models to use: 1, 2 or 3')
    .option('--exercise <name>', EXERCISE_OR_ALL, 'all')
    .option('--data-dir <dir>', 'data folder (reads <dir>/generated/<ex> and, for phases 2-3, <dir>/real/<ex>)', 'data')
    .option('--models-dir <dir>', 'models folder (reads saved/<ex>_phase<p>_final, else _best, and logs/)', 'models')
    .option('--out <dir>', 'output folder', 'evaluation')
    .option('--seed <n>', 'split seed; must be the one training used (default: the seed the checkpoint records, else 42)')
    .addOption(new Option('--engine <name>', 'inference engine: wasm (fast) or reference (plain TypeScript oracle)')
      .choices(['wasm', 'reference']).default('wasm'))
    .option('--threads <n>', 'worker threads for the wasm engine (default: the engine\'s own choice)');
}

/** Turns the parsed options into library options, with one-line errors naming the option. */
export function phaseOptionsFrom(opts: PhaseCliOptions): PhaseOptions & { outDir: string } {
  return {
    phase: parsePhase(opts.phase),
    exercises: resolveExercises(opts.exercise),
    dataDir: opts.dataDir,
    modelsDir: opts.modelsDir,
    outDir: opts.out,
    seed: wholeNumber('--seed', opts.seed, 0),
    engine: opts.engine,
    threads: wholeNumber('--threads', opts.threads, 1),
  };
}

export function registerEvaluate(program: Command): void {
  addPhaseOptions(program
    .command('evaluate')
    .description(
      'Score the held-out test split (the 15 % training never saw, rebuilt with the training seed) with each ' +
        "exercise's phase model (<ex>_phase<p>_final, else _best; exercises without one are skipped). Prints MAE, " +
        `RMSE, Pearson r and ICC(2,1) per dimension on 0-100 and checks the overall dimension against the targets ` +
        `(MAE < ${TARGETS.mae}, r > ${TARGETS.pearson}, ICC > ${TARGETS.icc}). Writes <out>/results_evaluation.csv ` +
        '(exercise, dimension, n, mae, rmse, pearson, icc).',
    ))
    .addHelpText('after', '\nExample:\n  formscore evaluate --phase 1 --exercise squat')
    .action(async (opts: PhaseCliOptions) => {
      await runEvaluation(phaseOptionsFrom(opts));
    });
}
