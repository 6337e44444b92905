// `formscore train`: the three training phases for one exercise or all of them, each
// exercise in a worker thread of its own, several at once (train/jobs.ts).

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveExercises, type Exercise } from '../data/exercises.js';
import { DATA_PROFILES, DEFAULT_PROFILE, parseProfile } from '../data/synthetic.js';
import { PHASES, parsePhase, type PhaseConfig } from '../train/phases.js';
import { ProgressBar } from '../train/progress.js';
import { MissingInputError, messageWithAdvice } from '../workspace/errors.js';
import { jobCount, runJobs, StopFlag, trainInWorker } from '../train/jobs.js';
import { runSeedEvaluation } from '../evaluate/seeds.js';
import { checkWritableDir } from '../util/writable.js';
import { EXERCISE_OR_ALL, examplesHelp, positiveNumber, seedList, wholeNumber } from './options.js';
import { stopOnInterrupt } from './interrupt.js';
import {
  DEFAULT_SEED, PHASE_NUMBERS, DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, SEQUENCES_NPY, repFolder, type Phase, type RepSource,
} from '../workspace/layout.js';

interface TrainCliOptions {
  exercise: string;
  profile: string;
  phase: string;
  epochs?: string;
  batch?: string;
  lr?: string;
  seed?: string;
  seeds?: string;
  evaluationDir: string;
  threads?: string;
  jobs?: string;
  resume?: boolean;
  dataDir: string;
  modelsDir: string;
}

/** "80 epochs (seed profile 50)", or "30 epochs" when both profiles agree. */
const epochText = (e: PhaseConfig['epochs']) => `${e.realistic} epochs${e.seed === e.realistic ? '' : ` (seed profile ${e.seed})`}`;

const phaseTable = PHASE_NUMBERS
  .map((p) => {
    const t = PHASES[p];
    const data = t.includeReal ? 'synthetic + real' : `synthetic${t.augment ? `, train ×${t.augment + 1} augmented` : ''}`;
    const from = t.startsFrom.length ? t.startsFrom.map((f) => `phase ${f} final`).join(', else ') : 'fresh model';
    const frozen = t.frozen.length ? t.frozen.join('+') : 'none';
    return `  ${p} ${t.name.padEnd(15)} ${data.padEnd(31)} frozen ${frozen.padEnd(12)} lr ${t.learningRate.toExponential(0)}  ${epochText(t.epochs)}  batch ${t.batchSize}  from ${from}  (target val MAE < ${t.targetMae})`;
  })
  .join('\n');

export function registerTrain(program: Command): void {
  program
    .command('train')
    .summary('train one exercise (or all) in training phase 1, 2 or 3')
    .description(
      'Train the form scorer of one exercise (or all) in one of three phases, with Keras-style callbacks: ' +
        'best checkpoint on val_mae, early stopping (patience 10, best weights restored), learning rate ' +
        'halved on plateau (patience 5, min 1e-7), a CSV history and TensorBoard event files.',
    )
    .requiredOption('--exercise <name>', EXERCISE_OR_ALL)
    .option('--phase <n>', '1 pre-train, 2 fine-tune, 3 full fine-tune (see below)', '1')
    .option('--profile <name>', `${DATA_PROFILES.join(' or ')}: the synthetic profile the data in <data-dir>/generated/ must hold (formscore generate --profile)`, DEFAULT_PROFILE)
    .option('--epochs <n>', "epochs (default: the phase's)")
    .option('--batch <n>', "batch size (default: the phase's)")
    .option('--lr <x>', "learning rate (default: the phase's)")
    .option('--seed <n>', 'seed of the data split, augmentation, initialisation, dropout and shuffling (default: 42)')
    .option('--seeds <n|list>', 'train N models (seeds --seed, --seed + 1, ...) or one per listed seed (7,11,13) on the split of --seed; ' +
      'evaluate each and keep the one with the lowest val MAE as the phase\'s model')
    .option('--threads <n>', 'threads in all (default: one per core)')
    .option('--jobs <n>', 'with --exercise all: exercises trained at once, each on threads/jobs threads (default: as many as the threads ' +
      'and exercises allow; the one left to train alone gets every thread)')
    .option('--resume', 'continue an interrupted run from models/saved/<ex>_phase<p>_last/ (same batch, seed and optimizer state; --epochs may extend it)')
    .option('--data-dir <dir>', 'data folder (generated/<ex>/ from `formscore generate`, real/<ex>/ from `formscore annotate`)', DEFAULT_DATA_DIR)
    .option('--models-dir <dir>', 'models folder (saved/ checkpoints, logs/ histories and TensorBoard files)', DEFAULT_MODELS_DIR)
    .option('--evaluation-dir <dir>', 'with --seeds: where results_seeds.csv and results_seeds_summary.csv go', DEFAULT_EVALUATION_DIR)
    .addHelpText(
      'after',
      `
Phases:
${phaseTable}

Writes, for exercise <ex> and phase <p>, under the models folder:
  saved/<ex>_phase<p>_best/     the epoch with the lowest val_mae (TF.js Layers format + optimizer state)
  saved/<ex>_phase<p>_final/    the model at the end (best weights restored): what the next phase starts from
  saved/<ex>_phase<p>_last/     resume point, rewritten after every epoch
  logs/<ex>_phase<p>_history.csv  epoch (from 0, as Keras), loss, mae, val_loss, val_mae, lr (MSE/MAE on the 0-1 scale)
  logs/<ex>_phase<p>/           TensorBoard runs train/ and validation/ (epoch_loss, epoch_mae): tensorboard --logdir models/logs

With --seeds, each seed <s> writes the same files as <ex>_phase<p>_seed<s>_best/, _final/, _last/,
logs/<ex>_phase<p>_seed<s>_history.csv and logs/<ex>_phase<p>_seed<s>/; the seed with the lowest
best val MAE is copied to the usual _best/, _final/ and history, and saved/<ex>_phase<p>_seeds.json
records every seed's val MAE and the selected one. All seeds share the split of --seed.

Ctrl-C stops after the current step and keeps the last good checkpoint (exit 130);
run the same command with --resume to continue. Phases 2 and 3 need real annotated
reps in data/real/<ex>/ (formscore annotate); with --exercise all, exercises without
them are skipped.
${examplesHelp(
    'formscore generate --exercise squat && formscore train --exercise squat --phase 1',
    'formscore train --exercise all --phase 2 --threads 2',
    'formscore train --exercise all --phase 1 --jobs 1    # one exercise at a time, each on every thread',
    'formscore train --exercise squat --phase 1 --resume',
    'formscore train --exercise squat --phase 1 --seeds 5 --epochs 20',
  )}`,
    )
    .action((opts: TrainCliOptions) => runTrain(opts));
}

