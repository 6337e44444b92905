// `formscore pipeline`: the main job, from nothing to verified .tflite files and a report.

import type { Command } from 'commander';
import { resolveExercises } from '../data/exercises.js';
import { DATA_PROFILES, DEFAULT_PROFILE, parseProfile } from '../data/synthetic.js';
import { ProgressBar, formatDuration } from '../train/progress.js';
import { parsePreset } from '../pipeline/presets.js';
import { runPipeline, STATE_FILE, type PipelineResult } from '../pipeline/pipeline.js';
import { checkWritableDir } from '../util/writable.js';
import { EXERCISE_OR_ALL, examplesHelp, seedList, wholeNumber } from './options.js';
import { stopOnInterrupt } from './interrupt.js';
import { DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, DEFAULT_EXPORT_DIR } from '../workspace/layout.js';

interface PipelineCliOptions {
  preset: string;
  profile: string;
  exercise: string;
  threads?: string;
  jobs?: string;
  seeds?: string;
}

export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .summary('the whole job: data, training, evaluation, figures, TFLite export and report')
    .description(
      'Run the whole job in the current folder: generate synthetic data, train phase 1 (phases 2 and 3 for ' +
        'exercises with annotated reps in data/real/<exercise>/), evaluate, compare, plot, export verified float16 ' +
        `TFLite and write the report. Finished steps are recorded in ${STATE_FILE} and skipped on a re-run; ` +
        'interrupted training resumes from its last checkpoint.',
    )
    .option('--preset <name>', 'quick: 500 reps and 8 epochs per exercise (about a minute); full: 8,000 realistic reps (16,000 for the plank) pre-trained for 80 epochs, or the seed recipe (5,000 seed-profile reps, 50/30/20 epochs)', 'quick')
    .option('--profile <name>', `synthetic training data: ${DATA_PROFILES.join(' or ')} (see formscore generate --help)`, DEFAULT_PROFILE)
    .option('--exercise <name>', EXERCISE_OR_ALL, 'all')
    .option('--threads <n>', 'threads in all (default: all cores)')
    .option('--jobs <n>', 'exercises trained at once, each on threads/jobs threads (default: as many as the threads and exercises ' +
      'allow; 1 trains one exercise at a time on every thread)')
    .option('--seeds <n|list>', 'train every phase N times (seeds 42, 43, ...) or once per listed seed on one split, evaluate each ' +
      '(evaluation/results_seeds.csv, mean ± SD), and export the seed with the lowest val MAE')
    .addHelpText('after', examplesHelp(
      'formscore pipeline --preset quick',
      'formscore pipeline --preset full --exercise squat',
      'formscore pipeline --preset full --jobs 1           # one exercise at a time, each on every thread',
      'formscore pipeline --preset quick --seeds 3',
    ))
    .action((opts: PipelineCliOptions) => runPipelineCli(opts));
}

async function runPipelineCli(opts: PipelineCliOptions): Promise<void> {
  const preset = parsePreset(opts.preset);
  const profile = parseProfile(opts.profile);
  const exercises = resolveExercises(opts.exercise);
  const threads = wholeNumber('--threads', opts.threads, 1);
  const jobs = wholeNumber('--jobs', opts.jobs, 1);
  const seeds = seedList(opts.seeds, preset.seed);
  // The folders every step writes under the current one, checked before hours of work.
  for (const dir of [DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, DEFAULT_EXPORT_DIR]) checkWritableDir(dir);
  const started = performance.now();
  const progress = new ProgressBar(process.stdout);
  const interrupt = stopOnInterrupt(progress, 'run the same command to continue');
  try {
    console.log(`formscore pipeline --preset ${preset.name} --profile ${profile}${seeds ? ` --seeds ${seeds.join(',')}` : ''}: ${exercises.join(', ')}`);
    const result = await runPipeline({ preset, profile, exercises, threads, jobs, seeds, progress, shouldStop: interrupt.requested, log: (l) => progress.message(l) });
    if (result.status === 'interrupted') {
      console.log(`Interrupted after ${formatDuration((performance.now() - started) / 1000)}; run the same command to continue.`);
      process.exitCode = 130;
      return;
    }
    console.log(formatSummary(result, (performance.now() - started) / 1000));
  } finally {
    interrupt.dispose();
  }
}

function formatSummary(r: PipelineResult, seconds: number): string {
  const lines = [
    '',
    `Pipeline finished in ${formatDuration(seconds)} (${r.ran.length} steps run, ${r.skipped.length} current and skipped).`,
    '',
    `${'exercise'.padEnd(12)}${'phase'.padStart(6)}${'test MAE'.padStart(10)}${'Pearson'.padStart(9)}${'ICC'.padStart(7)}` +
      `${'sessions MAE'.padStart(14)}${'Pearson'.padStart(9)}${'TFLite'.padStart(10)}`,
  ];
  const num = (x: number | null, digits: number) => (x === null ? '-' : x.toFixed(digits));
  for (const s of r.summary) {
    const size = s.tfliteBytes === null ? '-' : `${(s.tfliteBytes / 1024).toFixed(0)} KB`;
    lines.push(
      `${s.exercise.padEnd(12)}${String(s.phase).padStart(6)}${s.mae.toFixed(2).padStart(10)}${s.pearson.toFixed(3).padStart(9)}` +
        `${s.icc.toFixed(3).padStart(7)}${num(s.transferMae, 2).padStart(14)}${num(s.transferPearson, 3).padStart(9)}${size.padStart(10)}`,
    );
  }
  lines.push(
    '(overall dimension, 0-100 scale: test MAE against the ground truth of the held-out test split;',
    ' sessions MAE against the rule scorer on the benchmark pose-log sessions, as the phone will see them)',
  );
  const seeded = r.summary.filter((s) => s.seeds);
  if (seeded.length) {
    lines.push('', 'Across seeds (overall test MAE, mean ± SD; the exported model is the seed with the lowest val MAE):');
    for (const s of seeded) lines.push(`  ${s.exercise.padEnd(12)}${s.seeds!.maeMean.toFixed(2)} ± ${s.seeds!.maeSd.toFixed(2)} over ${s.seeds!.count} seeds, exported seed ${s.seeds!.selected}`);
  }
  lines.push('', 'Outputs:');
  for (const [what, where] of Object.entries(r.outputs)) lines.push(`  ${what.padEnd(48)} ${where}`);
  return lines.join('\n');
}
