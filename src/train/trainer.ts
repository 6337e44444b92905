// The training loop (Keras `fit`) and one exercise's phase of training
// (`trainExercise`): data, model initialisation or the previous phase's model,
// frozen layers, callbacks, the resume checkpoint and the end summary.

import { existsSync, rmSync } from 'node:fs';
import { N_SCORES, type Exercise } from '../data/exercises.js';
import { hasRealData, loadDataset, type Dataset } from '../data/dataset.js';
import { type DataProfile, readGenerationRecord } from '../data/synthetic.js';
import { INPUT_SIZE, TRAINABLE_LAYERS, type NamedWeights, type TrainableLayer } from '../nn/architecture.js';
import type { Adam, AdamState } from '../nn/optimizer.js';
import { measureCoverage } from '../data/coverage.js';
import { Random } from '../util/random.js';
import { recoverDir } from '../util/atomic.js';
import { BackupAndRestore, trainingStateOf, type TrainingState } from './backup.js';
import {
  Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, StopOnSignal, TensorBoard,
  type CallbackModel, type EpochLogs,
} from './callbacks.js';
import { PHASES } from './phases.js';
import type { ModelRecord } from '../workspace/model-record.js';
import { formatDuration, ProgbarLogger, type ProgressBar } from './progress.js';
import {
  DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, DEFAULT_SEED, repFolder, phasePaths, seedsRecordPath, type Phase,
  type PhasePaths,
} from '../workspace/layout.js';
import { MissingInputError } from '../workspace/errors.js';

/** What the trainer needs of a model: FormScorer has all of it. */
export interface TrainableModel extends CallbackModel {
  readonly optimizer: Adam;
  trainStep(x: Float32Array, y: Float32Array, n: number): Promise<{ loss: number; mae: number }>;
  evaluate(x: Float32Array, y: Float32Array, n: number, batch?: number): Promise<{ loss: number; mae: number }>;
  setTrainable(layer: TrainableLayer, on: boolean): void;
  dispose(): Promise<void>;
}

export interface ModelOptions {
  seed?: number;
  threads?: number;
  learningRate?: number;
}

/** How models are made and checkpoints read; the default is FormScorer and the checkpoint module. */
export interface ModelFactory {
  create(opts: ModelOptions): Promise<TrainableModel>;
  fromWeights(weights: NamedWeights, opts: ModelOptions): Promise<TrainableModel>;
  readCheckpoint(dir: string): { weights: NamedWeights; optimizer?: AdamState; training?: Record<string, unknown> };
}

export async function formScorerFactory(): Promise<ModelFactory> {
  const [{ FormScorer }, { loadCheckpoint }] = await Promise.all([import('../nn/model.js'), import('../nn/checkpoint.js')]);
  return {
    create: (opts) => FormScorer.create(opts),
    fromWeights: (weights, opts) => FormScorer.fromWeights(weights, opts),
    readCheckpoint: (dir) => loadCheckpoint(dir),
  };
}

// ---------------------------------------------------------------------------
// fit: epochs of shuffled mini-batches, validation, callbacks

export interface DataSplit {
  x: Float32Array; // (N, 90, 18)
  y: Float32Array; // (N, 6) in [0, 1]
  n: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Shuffling seed; epoch e shuffles with a stream derived from (seed, e), so a resumed run sees the same order. */
  seed: number;
  /** First epoch index to run (a resumed run's next epoch). */
  initialEpoch?: number;
  /** Called in list order at every hook; a ProgbarLogger among them also shows the others' notices. */
  callbacks?: Callback[];
  /** Batch size of validation passes; default the engine's. */
  validationBatch?: number;
}

export interface FitResult {
  history: (EpochLogs & { epoch: number })[];
  /** Index of the last completed epoch (initialEpoch − 1 if none). */
  lastEpoch: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  /** Training samples consumed by optimizer steps, and the seconds those steps took. */
  samples: number;
  stepSeconds: number;
}

