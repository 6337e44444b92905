// `formscore report`: the self-contained HTML analysis report.

import type { Command } from 'commander';
import { runReport } from '../evaluate/report.js';
import { addPhaseOptions, phaseOptionsFrom, type PhaseCliOptions } from './options.js';
import { DEFAULT_EXPORT_DIR } from '../workspace/layout.js';

export function registerReport(program: Command): void {
  addPhaseOptions(program
    .command('report')
    .summary('self-contained HTML report of a phase')
    .description(
      'Write <out>/report.html: one self-contained page (no network access needed; vega is inlined) with the ' +
        'dataset summary and score distributions, sample reps, training curves, the evaluation tables and MAE ' +
        'heatmap with scatter and error plots, 95 % confidence intervals, Bland-Altman plots, the paired ' +
        'rule/network/hybrid comparison, the transfer to pose-log sessions, phases 1-3 side by side where their ' +
        'models exist, the spread across seeds after train --seeds, and the exported TFLite files ' +
        '(sizes, and parity/latency from <export-dir>/tflite/export_summary.json when present). Charts show ' +
        'tooltips on hover; click a table header to sort.',
    ))
    .option('--export-dir <dir>', 'export folder (reads <dir>/tflite/*.tflite and export_summary.json)', DEFAULT_EXPORT_DIR)
    .addHelpText('after', '\nExample:\n  formscore report --phase 1 && xdg-open evaluation/report.html')
    .action(async (opts: PhaseCliOptions & { exportDir: string }) => {
      await runReport({ ...phaseOptionsFrom(opts), exportDir: opts.exportDir });
    });
}
