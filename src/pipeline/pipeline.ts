// `formscore pipeline`: the whole job in one command. Generate synthetic data, train
// phase 1 (phases 2 and 3 where real annotated reps exist), evaluate, compare, plot,
// export verified float16 TFLite and write the report. Each step records itself in
// pipeline_state.json; a re-run skips what is current and resumes interrupted training.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Exercise } from '../data/exercises.js';
import { type DataProfile, DEFAULT_PROFILE, generateSynthetic, writeSynthetic } from '../data/synthetic.js';
import { BENCHMARK_SPEC, sessionFileName, writeBenchmarkSessions } from '../data/sessions.js';
import { hasRealData } from '../data/dataset.js';
import { runSeedEvaluation, SEEDS_CSV, SEEDS_SUMMARY_CSV } from '../evaluate/seeds.js';
import type { ProgressBar } from '../train/progress.js';
import { jobCount, runJobs, StopFlag, trainInWorker } from '../train/jobs.js';
import { runEvaluation, EVALUATION_CSV } from '../evaluate/evaluation.js';
import { runComparison, COMPARISON_CSV } from '../evaluate/comparison.js';
import { BENCHMARK_DIR, runTransfer, TRANSFER_CSV } from '../evaluate/transfer.js';
import { runPlot } from '../evaluate/figures/index.js';
import { runReport, REPORT_HTML } from '../evaluate/report.js';
import { exportModels, tfliteFileName } from '../export/export.js';
import { PipelineState } from './state.js';
import { presetSamples, type Preset } from './presets.js';
import {
  DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_EVALUATION_DIR, DEFAULT_EXPORT_DIR, repFolder, sourceFolder,
  savedFolder, logsFolder, phasePaths, tfliteFolder, PIPELINE_STATE_JSON, SEQUENCES_NPY, SCORES_NPY, figuresFolder,
  type Phase,
} from '../workspace/layout.js';

export const STATE_FILE = PIPELINE_STATE_JSON;

export interface PipelineOptions {
  preset: Preset;
  /** Synthetic profile of the training data; default realistic. */
  profile?: DataProfile;
  exercises: Exercise[];
  dataDir?: string; // default 'data'
  modelsDir?: string; // default 'models'
  evaluationDir?: string; // default 'evaluation'
  exportDir?: string; // default 'export'
  stateFile?: string; // default pipeline_state.json
  /** Threads in all (default: os.availableParallelism()). */
  threads?: number;
  /** Exercises trained at once, each on threads / jobs threads (default: as many as threads and exercises allow). */
  jobs?: number;
  /** Train every phase once per seed (`train --seeds`) and evaluate each; absent: one run, as always. */
  seeds?: readonly number[];
  progress?: ProgressBar | null;
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export interface ExerciseSummary {
  exercise: Exercise;
  phase: Phase;
  mae: number; // overall dimension, test split, 0-100
  pearson: number;
  icc: number;
  /** Overall dimension, network vs rule on the benchmark sessions (null when not evaluated). */
  transferMae: number | null;
  transferPearson: number | null;
  tfliteBytes: number | null;
  /** With --seeds: the overall test MAE across seeds and the exported seed. */
  seeds: { count: number; maeMean: number; maeSd: number; selected: number } | null;
}

export interface PipelineResult {
  status: 'done' | 'interrupted';
  ran: string[];
  skipped: string[];
  summary: ExerciseSummary[];
  outputs: Record<string, string>;
}

/** One unit of work: done when its fingerprint matches, its outputs exist and its inputs are older. */
interface Step {
  id: string;
  dependsOn: string[];
  settings: Record<string, unknown>;
  outputs: string[];
  /** `resume` is true when this same step was interrupted before; `threads` is a training step's share. */
  run(resume: boolean, threads: number): Promise<'done' | 'interrupted'>;
  /** A training step: the exercise whose phases run in order, and its cost (samples × epochs) to order the jobs by. */
  job?: { exercise: Exercise; cost: number };
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const dirs = {
    data: opts.dataDir ?? DEFAULT_DATA_DIR,
    models: opts.modelsDir ?? DEFAULT_MODELS_DIR,
    evaluation: opts.evaluationDir ?? DEFAULT_EVALUATION_DIR,
    export: opts.exportDir ?? DEFAULT_EXPORT_DIR,
  };
  const log = opts.log ?? ((line: string) => console.log(line));
  jobsOf(opts); // refuses a bad --jobs or --threads before any work
  const state = new PipelineState(opts.stateFile ?? STATE_FILE);
  const stop = new StopFlag();
  const steps = planSteps(opts, dirs, log, stop);
  const ran: string[] = [];
  const skipped: string[] = [];
  const interrupted = (): PipelineResult => ({ status: 'interrupted', ran, skipped, summary: [], outputs: {} });