/** Seed of epoch `epoch`'s shuffle: a hash of both, so neighbouring epochs are unrelated. */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

export async function fit(model: TrainableModel, train: DataSplit, val: DataSplit, opts: FitOptions): Promise<FitResult> {
  const { epochs, batchSize, seed, callbacks = [] } = opts;
  const initialEpoch = opts.initialEpoch ?? 0;
  if (!(batchSize >= 1)) throw new Error(`batch size must be at least 1 (got ${batchSize})`);
  if (train.n < 1 || val.n < 1) throw new Error(`need at least one training and one validation sample (got ${train.n} and ${val.n})`);
  const steps = Math.ceil(train.n / batchSize);
  const progbar = callbacks.find((cb): cb is ProgbarLogger => cb instanceof ProgbarLogger);
  for (const cb of callbacks) {
    cb.setModel(model);
    cb.setParams({ epochs, steps, initialEpoch });
    cb.peers = callbacks;
    if (progbar) cb.say = (line) => progbar.bar.message(line);
  }
  const each = async (hook: (cb: Callback) => void | Promise<void>) => {
    for (const cb of callbacks) await hook(cb);
  };
  const interrupted = () => callbacks.some((cb) => cb.interruptTraining);
  await each((cb) => cb.onTrainBegin());

  // Batch buffers allocated once: (B, 90, 18) and (B, 6).
  const xb = new Float32Array(batchSize * INPUT_SIZE);
  const yb = new Float32Array(batchSize * N_SCORES);
  const order = new Int32Array(train.n);
  const result: FitResult = { history: [], lastEpoch: initialEpoch - 1, interrupted: false, stoppedEarly: false, samples: 0, stepSeconds: 0 };

  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    for (let i = 0; i < train.n; i++) order[i] = i;
    new Random(epochSeed(seed, epoch)).shuffle(order);
    await each((cb) => cb.onEpochBegin(epoch));
    let sumLoss = 0, sumMae = 0, seen = 0;
    for (let s = 0; s < steps; s++) {
      await each((cb) => cb.onBatchBegin(s));
      const start = s * batchSize;
      const nb = Math.min(batchSize, train.n - start);
      for (let j = 0; j < nb; j++) {
        const i = order[start + j];
        xb.set(train.x.subarray(i * INPUT_SIZE, (i + 1) * INPUT_SIZE), j * INPUT_SIZE);
        yb.set(train.y.subarray(i * N_SCORES, (i + 1) * N_SCORES), j * N_SCORES);
      }
      const t0 = performance.now();
      const r = await model.trainStep(xb.subarray(0, nb * INPUT_SIZE), yb.subarray(0, nb * N_SCORES), nb);
      stopIfNonFinite('training loss', r.loss, `epoch ${epoch + 1}, step ${s + 1} of ${steps}`);
      result.stepSeconds += (performance.now() - t0) / 1000;
      result.samples += nb;
      // Epoch loss/MAE are sample-weighted means of the batch values, as Keras reports them.
      sumLoss += r.loss * nb;
      sumMae += r.mae * nb;
      seen += nb;
      await each((cb) => cb.onBatchEnd(s, { loss: sumLoss / seen, mae: sumMae / seen }));
      if (interrupted()) {
        result.interrupted = true;
        return result; // no epoch-end, no train-end: the last good checkpoint stays the resume point
      }
    }
    const v = await model.evaluate(val.x, val.y, val.n, opts.validationBatch);
    stopIfNonFinite('validation loss', v.loss, `epoch ${epoch + 1}`);
    const logs: EpochLogs = { loss: sumLoss / seen, mae: sumMae / seen, val_loss: v.loss, val_mae: v.mae, lr: model.optimizer.learningRate };
    await each((cb) => cb.onEpochEnd(epoch, logs));
    result.history.push({ epoch, ...logs });
    result.lastEpoch = epoch;
    if (callbacks.some((cb) => cb.stopTraining)) {
      result.stoppedEarly = true;
      break;
    }
    if (interrupted()) {
      result.interrupted = true;
      return result;
    }
  }
  await each((cb) => cb.onTrainEnd());
  return result;
}

