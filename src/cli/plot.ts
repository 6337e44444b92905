// `formscore plot`: the evaluation figures as PNG, SVG and PDF.

import type { Command } from 'commander';
import { FIGURE_FORMATS, runPlot, type FigureFormat, type FigureStyle } from '../evaluate/figures/index.js';
import { addPhaseOptions, examplesHelp, phaseOptionsFrom, wholeNumber, type PhaseCliOptions } from './options.js';

interface PlotCliOptions extends PhaseCliOptions {
  format: string;
  width?: string;
  fontSize?: string;
  titles: boolean;
}

export function registerPlot(program: Command): void {
  addPhaseOptions(program
    .command('plot')
    .summary('evaluation figures as PNG, SVG and PDF')
    .description(
      'Draw the figures of a phase into <out>/figures/ (text in the bundled DejaVu Sans font, embedded in PDFs): ' +
        'scatter_<ex> (network vs truth, six panels with r and MAE), error_dist_<ex> (error histograms with bias ' +
        'and sigma), bland_altman_<ex> (network and rule vs truth: bias, limits of agreement and their CIs), ' +
        'bland_altman_annotators_<ex> (two annotators of the real reps, where they exist), training_curves_<ex> ' +
        '(from models/logs/<ex>_phase<p>_history.csv), mae_heatmap (phases side by side when several have models), ' +
        'transfer_mae, hybrid_comparison, score_distributions and sample_reps (from the synthetic data). Figures whose inputs ' +
        'are missing are left out with a message.',
    ))
    .option('--format <list>', `comma list of ${FIGURE_FORMATS.join(', ')}`, 'png,svg')
    .option('--width <px>', 'width of every figure in px (1 px = 1 pt in the PDF); panels are resized, text keeps its size (default: as designed)')
    .option('--font-size <px>', 'axis-label size in px; titles, headers and legends scale with it (default 11)')
    .option('--no-titles', 'leave out figure titles and subtitles (for a caption of your own); panel headers stay')
    .addHelpText('after', examplesHelp(
      'formscore plot --phase 1 && ls evaluation/figures',
      'formscore plot --phase 1 --format pdf --width 480 --font-size 9 --no-titles   # for a thesis page',
    ))
    .action(async (opts: PlotCliOptions) => {
      const style = figureStyle(opts);
      await runPlot({ ...phaseOptionsFrom(opts), style });
    });
}

/** The figure options, each bad value named by its flag. */
export function figureStyle(opts: Pick<PlotCliOptions, 'format' | 'width' | 'fontSize' | 'titles'>): FigureStyle {
  const formats = opts.format.split(',').map((f) => f.trim().toLowerCase());
  const bad = formats.find((f) => !(FIGURE_FORMATS as readonly string[]).includes(f));
  if (bad !== undefined) throw new Error(`--format: unknown format "${bad}" in "${opts.format}" (expected a comma list of ${FIGURE_FORMATS.join(', ')})`);
  const width = wholeNumber('--width', opts.width, 1);
  const fontSize = wholeNumber('--font-size', opts.fontSize, 1);
  if (width !== undefined && width < 100) throw new Error(`--width must be at least 100 px, got "${opts.width}"`);
  if (fontSize !== undefined && fontSize > 48) throw new Error(`--font-size must be at most 48 px, got "${opts.fontSize}"`);
  return { formats: [...new Set(formats)] as FigureFormat[], width, fontSize, titles: opts.titles };
}