  // Runs or skips one step; false when it was interrupted (or a stop was asked for before it).
  const runStep = async (step: Step, threads = totalThreads(opts)): Promise<boolean> => {
    const fingerprint = JSON.stringify(step.settings);
    const tag = `[${steps.indexOf(step) + 1}/${steps.length}] ${step.id}`;
    if (state.isCurrent(step.id, fingerprint, step.dependsOn) && step.outputs.every((p) => existsSync(p))) {
      log(`${tag}: current, skipped`);
      skipped.push(step.id);
      return true;
    }
    if (opts.shouldStop?.() || stop.raised) return false;
    const resume = state.wasInterrupted(step.id, fingerprint);
    log(`${tag}${resume ? ': resuming' : ''}`);
    state.mark(step.id, fingerprint, 'running');
    if ((await step.run(resume, threads)) === 'interrupted') return false;
    state.mark(step.id, fingerprint, 'done');
    ran.push(step.id);
    return true;
  };

  for (let i = 0; i < steps.length; i++) {
    if (!steps[i].job) {
      if (!(await runStep(steps[i]))) return interrupted();
      continue;
    }
    // the training steps: one chain of phases per exercise, several exercises at once
    let end = i;
    while (end < steps.length && steps[end].job) end++;
    const queue = chainsOf(steps.slice(i, end)).map((chain) => ({
      cost: chainCost(chain),
      run: async (threads: number) => {
        for (const step of chain) if (!(await runStep(step, threads))) return false;
        return true;
      },
    }));
    const done = await runJobs(queue, totalThreads(opts), jobsOf(opts), stop, opts.shouldStop);
    if (!done) return interrupted();
    i = end - 1;
  }
  return { status: 'done', ran, skipped, summary: summarizeResults(opts.exercises, dirs), outputs: outputLocations(dirs, state.path) };
}

const totalThreads = (opts: PipelineOptions): number => opts.threads ?? availableParallelism();
const chainCost = (chain: Step[]): number => chain.reduce((a, s) => a + s.job!.cost, 0);

/** Training steps grouped by exercise (its phases in order), the exercises in order of first appearance. */
function chainsOf(trainSteps: Step[]): Step[][] {
  const chains = new Map<Exercise, Step[]>();
  for (const s of trainSteps) chains.set(s.job!.exercise, [...(chains.get(s.job!.exercise) ?? []), s]);
  return [...chains.values()];
}

/** Exercises trained at once (see jobCount). */
const jobsOf = (opts: PipelineOptions): number => jobCount('pipeline', totalThreads(opts), opts.jobs, opts.exercises.length);

type Dirs = { data: string; models: string; evaluation: string; export: string };

function planSteps(opts: PipelineOptions, dirs: Dirs, log: (line: string) => void, stop: StopFlag): Step[] {
  const { preset, exercises } = opts;
  const steps: Step[] = [];
  const trainSteps: Step[] = []; // after every data step, so that exercises can train at once
  const finalModelSteps: string[] = [];
  let anyPhase3 = false;

  const profile = opts.profile ?? DEFAULT_PROFILE;
  const benchmarkSteps: string[] = [];
  for (const exercise of exercises) {
    const genDir = repFolder(dirs.data, 'generated', exercise);
    const n = presetSamples(preset, profile, exercise);
    steps.push({
      id: `generate ${exercise}`,
      dependsOn: [],
      settings: { n, seed: preset.seed, profile },
      outputs: [SEQUENCES_NPY, SCORES_NPY].map((f) => join(genDir, f)),
      run: async () => {
        writeSynthetic(genDir, generateSynthetic(exercise, n, preset.seed, profile));
        log(`  ${n} ${profile}-profile reps → ${genDir}/`);
        return 'done';
      },
    });
    const benchmarkDir = join(dirs.data, BENCHMARK_DIR);
    benchmarkSteps.push(`benchmark sessions ${exercise}`);
    steps.push({
      id: `benchmark sessions ${exercise}`,
      dependsOn: [],
      settings: { ...BENCHMARK_SPEC },
      outputs: Array.from({ length: BENCHMARK_SPEC.sessions }, (_, s) => join(benchmarkDir, exercise, sessionFileName(s))),
      run: async () => {
        const dir = writeBenchmarkSessions(benchmarkDir, exercise);
        log(`  ${BENCHMARK_SPEC.sessions} pose-log sessions × ${BENCHMARK_SPEC.repsPerSession} reps → ${dir}/`);
        return 'done';
      },
    });
    // Phases 2 and 3 fine-tune on annotated reps; they run only where an expert saved some.
    const phases: Phase[] = hasRealData(exercise, dirs.data) ? [1, 2, 3] : [1];
    anyPhase3 ||= phases.includes(3);
    let previous = `generate ${exercise}`;
    for (const phase of phases) {
      const id = `train ${exercise} phase ${phase}`;
      const realStamp = phase > 1 ? statSync(join(repFolder(dirs.data, 'real', exercise), SCORES_NPY)).mtimeMs : null;
      const epochs = preset.epochs[profile][phase];
      trainSteps.push({
        id,
        dependsOn: [previous],
        // Seeds join the settings only when asked for, so the state of earlier single-seed runs stays current.
        settings: { epochs, seed: preset.seed, realStamp, ...(opts.seeds && { seeds: opts.seeds }) },
        outputs: [join(phasePaths(dirs.models, exercise, phase).final, 'model.json')],
        run: (resume, threads) => trainStep(exercise, phase, resume, threads, { ...opts, profile }, dirs, log, stop),
        job: { exercise, cost: n * epochs * (opts.seeds?.length ?? 1) },
      });
      previous = id;
    }
    finalModelSteps.push(previous);
  }
  // costliest exercise first (the order runJobs starts them in)
  steps.push(...chainsOf(trainSteps).sort((a, b) => chainCost(b) - chainCost(a)).flat());

  const phase1Models = exercises.map((e) => `train ${e} phase 1`);
  const analysis = (phase: Phase, outDir: string, models: string[]): Step[] => {
    const common = { phase, exercises, dataDir: dirs.data, modelsDir: dirs.models, threads: opts.threads, log };
    const suffix = phase === 1 ? '' : ` phase ${phase}`;
    return [
      {
        id: `evaluate${suffix}`, dependsOn: models, settings: { exercises, outDir }, outputs: [join(outDir, EVALUATION_CSV)],
        run: async () => (await runEvaluation({ ...common, outDir }), 'done'),
      },
      {
        id: `compare${suffix}`, dependsOn: models, settings: { exercises, outDir }, outputs: [join(outDir, COMPARISON_CSV)],
        run: async () => (await runComparison({ ...common, outDir }), 'done'),
      },
      {
        id: `transfer${suffix}`, dependsOn: [...models, ...benchmarkSteps], settings: { exercises, outDir }, outputs: [join(outDir, TRANSFER_CSV)],
        run: async () => (await runTransfer({ ...common, outDir }), 'done'),
      },
      ...(opts.seeds ? [{
        id: `seeds${suffix}`, dependsOn: models, settings: { exercises, outDir, seeds: opts.seeds }, outputs: [join(outDir, SEEDS_CSV)],
        run: async () => (await runSeedEvaluation({ ...common, outDir }), 'done' as const),
      }] : []),
    ];
  };
  steps.push(...analysis(1, dirs.evaluation, phase1Models));
  if (anyPhase3) steps.push(...analysis(3, join(dirs.evaluation, 'phase3'), finalModelSteps));

  const tfliteDir = tfliteFolder(dirs.export);
  steps.push(
    {
      id: 'plot', dependsOn: phase1Models, settings: { exercises },
      outputs: [join(figuresFolder(dirs.evaluation), 'mae_heatmap.png')],
      run: async () => {
        await runPlot({ phase: 1, exercises, dataDir: dirs.data, modelsDir: dirs.models, outDir: dirs.evaluation, threads: opts.threads, log });
        return 'done';
      },
    },
    {
      id: 'export', dependsOn: finalModelSteps, settings: { exercises, dtype: 'float16', form: 'fused' },
      outputs: exercises.map((e) => join(tfliteDir, tfliteFileName(e))),
      run: async () => {
        await exportModels({ exercises, requireModel: true, outputDir: tfliteDir, modelsDir: dirs.models, dataDir: dirs.data, verify: true, log });
        return 'done';
      },
    },
    {
      id: 'report', dependsOn: ['evaluate', 'compare', 'transfer', ...(opts.seeds ? ['seeds'] : []), 'plot', 'export'], settings: { exercises },
      outputs: [join(dirs.evaluation, REPORT_HTML)],
      run: async () => {
        await runReport({ phase: 1, exercises, dataDir: dirs.data, modelsDir: dirs.models, outDir: dirs.evaluation, exportDir: dirs.export, threads: opts.threads, log });
        return 'done';
      },
    },
  );
  return steps;
}

/** One training step in a worker thread, on its share of the threads; several run at once when jobs > 1. */
async function trainStep(
  exercise: Exercise, phase: Phase, resume: boolean, threads: number, opts: PipelineOptions, dirs: Dirs, log: (line: string) => void,
  stop: StopFlag,
): Promise<'done' | 'interrupted'> {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const job = {
    exercise, phase, seeds: opts.seeds, dataDir: dirs.data, modelsDir: dirs.models, epochs: opts.preset.epochs[profile][phase],
    seed: opts.preset.seed, profile, threads, resume,
  };
  const { status, lines } = await trainInWorker(job, stop, { progress: opts.progress, log, sideBySide: jobsOf(opts) > 1 });
  for (const line of lines) log(line);
  return status;
}

/** Overall-dimension test and transfer metrics of each exercise's latest evaluated phase, and its TFLite size. */
function summarizeResults(exercises: Exercise[], dirs: Dirs): ExerciseSummary[] {
  const rows = new Map<Exercise, ExerciseSummary>();
  for (const [phase, dir] of [[1, dirs.evaluation], [3, join(dirs.evaluation, 'phase3')]] as const) {
    const transfer = new Map(overallRows(join(dir, TRANSFER_CSV)).map((r) => [r.exercise, r]));
    const seeds = new Map(overallRows(join(dir, SEEDS_SUMMARY_CSV)).filter((r) => Number(r.phase) === phase).map((r) => [r.exercise, r]));
    for (const r of overallRows(join(dir, EVALUATION_CSV))) {
      const exercise = r.exercise as Exercise;
      if (!exercises.includes(exercise)) continue;
      const tflite = join(tfliteFolder(dirs.export), tfliteFileName(exercise));
      const t = transfer.get(exercise), sd = seeds.get(exercise);
      rows.set(exercise, {
        exercise, phase, mae: Number(r.mae), pearson: Number(r.pearson), icc: Number(r.icc),
        transferMae: t ? Number(t.mae) : null, transferPearson: t ? Number(t.pearson) : null,
        tfliteBytes: existsSync(tflite) ? statSync(tflite).size : null,
        seeds: sd ? { count: Number(sd.seeds), maeMean: Number(sd.mae_mean), maeSd: Number(sd.mae_sd), selected: Number(sd.selected_seed) } : null,
      });
    }
  }
  return exercises.flatMap((e) => rows.get(e) ?? []);
}

/** The overall-dimension rows of a results CSV; none when the file does not exist. */
function overallRows(csv: string): Record<string, string>[] {
  if (!existsSync(csv)) return [];
  return (parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[]).filter((r) => r.dimension === 'overall');
}

function outputLocations(dirs: Dirs, statePath: string): Record<string, string> {
  return {
    'synthetic data': sourceFolder(dirs.data, 'generated') + '/',
    'benchmark pose-log sessions': join(dirs.data, BENCHMARK_DIR) + '/',
    checkpoints: savedFolder(dirs.models) + '/',
    'history CSVs and TensorBoard logs': logsFolder(dirs.models) + '/',
    'results CSVs': dirs.evaluation + '/',
    figures: figuresFolder(dirs.evaluation) + '/',
    report: join(dirs.evaluation, REPORT_HTML),
    'TFLite files (copy to the app\'s assets/models/)': tfliteFolder(dirs.export) + '/',
    'pipeline state': statePath,
  };
}