// Once the loss is NaN or infinite every weight soon is too, and nothing later can
// recover it; stopping before the epoch ends keeps every checkpoint already written.
function stopIfNonFinite(what: string, value: number, where: string): void {
  if (Number.isFinite(value)) return;
  throw new Error(
    `${what} is ${value} at ${where}: training stopped, no checkpoint of this epoch was written (earlier ones are kept); ` +
      'check the data for extreme values or lower the learning rate',
  );
}

// ---------------------------------------------------------------------------
// trainExercise: one exercise, one phase

export interface TrainExerciseOptions {
  dataDir?: string; // default DEFAULT_DATA_DIR
  modelsDir?: string; // default DEFAULT_MODELS_DIR
  /** Overrides of the phase table. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number; // default DEFAULT_SEED: data split, augmentation, initialisation, dropout, shuffling
  /** Seed of the data split and augmentation when it differs from `seed` (the runs of `train --seeds` share one split). */
  splitSeed?: number;
  /** Write the seed's own files (`<ex>_phase<p>_seed<s>_*`) instead of the phase's usual ones: one run of `train --seeds`. */
  perSeedFiles?: boolean;
  threads?: number;
  /** Continue from `<ex>_phase<p>_last/` if it exists. */
  resume?: boolean;
  progress?: ProgressBar | null;
  /** Where notices go (one line each); default console.log. */
  log?: (line: string) => void;
  shouldStop?: () => boolean;
  /** Model maker; default FormScorer. */
  models?: ModelFactory;
  /** An already loaded dataset instead of reading `dataDir` (library users with data in memory). */
  dataset?: Dataset;
  /** The synthetic profile the generated data must hold (generation.json); unchecked when absent. */
  profile?: DataProfile;
}

export interface TrainResult {
  exercise: Exercise;
  phase: Phase;
  status: 'trained' | 'interrupted' | 'already-complete';
  /** Best validation MAE on the 0–100 scale (null if no epoch completed). */
  bestValMae: number | null;
  bestEpoch: number;
  targetMae: number;
  /** Epochs completed in this run, and the index of the last completed epoch overall. */
  epochsRun: number;
  lastEpoch: number;
  initialEpoch: number;
  stoppedEarly: boolean;
  wallSeconds: number;
  samplesPerSecond: number;
  history: (EpochLogs & { epoch: number })[];
  paths: PhasePaths;
}

// a checkpoint whose replacement a killed run left half done is put back first
const checkpointExists = recoverDir;

/** Which earlier phase's final model a phase starts from, or throws naming what is missing. */
export function previousPhaseModel(modelsDir: string, exercise: Exercise, phase: Phase): string | null {
  const from = PHASES[phase].startsFrom;
  if (from.length === 0) return null;
  for (const p of from) {
    const dir = phasePaths(modelsDir, exercise, p).final;
    if (checkpointExists(dir)) return dir;
  }
  const wanted = from.map((p) => phasePaths(modelsDir, exercise, p).final);
  const make = from[from.length - 1];
  const mdir = modelsDir === DEFAULT_MODELS_DIR ? '' : ` --models-dir ${modelsDir}`;
  throw new MissingInputError(
    `phase ${phase} of ${exercise} starts from ${wanted.map((d) => `${d}/`).join(' or ')}, which ${wanted.length > 1 ? 'do' : 'does'} not exist`,
    `train --exercise ${exercise} --phase ${make}${mdir}` + (from.length > 1 ? ` (then optionally --phase ${from[0]})` : ''),
    'model',
  );
}

