// Keras-style training callbacks: small classes with one job each. The fit loop calls
// the hooks Keras has (train, epoch and batch begin and end); most callbacks react only
// to the epoch-end logs {loss, mae, val_loss, val_mae, lr}. Every class has a getConfig()
// whose result, passed back to the constructor, builds the same callback, and
// getState()/setState() for the counters a resumed run must continue from (Keras keeps
// those in memory only; BackupAndRestore writes them into the `_last` checkpoint so
// `formscore train --resume` is exact).

import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NamedWeights } from '../nn/architecture.js';
import { writeFileAtomic } from '../util/atomic.js';
import { EventFileWriter } from './tensorboard.js';

/** The epoch-end logs, losses and MAE on the [0, 1] scale of the network's outputs. */
export interface EpochLogs {
  loss: number;
  mae: number;
  val_loss: number;
  val_mae: number;
  lr: number;
}
export type LogName = keyof EpochLogs;
export const LOG_NAMES: readonly LogName[] = ['loss', 'mae', 'val_loss', 'val_mae', 'lr'];

/** The batch-end logs: running means over the epoch's batches so far (as Keras 3 reports them). */
export interface BatchLogs {
  loss: number;
  mae: number;
}

/** What a callback may touch of the model (FormScorer has all of it; tests use fakes). */
export interface CallbackModel {
  getWeights(): NamedWeights;
  setWeights(weights: NamedWeights): void;
  /** The optimizer owns the learning rate; ReduceLROnPlateau changes it here. */
  optimizer: { learningRate: number };
  /** Writes a whole checkpoint folder atomically. */
  save(dir: string, training?: Record<string, unknown>): void;
}

/** Like Keras's `callback.params`. */
export interface TrainingParams {
  epochs: number;
  steps: number;
  /** The first epoch index of this run (0 unless resumed). */
  initialEpoch: number;
}

export abstract class Callback {
  model!: CallbackModel;
  params: TrainingParams = { epochs: 0, steps: 0, initialEpoch: 0 };
  /** Every callback of the run, this one included (set by fit), so a callback sees whether another asked to stop. */
  peers: readonly Callback[] = [];
  /** Set by a callback to end training after this epoch (Keras: `model.stop_training`). */
  stopTraining = false;
  /** Set by a callback to end training after this batch, without epoch-end or train-end hooks (Ctrl-C). */
  interruptTraining = false;
  /** Where a callback's notices go (Keras prints them with verbose=1); fit routes them past the progress bar. */
  say: (line: string) => void = () => {};

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  /** True once some callback of the run asked to stop after this epoch. */
  get stopping(): boolean {
    return this.stopTraining || this.peers.some((cb) => cb.stopTraining);
  }

  onTrainBegin(): void | Promise<void> {}
  onEpochBegin(_epoch: number): void | Promise<void> {}
  onBatchBegin(_batch: number): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs: BatchLogs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: EpochLogs): void | Promise<void> {}
  onTrainEnd(): void | Promise<void> {}

  abstract getConfig(): Record<string, unknown>;

  /** Counters a resumed run continues from; JSON-serialisable. */
  getState(): Record<string, unknown> {
    return {};
  }

  setState(_state: Record<string, unknown>): void {}
}

type Mode = 'min' | 'max';

// Keras's "monitor_op": `current` improves on `reference` by more than `minDelta`.
function improves(mode: Mode, current: number, reference: number, minDelta: number): boolean {
  if (!Number.isFinite(current)) return false;
  return mode === 'min' ? current + minDelta < reference : current - minDelta > reference;
}

const worst = (mode: Mode) => (mode === 'min' ? Infinity : -Infinity);

// JSON has no Infinity; states keep "no best yet" as null.
const toJson = (x: number): number | null => (Number.isFinite(x) ? x : null);
const fromJson = (x: unknown, fallback: number): number => (typeof x === 'number' ? x : fallback);

function monitored(logs: EpochLogs, monitor: string): number {
  const value = (logs as unknown as Record<string, number>)[monitor];
  if (value === undefined) throw new Error(`callback monitors "${monitor}", which is not in the logs (${Object.keys(logs).join(', ')})`);
  return value;
}

// ---------------------------------------------------------------------------

export interface ModelCheckpointConfig {
  /** Folder for the best model. */
  filepath: string;
  /** Folder for the model at the end of training (after EarlyStopping restored the best weights if it runs first). */
  finalFilepath?: string | null;
  monitor?: string;
  mode?: Mode;
  saveBestOnly?: boolean;
  /** Written into every checkpoint's training record (e.g. exercise and phase). */
  metadata?: Record<string, unknown>;
}

