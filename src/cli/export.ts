// `formscore export`: trained checkpoints → the app's form_scorer_<exercise>_v1.tflite
// files, verified in two TFLite runtimes before they are written.

import type { Command } from 'commander';
import { EXERCISES, resolveExercises } from '../data/exercises.js';
import { parsePhase } from '../train/phases.js';
import { APP_ASSETS_DIR, exportModels } from '../export/export.js';
import { DEFAULT_VERIFY_SAMPLES } from '../export/verify.js';
import { examplesHelp, wholeNumber } from './options.js';
import { tfliteFolder, DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EXPORT_DIR } from '../workspace/layout.js';

interface ExportCliOptions {
  all?: boolean;
  exercise?: string;
  phase?: string;
  exportDir: string;
  float32?: boolean;
  unroll?: boolean;
  verify: boolean;
  modelsDir: string;
  dataDir: string;
  samples: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .summary('verified .tflite files for the app')
    .description(
      'Export trained models as TFLite files for the app: form_scorer_<exercise>_v1.tflite, builtin ops only, ' +
        'input angle_sequence float32 [1, 90, 18], output scores float32 [1, 6] (sigmoid, ×100 in the app), ' +
        'signature serving_default. Default: fused UNIDIRECTIONAL_SEQUENCE_LSTM ops and float16 weights. ' +
        'Each file is checked in @tensorflow/tfjs-tflite (both forms) and LiteRT.js (--unroll form) against the ' +
        'training engine on ≥100 test reps (max |Δ| ≤ 5e-3 float16, ≤ 1e-5 float32) before anything is written.',
    )
    .option('--all', 'every exercise that has a trained model (others are skipped with a message)')
    .option('--exercise <name>', `one exercise: ${EXERCISES.join(', ')}`)
    .option('--phase <n>', 'training phase whose model to export (1, 2 or 3); default the latest phase that has one')
    .option('--export-dir <dir>', 'export folder: the .tflite files and export_summary.json go to <dir>/tflite/ (where formscore report reads them)', DEFAULT_EXPORT_DIR)
    .option('--float32', 'keep float32 weights (about twice the size) instead of float16')
    .option('--unroll', 'write each LSTM as per-time-step builtin ops (no variable tensors; runs in LiteRT) instead of fused LSTM ops')
    .option('--no-verify', 'skip the runtime verification')
    .option('--models-dir <dir>', 'folder holding saved/<exercise>_phase<N>_final/ checkpoints', DEFAULT_MODELS_DIR)
    .option('--data-dir <dir>', 'data folder for the test split used in verification (random inputs when absent)', DEFAULT_DATA_DIR)
    .option('--samples <n>', 'reps per runtime in verification (at least 100)', String(DEFAULT_VERIFY_SAMPLES))
    .addHelpText('after', [
      examplesHelp(
        'formscore export --all',
        'formscore export --exercise squat --phase 2',
        'formscore export --all --unroll --export-dir export-unrolled   # writes export-unrolled/tflite/',
      ),
      '',
      `Copy the written files into the app's ${APP_ASSETS_DIR} folder.`,
    ].join('\n'))
    .action((opts: ExportCliOptions) => runExport(opts));
}

async function runExport(opts: ExportCliOptions): Promise<void> {
  if (opts.all && opts.exercise) throw new Error('give either --all or --exercise <name>, not both');
  if (!opts.all && !opts.exercise) throw new Error('give --all or --exercise <name> (see formscore export --help)');
  const exercises = resolveExercises(opts.all ? 'all' : opts.exercise!);
  const phase = opts.phase !== undefined ? parsePhase(opts.phase) : undefined;
  const samples = wholeNumber('--samples', opts.samples, 100);
  const started = performance.now();
  const report = await exportModels({
    exercises, phase, requireModel: !opts.all, outputDir: tfliteFolder(opts.exportDir), modelsDir: opts.modelsDir, dataDir: opts.dataDir,
    form: opts.unroll ? 'unroll' : 'fused', dtype: opts.float32 ? 'float32' : 'float16', verify: opts.verify, samples,
  });
  console.log('');
  console.log(`Exported ${report.exported.length} model${report.exported.length === 1 ? '' : 's'} in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
  for (const e of report.exported) {
    const v = e.verification?.runtimes.map((r) => `${r.runtime} max|Δ| ${r.maxAbsDiff.toExponential(1)}, ${r.meanLatencyMs.toFixed(1)} ms`).join('; ');
    console.log(`  ${e.file}  ${(e.bytes / 1024).toFixed(1)} KB  (${e.form}, ${e.dtype}, phase ${e.phase}${v ? `; ${v}` : '; not verified'})`);
  }
  for (const s of report.skipped) console.log(`  skipped ${s.exercise}: no trained model`);
  console.log(`Summary: ${report.summaryPath}`);
  console.log(`Copy these to the app's ${APP_ASSETS_DIR} (e.g. cp ${report.outputDir}/*.tflite <app>/${APP_ASSETS_DIR}).`);
}