function checkRealData(dataDir: string, exercise: Exercise, phase: Phase): void {
  if (!PHASES[phase].includeReal || hasRealData(exercise, dataDir)) return;
  const dir = repFolder(dataDir, 'real', exercise);
  throw new MissingInputError(
    `phase ${phase} of ${exercise} needs real annotated reps in ${dir}/ (sequences.npy, scores.npy), which is missing`,
    `annotate --exercise ${exercise} --input session.csv`,
    'real-data',
  );
}

/** Refuses generated data of another profile than asked for (e.g. seed-profile reps left from an older run). */
function checkProfile(dataDir: string, exercise: Exercise, profile: DataProfile): void {
  const dir = repFolder(dataDir, 'generated', exercise);
  if (!existsSync(dir)) return; // loadDataset names the missing data and the command that makes it
  const found = readGenerationRecord(dir).profile;
  if (found !== profile) {
    throw new MissingInputError(`${dir}/ holds ${found}-profile reps, not ${profile} (or train on them with --profile ${found})`,
      `generate --exercise ${exercise}${profile === 'seed' ? ' --profile seed' : ''}`, 'synthetic-data');
  }
}

function applyFrozen(model: TrainableModel, phase: Phase): void {
  for (const layer of TRAINABLE_LAYERS) model.setTrainable(layer, !PHASES[phase].frozen.includes(layer));
}