/**
 * Saves the model whenever the monitored value improves (Keras `save_best_only`,
 * strict improvement, no min_delta), and once more at the end of training if
 * `finalFilepath` is set. Saves go through `model.save`, which writes the whole
 * folder atomically, so a crash never leaves a broken checkpoint behind.
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly finalFilepath: string | null;
  readonly monitor: string;
  readonly mode: Mode;
  readonly saveBestOnly: boolean;
  readonly metadata: Record<string, unknown>;
  best: number;
  bestEpoch = -1;

  constructor(config: ModelCheckpointConfig) {
    super();
    this.filepath = config.filepath;
    this.finalFilepath = config.finalFilepath ?? null;
    this.monitor = config.monitor ?? 'val_mae';
    this.mode = config.mode ?? 'min';
    this.saveBestOnly = config.saveBestOnly ?? true;
    this.metadata = config.metadata ?? {};
    this.best = worst(this.mode);
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = monitored(logs, this.monitor);
    if (this.saveBestOnly && !improves(this.mode, current, this.best, 0)) return;
    if (improves(this.mode, current, this.best, 0)) {
      this.best = current;
      this.bestEpoch = epoch;
    }
    this.model.save(this.filepath, { ...this.metadata, epoch, logs: { ...logs }, monitor: this.monitor, best: this.best });
  }

  onTrainEnd(): void {
    if (!this.finalFilepath) return;
    this.model.save(this.finalFilepath, { ...this.metadata, bestEpoch: this.bestEpoch, monitor: this.monitor, best: toJson(this.best) });
  }

  getConfig(): Record<string, unknown> {
    return {
      filepath: this.filepath, finalFilepath: this.finalFilepath, monitor: this.monitor, mode: this.mode,
      saveBestOnly: this.saveBestOnly, metadata: { ...this.metadata },
    };
  }

  getState(): Record<string, unknown> {
    return { best: toJson(this.best), bestEpoch: this.bestEpoch };
  }

  setState(s: Record<string, unknown>): void {
    this.best = fromJson(s.best, worst(this.mode));
    this.bestEpoch = fromJson(s.bestEpoch, -1);
  }
}

// ---------------------------------------------------------------------------

export interface EarlyStoppingConfig {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  restoreBestWeights?: boolean;
  /**
   * Where a resumed run finds the best epoch's weights (they are not in the JSON state):
   * the trainer points at the `_best` checkpoint, which ModelCheckpoint writes by the
   * same monitor and rule; null when it is not there. Not part of the config.
   */
  bestWeightsSource?: () => NamedWeights | null;
}

/**
 * Stops training when `monitor` has not improved by more than `minDelta` for
 * `patience` epochs (Keras 3 semantics: the wait counter counts every epoch, is
 * reset on improvement, and stopping needs wait >= patience). With
 * `restoreBestWeights`, the weights of the best epoch are put back at the end of
 * training, also when training ran all its epochs.
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: Mode;
  readonly restoreBestWeights: boolean;
  wait = 0;
  best: number;
  bestEpoch = -1;
  stoppedEpoch = -1;
  bestWeights: NamedWeights | null = null;
  private readonly bestWeightsSource: (() => NamedWeights | null) | null;

  constructor(config: EarlyStoppingConfig = {}) {
    super();
    this.bestWeightsSource = config.bestWeightsSource ?? null;
    this.monitor = config.monitor ?? 'val_mae';
    this.minDelta = Math.abs(config.minDelta ?? 0);
    this.patience = config.patience ?? 10;
    this.mode = config.mode ?? 'min';
    this.restoreBestWeights = config.restoreBestWeights ?? true;
    this.best = worst(this.mode);
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = monitored(logs, this.monitor);
    // Keras keeps the first epoch's weights even if it is not an improvement (NaN loss).
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = copyWeights(this.model.getWeights());
    this.wait += 1;
    if (improves(this.mode, current, this.best, this.minDelta)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = copyWeights(this.model.getWeights());
      this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.stopTraining = true;
      this.say(`Epoch ${epoch + 1}: early stopping (${this.monitor} has not improved for ${this.wait} epochs)`);
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights !== null) {
      this.model.setWeights(this.bestWeights);
      this.say(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}`);
    }
  }

  getConfig(): Record<string, unknown> {
    return { monitor: this.monitor, minDelta: this.minDelta, patience: this.patience, mode: this.mode, restoreBestWeights: this.restoreBestWeights };
  }

  getState(): Record<string, unknown> {
    return { wait: this.wait, best: toJson(this.best), bestEpoch: this.bestEpoch, stoppedEpoch: this.stoppedEpoch };
  }

  /** The counters, and the best epoch's weights from `bestWeightsSource` when there was a best epoch. */
  setState(s: Record<string, unknown>): void {
    this.wait = fromJson(s.wait, 0);
    this.best = fromJson(s.best, worst(this.mode));
    this.bestEpoch = fromJson(s.bestEpoch, -1);
    this.stoppedEpoch = fromJson(s.stoppedEpoch, -1);
    if (this.bestEpoch >= 0 && this.bestWeightsSource) this.bestWeights = this.bestWeightsSource() ?? this.bestWeights;
  }
}

