// `formscore score`: rule, network and hybrid scores for every rep of a real pose log.

import type { Command } from 'commander';
import { DIMENSIONS, EXERCISES } from '../data/exercises.js';
import { scoreSession, type SessionScores } from '../score/session.js';
import { examplesHelp, oneExercise } from './options.js';
import { DEFAULT_MODELS_DIR } from '../workspace/layout.js';

interface ScoreCliOptions {
  exercise: string;
  model?: string;
  modelsDir: string;
  json?: boolean;
  segment?: boolean;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .summary('rule, network and hybrid scores for every rep of a pose log')
    .description(
      'Score every rep of a pose-log CSV the way the app will: rule-based (layer 1), network (layer 2: a checkpoint, ' +
        'or an exported .tflite file run in a TFLite runtime) and hybrid (0.30 rule + 0.70 network), all on 0-100. ' +
        'A rep whose input statistics (peak angular velocity, jitter, left/right difference, range of each angle) fall ' +
        'outside the central 99 % of the model\'s training data is flagged, naming the statistic: the network\'s number ' +
        'is not to be trusted there.',
    )
    .argument('<session.csv>', 'pose log exported by the app (one row per frame, nine angle columns, optional rep_id; without it the reps are found as in annotate)')
    .requiredOption('--exercise <name>', `one of ${EXERCISES.join(', ')}`)
    .option('--model <path>', 'checkpoint folder or .tflite file (default: the latest phase checkpoint under --models-dir)')
    .option('--models-dir <dir>', 'folder holding saved/<exercise>_phase<N>_final/', DEFAULT_MODELS_DIR)
    .option('--json', 'print one JSON document instead of the table')
    .option('--segment', 'find the reps from the primary joint angle even when the log has rep_id (a log without it always is segmented)')
    .addHelpText('after', examplesHelp(
      'formscore score --exercise squat session.csv',
      'formscore score --exercise squat session.csv --model export/tflite/form_scorer_squat_v1.tflite --json',
    ))
    .action(async (file: string, opts: ScoreCliOptions) => {
      const exercise = oneExercise(opts.exercise);
      const result = await scoreSession(file, exercise, { model: opts.model, modelsDir: opts.modelsDir, segment: opts.segment });
      for (const w of result.warnings) console.error(`warning: ${w}`);
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatSession(result));
    });
}

/** One block per rep: a row per approach, a column per dimension. */
function formatSession(s: SessionScores): string {
  const runtime = s.model.runtime ? ` via ${s.model.runtime}` : '';
  const head = `${'rep'.padEnd(6)}${'approach'.padEnd(10)}${DIMENSIONS.map((d) => d.padStart(10)).join('')}`;
  const lines = [`${s.file}: ${s.reps.length} reps of ${s.exercise}, network ${s.model.kind} ${s.model.path}${runtime}`, '', head];
  for (const rep of s.reps) {
    (['rule', 'network', 'hybrid'] as const).forEach((approach, k) => {
      const cells = rep[approach].map((v) => v.toFixed(1).padStart(10)).join('');
      lines.push(`${(k === 0 ? rep.repId : '').padEnd(6)}${approach.padEnd(10)}${cells}`);
    });
    if (rep.domainGaps.length) lines.push(`${''.padEnd(6)}outside the training data, do not trust the network here: ${rep.domainGaps.join('; ')}`);
  }
  if (s.domainCheck) {
    const outside = s.reps.filter((r) => r.domainGaps.length).length;
    lines.push('', `${outside} of ${s.reps.length} reps outside the model's training data (central 99 % of each input statistic)`);
  }
  return lines.join('\n');
}
