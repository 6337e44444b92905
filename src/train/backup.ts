// Backup and restore (Keras's BackupAndRestore): the `_last` checkpoint written after
// every epoch that training continues from, and once more when training ends, with a
// record of the run and of the callbacks' counters, so `train --resume` continues as if
// never interrupted. An interrupted run writes nothing more: the last epoch's backup stays.

import type { Exercise } from '../data/exercises.js';
import { Callback } from './callbacks.js';
import type { Phase } from '../workspace/layout.js';

/** What identifies a run: a resumed run keeps all of it but may extend `epochs`. */
export interface RunRecord {
  exercise: Exercise;
  phase: Phase;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Absent in checkpoints from before `train --seeds`, and when it equals `seed`. */
  splitSeed?: number;
}

/**
 * The training record stored in the resume checkpoint. The learning rate is not in it:
 * it is the optimizer's, stored once in the checkpoint's optimizer block (records before
 * issue 16 carry a copy in `learningRate`, which nothing reads).
 */
export interface TrainingState extends RunRecord {
  kind: 'formscore-training-state';
  version: 1;
  /** Last completed epoch index. */
  epoch: number;
  completed: boolean;
  callbacks: Record<string, Record<string, unknown>>;
}

/** The resume record of a checkpoint's `training` block, or null when it is not one of this exercise and phase. */
export function trainingStateOf(training: Record<string, unknown> | undefined, exercise: Exercise, phase: Phase): TrainingState | null {
  const state = training as Partial<TrainingState> | undefined;
  if (state?.kind !== 'formscore-training-state' || state.exercise !== exercise || state.phase !== phase) return null;
  return state as TrainingState;
}

export interface BackupAndRestoreConfig {
  backupDir: string;
  run: RunRecord;
  /** The callbacks whose counters are backed up and restored, by name. */
  stateful: Record<string, Callback>;
  /** The backup this run resumes from: its counters go back into `stateful` when training begins. */
  resumeFrom?: TrainingState | null;
}

/** Put it last in the callback list: it saves what the other callbacks did at the epoch's end. */
export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  private readonly run: RunRecord;
  private readonly stateful: Record<string, Callback>;
  private readonly resumeFrom: TrainingState | null;
  private lastEpoch = -1;

  constructor(config: BackupAndRestoreConfig) {
    super();
    this.backupDir = config.backupDir;
    this.run = config.run;
    this.stateful = config.stateful;
    this.resumeFrom = config.resumeFrom ?? null;
  }

  onTrainBegin(): void {
    this.lastEpoch = this.params.initialEpoch - 1;
    if (!this.resumeFrom) return;
    for (const [name, cb] of Object.entries(this.stateful)) cb.setState(this.resumeFrom.callbacks[name] ?? {});
  }

  // The epoch training ends with is saved at train end, after EarlyStopping restored the best weights.
  onEpochEnd(epoch: number): void {
    this.lastEpoch = epoch;
    if (!this.stopping && epoch < this.params.epochs - 1) this.save(false);
  }

  onTrainEnd(): void {
    this.save(true);
  }

  private save(completed: boolean): void {
    const { exercise, phase, epochs, batchSize, ...seeds } = this.run;
    const training: TrainingState = {
      kind: 'formscore-training-state', version: 1, exercise, phase, epoch: this.lastEpoch, epochs, batchSize, ...seeds, completed,
      callbacks: Object.fromEntries(Object.entries(this.stateful).map(([name, cb]) => [name, cb.getState()])),
    };
    this.model.save(this.backupDir, { ...training });
  }

  getConfig(): Record<string, unknown> {
    return { backupDir: this.backupDir, run: { ...this.run } };
  }
}