export async function trainExercise(exercise: Exercise, phase: Phase, opts: TrainExerciseOptions = {}): Promise<TrainResult> {
  const wallStart = performance.now();
  const table = PHASES[phase];
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const log = opts.log ?? ((line: string) => console.log(line));
  const paths = phasePaths(modelsDir, exercise, phase, opts.perSeedFiles ? opts.seed ?? DEFAULT_SEED : undefined);

  // Preconditions first, before any slow work: the data's profile, real data, then the model to start from.
  if (opts.profile && !opts.dataset) checkProfile(dataDir, exercise, opts.profile);
  // The recipe depends on the data's profile (the phase table's epochs).
  const profile = opts.dataset?.profile ?? opts.profile ?? readGenerationRecord(repFolder(dataDir, 'generated', exercise)).profile;
  checkRealData(dataDir, exercise, phase);
  const resumeFrom = opts.resume && checkpointExists(paths.last) ? paths.last : null;
  const startFrom = resumeFrom ? null : previousPhaseModel(modelsDir, exercise, phase);
  if (opts.resume && !resumeFrom) log(`${exercise} phase ${phase}: no checkpoint to resume in ${paths.last}/; starting from the beginning`);

  const models = opts.models ?? (await formScorerFactory());
  let state: TrainingState | null = null;
  let model: TrainableModel;
  let settings = {
    epochs: opts.epochs ?? table.epochs[profile],
    batchSize: opts.batchSize ?? table.batchSize,
    learningRate: opts.learningRate ?? table.learningRate,
    seed: opts.seed ?? DEFAULT_SEED,
    splitSeed: opts.splitSeed ?? opts.seed ?? DEFAULT_SEED,
  };
  const modelOpts = (seed: number): ModelOptions => ({ seed, threads: opts.threads, learningRate: settings.learningRate });

  if (resumeFrom) {
    const ck = models.readCheckpoint(resumeFrom);
    state = trainingStateOf(ck.training, exercise, phase);
    if (!state) {
      throw new Error(`${resumeFrom}/: not a resume checkpoint of ${exercise} phase ${phase}; start without --resume`);
    }
    // The run continues with its own batch size and seed (the data split and the
    // shuffles depend on them); --epochs may extend it.
    settings = {
      epochs: opts.epochs ?? state.epochs, batchSize: state.batchSize, learningRate: ck.optimizer?.learningRate ?? settings.learningRate, seed: state.seed,
      splitSeed: state.splitSeed ?? state.seed,
    };
    const ignored = (['batchSize', 'learningRate', 'seed', 'splitSeed'] as const).filter((k) => opts[k] !== undefined && opts[k] !== settings[k]);
    if (ignored.length) log(`${exercise} phase ${phase}: --resume keeps the interrupted run's ${ignored.join(', ')} (${ignored.map((k) => settings[k]).join(', ')})`);
    // A finished run (all epochs, or stopped early) is only continued when --epochs asks for more.
    if (state.completed && (opts.epochs === undefined || opts.epochs <= state.epochs)) {
      log(`${exercise} phase ${phase}: already complete (${state.epoch + 1} epochs); nothing to resume`);
      return {
        exercise, phase, status: 'already-complete', bestValMae: bestFromState(state), bestEpoch: Number(state.callbacks.ModelCheckpoint?.bestEpoch ?? -1),
        targetMae: table.targetMae, epochsRun: 0, lastEpoch: state.epoch, initialEpoch: state.epoch + 1, stoppedEarly: false,
        wallSeconds: (performance.now() - wallStart) / 1000, samplesPerSecond: 0, history: [], paths,
      };
    }
    model = await models.fromWeights(ck.weights, modelOpts(settings.seed));
    if (ck.optimizer) model.optimizer.setState(ck.optimizer);
  } else if (startFrom) {
    // A new phase compiles a new optimizer, as Keras does: the weights carry over, Adam's moments do not.
    model = await models.fromWeights(models.readCheckpoint(startFrom).weights, modelOpts(settings.seed));
  } else {
    model = await models.create(modelOpts(settings.seed));
  }

  try {
    applyFrozen(model, phase);
    // The split seed is recorded only where it differs, so single-seed checkpoints stay as they were.
    const seeds = { seed: settings.seed, ...(settings.splitSeed !== settings.seed && { splitSeed: settings.splitSeed }) };
    const data = opts.dataset ?? loadDataset(exercise, { dataDir, seed: settings.splitSeed, augment: table.augment, includeReal: table.includeReal });
    // The phase's usual model is about to be replaced, so a record of an earlier `train --seeds` no longer describes it.
    if (!opts.perSeedFiles) rmSync(seedsRecordPath(modelsDir, exercise, phase), { force: true });

    // Recorded in the best and final checkpoints: `formscore evaluate` rebuilds the test split from the seed.
    // The coverage of the training inputs lets `score` and `annotate` flag reps outside them.
    const metadata: ModelRecord = {
      exercise, phase, ...seeds, batchSize: settings.batchSize, augment: table.augment, includeReal: table.includeReal,
      profile: data.profile, coverage: measureCoverage(data.train.sequences, data.train.n),
    };
    // EarlyStopping's best weights on resume are the `_best` checkpoint (same monitor, same rule).
    const earlyStopping = new EarlyStopping({
      monitor: 'val_mae', patience: 10, minDelta: 0, restoreBestWeights: true,
      bestWeightsSource: () => (checkpointExists(paths.best) ? models.readCheckpoint(paths.best).weights : null),
    });
    const checkpoint = new ModelCheckpoint({ filepath: paths.best, finalFilepath: paths.final, monitor: 'val_mae', metadata: { ...metadata } });
    const reduceLr = new ReduceLROnPlateau({ monitor: 'val_mae', factor: 0.5, patience: 5, minLr: 1e-7, cooldown: 0 });
    const backup = new BackupAndRestore({
      backupDir: paths.last, run: { exercise, phase, epochs: settings.epochs, batchSize: settings.batchSize, ...seeds },
      stateful: { EarlyStopping: earlyStopping, ModelCheckpoint: checkpoint, ReduceLROnPlateau: reduceLr }, resumeFrom: state,
    });
    // The bar first (its epoch line precedes the others' notices); EarlyStopping before ModelCheckpoint, so that
    // the final model carries the restored best weights; the backup last, after every other callback's epoch end.
    const callbacks: Callback[] = [
      ...(opts.progress ? [new ProgbarLogger(opts.progress)] : []),
      earlyStopping, checkpoint, reduceLr,
      new CSVLogger({ filename: paths.history, append: !!state }),
      new TensorBoard({ logDir: paths.tensorboard, append: !!state }),
      ...(opts.shouldStop ? [new StopOnSignal(opts.shouldStop)] : []),
      backup,
    ];
    const initialEpoch = state ? state.epoch + 1 : 0;

    const frozen = table.frozen.length ? table.frozen.join(', ') : 'none';
    const origin = resumeFrom ? `resumed from ${resumeFrom}/ at epoch ${initialEpoch + 1}` : startFrom ? `from ${startFrom}/` : 'fresh model';
    log(
      `${exercise} phase ${phase} (${table.name}): ${data.train.n} train / ${data.val.n} val ${data.profile}-profile reps` +
        (data.realCount ? ` (${data.realCount} real in all splits)` : '') +
        `, batch ${settings.batchSize}, ${settings.epochs} epochs, lr ${model.optimizer.learningRate.toExponential(1)}, frozen: ${frozen}, ${origin}, seed ${settings.seed}` +
        (seeds.splitSeed === undefined ? '' : ` (split seed ${seeds.splitSeed})`),
    );

    const fitResult = await fit(model, data.train, data.val, {
      epochs: settings.epochs, batchSize: settings.batchSize, seed: settings.seed, initialEpoch, callbacks,
    });

    const wallSeconds = (performance.now() - wallStart) / 1000;
    return {
      exercise, phase, status: fitResult.interrupted ? 'interrupted' : 'trained',
      bestValMae: Number.isFinite(checkpoint.best) ? checkpoint.best * 100 : null, bestEpoch: checkpoint.bestEpoch,
      targetMae: table.targetMae, epochsRun: fitResult.history.length, lastEpoch: fitResult.lastEpoch, initialEpoch,
      stoppedEarly: fitResult.stoppedEarly, wallSeconds,
      samplesPerSecond: fitResult.stepSeconds > 0 ? fitResult.samples / fitResult.stepSeconds : 0,
      history: fitResult.history, paths,
    };
  } finally {
    await model.dispose();
  }
}