async function runTrain(opts: TrainCliOptions): Promise<void> {
  const exercises = resolveExercises(opts.exercise);
  const phase = parsePhase(opts.phase);
  const profile = parseProfile(opts.profile);
  const epochs = wholeNumber('--epochs', opts.epochs, 1);
  const batchSize = wholeNumber('--batch', opts.batch, 1);
  const learningRate = positiveNumber('--lr', opts.lr);
  const seed = wholeNumber('--seed', opts.seed, 0);
  const seeds = seedList(opts.seeds, seed ?? DEFAULT_SEED);
  const threads = wholeNumber('--threads', opts.threads, 1) ?? availableParallelism();
  const jobs = jobCount('train', threads, wholeNumber('--jobs', opts.jobs, 1), exercises.length);
  const single = exercises.length === 1;
  checkWritableDir(opts.modelsDir, 'models folder');
  if (seeds) checkWritableDir(opts.evaluationDir, 'evaluation folder');

  const progress = new ProgressBar(process.stdout);
  const interrupt = stopOnInterrupt(progress, 'run the same command with --resume to continue');
  const log = (line: string) => progress.message(line);

  const trained = new Set<Exercise>();
  const headlines = new Map<Exercise, string>();
  let failed = 0;
  // one job per exercise; an exercise that fails is skipped (with --exercise all) while the others go on
  const job = (exercise: Exercise) => async (jobThreads: number): Promise<boolean> => {
    const spec = {
      exercise, phase, seeds, dataDir: opts.dataDir, modelsDir: opts.modelsDir, epochs, batchSize, learningRate, seed, profile,
      threads: jobThreads, resume: !!opts.resume,
    };
    try {
      const { status, lines, headline } = await trainInWorker(spec, stop, { progress, log, sideBySide: jobs > 1 });
      for (const line of lines) log(line);
      headlines.set(exercise, headline);
      if (status === 'interrupted') return false;
      trained.add(exercise);
    } catch (err) {
      if (single) throw err;
      console.error(`formscore: skipping ${exercise}: ${messageWithAdvice(err)}`);
      headlines.set(exercise, `${exercise} phase ${phase}: skipped (${err instanceof MissingInputError ? `missing ${err.kind}` : 'error'})`);
      // Missing real data is expected for some exercises in phases 2-3; anything else is a failure.
      if (!(err instanceof MissingInputError && err.kind === 'real-data')) failed++;
    }
    return true;
  };
  const queue = exercises.map((e) => ({ cost: trainingDataBytes(opts.dataDir, e, phase), run: job(e) })).sort((a, b) => b.cost - a.cost);
  const stop = new StopFlag();
  try {
    if (!(await runJobs(queue, threads, jobs, stop, interrupt.requested))) {
      process.exitCode = 130;
      return;
    }
    if (!single) console.log(['', `Phase ${phase} overview:`, ...exercises.map((e) => `  ${headlines.get(e)}`)].join('\n'));
    const done = exercises.filter((e) => trained.has(e));
    if (done.length === 0) throw new Error(`nothing trained for phase ${phase} (${exercises.join(', ')}): see the messages above`);
    if (seeds) {
      await runSeedEvaluation({ phase, exercises: done, dataDir: opts.dataDir, modelsDir: opts.modelsDir, outDir: opts.evaluationDir, threads });
    }
    if (failed > 0) process.exitCode = 1;
  } finally {
    interrupt.dispose();
  }
}

/**
 * How much a phase of an exercise trains on, to start the longest first: the bytes of
 * the rep files it reads (generated reps, and the real ones from phase 2 on); 0 when
 * they are missing (the job then says so).
 */
function trainingDataBytes(dataDir: string, exercise: Exercise, phase: Phase): number {
  const sources: RepSource[] = PHASES[phase].includeReal ? ['generated', 'real'] : ['generated'];
  return sources.reduce((sum, source) => {
    const file = join(repFolder(dataDir, source, exercise), SEQUENCES_NPY);
    return sum + (existsSync(file) ? statSync(file).size : 0);
  }, 0);
}
