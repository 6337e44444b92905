// `formscore evaluate`: a phase's models against the held-out test split, and against
// the rule scorer on pose-log sessions (the transfer to real recordings).

import type { Command } from 'commander';
import { runEvaluation, TARGETS } from '../evaluate/evaluation.js';
import { runSeedEvaluation, SEEDS_CSV, SEEDS_SUMMARY_CSV } from '../evaluate/seeds.js';
import { runTransfer, TRANSFER_CSV } from '../evaluate/transfer.js';
import { BENCHMARK_SPEC } from '../data/sessions.js';
import { addPhaseOptions, examplesHelp, phaseOptionsFrom, type PhaseCliOptions } from './options.js';

interface EvaluateCliOptions extends PhaseCliOptions {
  sessions?: string;
  transfer: boolean;
}

export function registerEvaluate(program: Command): void {
  addPhaseOptions(program
    .command('evaluate')
    .summary('MAE, RMSE, Pearson r and ICC(2,1) on the test split and, against the rules, on pose-log sessions')
    .description(
      'Score the held-out test split (the 15 % training never saw, rebuilt with the training seed) with each ' +
        "exercise's phase model (<ex>_phase<p>_final, else _best; exercises without one are skipped). Prints MAE, " +
        `RMSE, Pearson r and ICC(2,1) per dimension on 0-100 and checks the overall dimension against the targets ` +
        `(MAE < ${TARGETS.mae}, r > ${TARGETS.pearson}, ICC > ${TARGETS.icc}). Every metric has a 95 % percentile-bootstrap ` +
        'interval (--resamples, --bootstrap-seed), ICC also the F interval of McGraw & Wong (1996). Writes ' +
        '<out>/results_evaluation.csv (exercise, dimension, n, mae, rmse, pearson, icc, then <metric>_lo/_hi and icc_f_lo/_hi).\n\n' +
        'Then the transfer evaluation: the network against the app\'s rule scorer on pose-log sessions, read and ' +
        'resampled exactly as the app\'s exports are. By default the benchmark sessions in <data-dir>/benchmark/<ex>/ ' +
        `(${BENCHMARK_SPEC.sessions} simulated people × ${BENCHMARK_SPEC.repsPerSession} reps per exercise, written on first use with ` +
        'the benchmark\'s own seed and wider ranges than training); --sessions points at real recordings. ' +
        `Writes <out>/${TRANSFER_CSV} (same columns, network vs rule).\n\n` +
        'Where `train --seeds` trained the phase, every seed\'s model is evaluated on the same test split too: ' +
        `<out>/${SEEDS_CSV} (one row per seed and dimension) and <out>/${SEEDS_SUMMARY_CSV} (mean and SD across seeds).`,
    ))
    .option('--sessions <path>', 'pose-log CSV, or folder of them: <path>/<ex>/*.csv, or <path>/*.csv with one --exercise (default: the benchmark)')
    .option('--no-transfer', 'skip the transfer evaluation on pose-log sessions')
    .addHelpText('after', examplesHelp(
      'formscore evaluate --phase 1 --exercise squat',
      'formscore evaluate --phase 1 --exercise squat --sessions recordings/   # recordings/*.csv or recordings/squat/*.csv',
    ))
    .action(async (opts: EvaluateCliOptions) => {
      const options = phaseOptionsFrom(opts);
      await runEvaluation(options);
      await runSeedEvaluation(options);
      if (opts.transfer) await runTransfer({ ...options, sessions: opts.sessions });
    });
}