function bestFromState(state: TrainingState): number | null {
  const best = state.callbacks.ModelCheckpoint?.best;
  return typeof best === 'number' ? best * 100 : null;
}

/** The closing lines of a phase: "Best val MAE: X (target < 15)", time, throughput, files. */
export function summarize(r: TrainResult): string[] {
  const tag = `${r.exercise} phase ${r.phase}`;
  const best = r.bestValMae === null ? 'n/a' : r.bestValMae.toFixed(2);
  const met = r.bestValMae === null ? '' : r.bestValMae < r.targetMae ? ', met' : ', NOT met';
  const lines = [`${tag}: Best val MAE: ${best} (target < ${r.targetMae}${met})` + (r.bestEpoch >= 0 ? ` at epoch ${r.bestEpoch + 1}` : '')];
  if (r.status === 'already-complete') return [...lines, `  already complete; models in ${r.paths.final}/`];
  const stop = r.status === 'interrupted' ? ', interrupted' : r.stoppedEarly ? ', stopped early' : '';
  lines.push(
    `  ${r.epochsRun} epoch${r.epochsRun === 1 ? '' : 's'} run (epochs ${r.initialEpoch + 1}-${r.lastEpoch + 1}${stop}) in ${formatDuration(r.wallSeconds)}, ` +
      `${Math.round(r.samplesPerSecond)} samples/s`,
  );
  if (r.status === 'interrupted') {
    lines.push(
      r.lastEpoch >= r.initialEpoch || r.initialEpoch > 0
        ? `  last good checkpoint: ${r.paths.last}/ (after epoch ${r.lastEpoch + 1}); continue with --resume`
        : `  no epoch completed, nothing saved; run again to start over`,
    );
  } else {
    lines.push(`  best: ${r.paths.best}/  final: ${r.paths.final}/  history: ${r.paths.history}  TensorBoard: ${r.paths.tensorboard}/`);
  }
  return lines;
}
