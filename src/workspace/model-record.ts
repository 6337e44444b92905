// The `training` block of a trained model's checkpoint (`_best` and `_final`): what the
// trainer records so that evaluate and export rebuild the test split, and score and
// annotate flag reps outside the training data. ModelCheckpoint adds its own fields
// (epoch, logs, monitor, best; bestEpoch in the final one).

import type { Phase } from './layout.js';

export interface ModelRecord {
  exercise: string;
  phase: Phase;
  seed: number;
  /** The split's seed where it differs from `seed` (a run of `train --seeds`). */
  splitSeed?: number;
  batchSize: number;
  augment: number;
  includeReal: boolean;
  /** The synthetic profile trained on. */
  profile: string;
  /** Ranges of the training inputs (data/coverage.ts reads it with parseCoverage). */
  coverage: unknown;
}

/** The seed of the data split a checkpoint's `training` block records (evaluate and export rebuild the split from it). */
export function recordedSplitSeed(training: Partial<Record<keyof ModelRecord, unknown>> | undefined): number | undefined {
  const seed = training?.splitSeed ?? training?.seed;
  return typeof seed === 'number' ? seed : undefined;
}