function copyWeights(w: NamedWeights): NamedWeights {
  const out: NamedWeights = new Map();
  for (const [name, data] of w) out.set(name, Float32Array.from(data));
  return out;
}

// ---------------------------------------------------------------------------

export interface ReduceLROnPlateauConfig {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

/**
 * Multiplies the learning rate by `factor` once `monitor` has not improved by more
 * than `minDelta` for `patience` epochs, never going under `minLr` (Keras semantics:
 * after a reduction the wait restarts and `cooldown` epochs pass before counting).
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: Mode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best: number;

  constructor(config: ReduceLROnPlateauConfig = {}) {
    super();
    this.monitor = config.monitor ?? 'val_mae';
    this.factor = config.factor ?? 0.5;
    if (!(this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor must be < 1 (got ${this.factor})`);
    this.patience = config.patience ?? 5;
    this.mode = config.mode ?? 'min';
    this.minDelta = config.minDelta ?? 1e-4;
    this.cooldown = config.cooldown ?? 0;
    this.minLr = config.minLr ?? 1e-7;
    this.best = worst(this.mode);
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const current = monitored(logs, this.monitor);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (improves(this.mode, current, this.best, this.minDelta)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const optimizer = this.model.optimizer;
        const oldLr = optimizer.learningRate;
        // Compared in float32 like Keras, so a rate already at the minimum stays put.
        if (Math.fround(oldLr) > Math.fround(this.minLr)) {
          optimizer.learningRate = Math.max(oldLr * this.factor, this.minLr);
          this.say(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${optimizer.learningRate.toExponential(2)}`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  getConfig(): Record<string, unknown> {
    return {
      monitor: this.monitor, factor: this.factor, patience: this.patience, mode: this.mode,
      minDelta: this.minDelta, cooldown: this.cooldown, minLr: this.minLr,
    };
  }

  getState(): Record<string, unknown> {
    return { wait: this.wait, cooldownCounter: this.cooldownCounter, best: toJson(this.best) };
  }

  setState(s: Record<string, unknown>): void {
    this.wait = fromJson(s.wait, 0);
    this.cooldownCounter = fromJson(s.cooldownCounter, 0);
    this.best = fromJson(s.best, worst(this.mode));
  }
}

// ---------------------------------------------------------------------------

/**
 * Ends training at once when `requested()` turns true (Ctrl-C): after the current batch
 * or epoch, without epoch-end or train-end hooks, so the last checkpoint written stays
 * the resume point and no half-finished epoch is saved.
 */
export class StopOnSignal extends Callback {
  constructor(private readonly requested: () => boolean) {
    super();
  }

  async onBatchEnd(): Promise<void> {
    // A single-threaded engine step resolves without ever reaching the event loop;
    // yielding once per batch lets a pending signal event set the flag polled here.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.requested()) this.interruptTraining = true;
  }

