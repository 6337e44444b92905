// The two recipes of `formscore pipeline`: `full` is the seed project's (5,000 reps per
// exercise, the phase table's epochs); `quick` runs every step for real on small data.
// Realistic reps are harder to learn than the seed tiers (each dimension is its own
// rule formula rather than one tier shared by all six), so `full` draws 8,000 of them.

import { PHASES, type Phase } from '../train/phases.js';
import type { DataProfile } from '../data/synthetic.js';

export interface Preset {
  name: 'quick' | 'full';
  /** Synthetic reps per exercise, by profile. */
  nSamples: Record<DataProfile, number>;
  /** Epochs per phase; the phase table's batch size and learning rate apply. */
  epochs: Record<Phase, number>;
  seed: number;
}

export const PRESETS: Record<Preset['name'], Preset> = {
  quick: { name: 'quick', nSamples: { realistic: 500, seed: 500 }, epochs: { 1: 8, 2: 3, 3: 3 }, seed: 42 },
  full: { name: 'full', nSamples: { realistic: 8000, seed: 5000 }, epochs: { 1: PHASES[1].epochs, 2: PHASES[2].epochs, 3: PHASES[3].epochs }, seed: 42 },
};

export function parsePreset(value: string): Preset {
  if (value === 'quick' || value === 'full') return PRESETS[value];
  throw new Error(`unknown preset "${value}" (expected quick or full)`);
}
