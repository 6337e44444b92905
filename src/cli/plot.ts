// `formscore plot`: the evaluation figures as PNG and SVG.

import type { Command } from 'commander';
import { runPlot } from '../evaluate/figures/index.js';
import { addPhaseOptions, phaseOptionsFrom, type PhaseCliOptions } from './options.js';

export function registerPlot(program: Command): void {
  addPhaseOptions(program
    .command('plot')
    .summary('evaluation figures as SVG and PNG')
    .description(
      'Draw the figures of a phase into <out>/figures/ as SVG and PNG (text in the bundled DejaVu Sans font): ' +
        'scatter_<ex> (network vs truth, six panels with r and MAE), error_dist_<ex> (error histograms with bias ' +
        'and sigma), bland_altman_<ex> (network and rule vs truth: bias, limits of agreement and their CIs), training_curves_<ex> (from models/logs/<ex>_phase<p>_history.csv), mae_heatmap, ' +
        'hybrid_comparison, score_distributions and sample_reps (from the synthetic data). Figures whose inputs ' +
        'are missing are left out with a message.',
    ))
    .addHelpText('after', '\nExample:\n  formscore plot --phase 1 && ls evaluation/figures')
    .action(async (opts: PhaseCliOptions) => {
      await runPlot(phaseOptionsFrom(opts));
    });
}
