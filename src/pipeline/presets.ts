// The two recipes of `formscore pipeline`: `full` is the seed project's (5,000 reps per
// exercise, the phase table's epochs); `quick` runs every step for real on small data.
// Realistic reps are harder to learn than the seed tiers (each dimension is its own
// rule formula rather than one tier shared by all six), so `full` draws 8,000 of them
// (16,000 of the plank) and pre-trains them for the phase table's realistic epochs (80, not 50).

import { PHASES } from '../train/phases.js';
import type { DataProfile } from '../data/synthetic.js';
import type { Exercise } from '../data/exercises.js';
import { DEFAULT_SEED, type Phase } from '../workspace/layout.js';

export interface Preset {
  name: 'quick' | 'full';
  /** Synthetic reps per exercise, by profile. */
  nSamples: Record<DataProfile, number>;
  /** Realistic reps for the exercises that need more than `nSamples.realistic`. */
  realisticSamples?: Partial<Record<Exercise, number>>;
  /** Epochs per phase, by profile; the phase table's batch size and learning rate apply. */
  epochs: Record<DataProfile, Record<Phase, number>>;
  seed: number;
}

export const PRESETS: Record<Preset['name'], Preset> = {
  quick: { name: 'quick', nSamples: { realistic: 500, seed: 500 }, epochs: { realistic: { 1: 8, 2: 3, 3: 3 }, seed: { 1: 8, 2: 3, 3: 3 } }, seed: DEFAULT_SEED },
  // The plank's rules read estimator noise (its depth turns each degree of spine into
  // 20 points, its alignment counts frames past a hip threshold): with 8,000 reps its
  // test MAE stayed at 1.95 and 1.82 after 120 epochs; 16,000 brought it to 1.49.
  full: { name: 'full', nSamples: { realistic: 8000, seed: 5000 }, realisticSamples: { plank: 16000 }, epochs: { realistic: phaseEpochs('realistic'), seed: phaseEpochs('seed') }, seed: DEFAULT_SEED },
};

function phaseEpochs(profile: DataProfile): Record<Phase, number> {
  return { 1: PHASES[1].epochs[profile], 2: PHASES[2].epochs[profile], 3: PHASES[3].epochs[profile] };
}

/** Synthetic reps of one exercise the preset generates. */
export function presetSamples(preset: Preset, profile: DataProfile, exercise: Exercise): number {
  return (profile === 'realistic' && preset.realisticSamples?.[exercise]) || preset.nSamples[profile];
}

export function parsePreset(value: string): Preset {
  if (value === 'quick' || value === 'full') return PRESETS[value];
  throw new Error(`unknown preset "${value}" (expected quick or full)`);
}
