// `formscore compare`: rule-based vs network vs hybrid on the same test reps.

import type { Command } from 'commander';
import { runComparison, HYBRID_LABEL } from '../evaluate/comparison.js';
import { addPhaseOptions, phaseOptionsFrom, type PhaseCliOptions } from './options.js';

export function registerCompare(program: Command): void {
  addPhaseOptions(program
    .command('compare')
    .summary('rule-based vs network vs hybrid on the same test reps')
    .description(
      'Compare the three ways the app can score a rep on the same held-out test reps: rule-based (layer 1, from ' +
        `the raw angles), network only (layer 2), and the hybrid the app ships (${HYBRID_LABEL}). Prints ` +
        'MAE (all six dimensions) and mean Pearson r per exercise and approach with 95 % bootstrap intervals; writes ' +
        '<out>/results_comparison.csv (exercise, approach, n, mae, mean_pearson, overall_mae, overall_pearson, then <each>_lo/_hi).',
    ))
    .addHelpText('after', '\nExample:\n  formscore compare --phase 1')
    .action(async (opts: PhaseCliOptions) => {
      await runComparison(phaseOptionsFrom(opts));
    });
}