  onEpochEnd(): void {
    if (this.requested()) this.interruptTraining = true;
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

export const CSV_COLUMNS = ['epoch', ...LOG_NAMES] as const;

export interface CSVLoggerConfig {
  filename: string;
  separator?: string;
  /** Keep earlier rows (Keras `append`); a resumed run also drops rows of epochs it redoes. */
  append?: boolean;
}

/**
 * One row per epoch (epoch index from 0, like Keras) appended as soon as the epoch
 * ends, so the file is useful while training runs and after a crash. A fresh run
 * starts the file anew; an appending run keeps the rows before its first epoch and
 * writes no second header.
 */
export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;

  constructor(config: CSVLoggerConfig) {
    super();
    this.filename = config.filename;
    this.separator = config.separator ?? ',';
    this.append = config.append ?? false;
  }

  onTrainBegin(): void {
    const header = CSV_COLUMNS.join(this.separator);
    let kept: string[] = [];
    if (this.append && existsSync(this.filename)) {
      const lines = readFileSync(this.filename, 'utf8').split('\n');
      // Rows of epochs this run will redo (written just before an interruption) go,
      // and so does a half-written last line.
      kept = lines.slice(1).filter((line) => {
        const cells = line.split(this.separator);
        return cells.length === CSV_COLUMNS.length && Number(cells[0]) < this.params.initialEpoch;
      });
    }
    writeFileAtomic(this.filename, [header, ...kept].join('\n') + '\n');
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    mkdirSync(dirname(this.filename), { recursive: true });
    const row = [String(epoch), ...LOG_NAMES.map((k) => formatNumber(logs[k]))];
    appendFileSync(this.filename, row.join(this.separator) + '\n');
  }

  getConfig(): Record<string, unknown> {
    return { filename: this.filename, separator: this.separator, append: this.append };
  }
}

// Shortest text that reads back as the same float64 (Keras writes repr()).
const formatNumber = (x: number) => (Number.isFinite(x) ? String(x) : x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan');

/** Reads a history CSV written by CSVLogger into rows of numbers. */
export function readHistoryCsv(filename: string, separator = ','): (EpochLogs & { epoch: number })[] {
  const lines = readFileSync(filename, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]?.split(separator) ?? [];
  return lines.slice(1).map((line, i) => {
    const cells = line.split(separator);
    if (cells.length !== header.length) throw new Error(`${filename}: row ${i + 1}: expected ${header.length} fields, got ${cells.length}`);
    const row: Record<string, number> = {};
    header.forEach((name, j) => {
      const v = cells[j] === 'nan' ? NaN : cells[j] === 'inf' ? Infinity : cells[j] === '-inf' ? -Infinity : Number(cells[j]);
      if (Number.isNaN(v) && cells[j] !== 'nan') throw new Error(`${filename}: row ${i + 1}: field ${name}: not a number: "${cells[j]}"`);
      row[name] = v;
    });
    return row as unknown as EpochLogs & { epoch: number };
  });
}

// ---------------------------------------------------------------------------

export interface TensorBoardConfig {
  logDir: string;
  /** Keep the event files of earlier runs (a resumed run); otherwise a fresh run removes them, as it replaces the history CSV. */
  append?: boolean;
}

/** The runs Keras's TensorBoard callback writes under its log dir, and the logs each one takes. */
export const TENSORBOARD_RUNS = {
  train: { epoch_loss: 'loss', epoch_mae: 'mae', epoch_learning_rate: 'lr' },
  validation: { epoch_loss: 'val_loss', epoch_mae: 'val_mae' },
} as const satisfies Record<string, Record<string, LogName>>;
export type TensorBoardRun = keyof typeof TENSORBOARD_RUNS;

/**
 * Scalars per epoch laid out as Keras writes them: a `train/` and a `validation/` run
 * under `logDir`, each with `epoch_loss` and `epoch_mae` (train also `epoch_learning_rate`),
 * so TensorBoard overlays the two curves of each metric. The epoch index is the step.
 * Each run of training adds a new event file per folder (TensorBoard merges the files of a
 * folder, so a resumed run's file continues the curves of the interrupted one).
 * View with `tensorboard --logdir models/logs`.
 */
export class TensorBoard extends Callback {
  readonly logDir: string;
  readonly append: boolean;
  private writers: Record<TensorBoardRun, EventFileWriter> | null = null;

  constructor(config: TensorBoardConfig) {
    super();
    this.logDir = config.logDir;
    this.append = config.append ?? false;
  }

  /** The event file of each run (null before training begins). */
  get eventFiles(): Record<TensorBoardRun, string> | null {
    return this.writers ? { train: this.writers.train.path, validation: this.writers.validation.path } : null;
  }

  onTrainBegin(): void {
    // Only event files go (including the single-folder files of formscore before issue 13):
    // anything else a user put in the folders stays.
    if (!this.append) {
      for (const dir of [this.logDir, ...Object.keys(TENSORBOARD_RUNS).map((r) => join(this.logDir, r))]) {
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir)) if (f.includes('tfevents')) rmSync(join(dir, f), { force: true });
      }
    }
    this.writers = this.openWriters();
  }

  private openWriters(): Record<TensorBoardRun, EventFileWriter> {
    return { train: new EventFileWriter(join(this.logDir, 'train')), validation: new EventFileWriter(join(this.logDir, 'validation')) };
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    if (!this.writers) this.writers = this.openWriters();
    for (const run of Object.keys(TENSORBOARD_RUNS) as TensorBoardRun[]) {
      const tags: Record<string, LogName> = TENSORBOARD_RUNS[run];
      this.writers[run].addScalars(epoch, Object.fromEntries(Object.entries(tags).map(([tag, log]) => [tag, logs[log]])));
    }
  }

  getConfig(): Record<string, unknown> {
    return { logDir: this.logDir, append: this.append };
  }
}
