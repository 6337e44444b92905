// `formscore evaluate`: a phase's models against the held-out test split.

import type { Command } from 'commander';
import { runEvaluation, TARGETS } from '../evaluate/evaluation.js';
import { addPhaseOptions, phaseOptionsFrom, type PhaseCliOptions } from './options.js';

export function registerEvaluate(program: Command): void {
  addPhaseOptions(program
    .command('evaluate')
    .summary('MAE, RMSE, Pearson r and ICC(2,1) on the held-out test split')
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
