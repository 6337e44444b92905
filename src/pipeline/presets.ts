// The two recipes of `formscore pipeline`: `full` is the seed project's (5,000 reps per
// exercise, the phase table's epochs); `quick` runs every step for real on small data.

import { PHASES, type Phase } from '../train/phases.js';

export interface Preset {
  name: 'quick' | 'full';
  /** Synthetic reps per exercise. */
  nSamples: number;
  /** Epochs per phase; the phase table's batch size and learning rate apply. */
  epochs: Record<Phase, number>;
  seed: number;
}

export const PRESETS: Record<Preset['name'], Preset> = {
  quick: { name: 'quick', nSamples: 500, epochs: { 1: 8, 2: 3, 3: 3 }, seed: 42 },
  full: { name: 'full', nSamples: 5000, epochs: { 1: PHASES[1].epochs, 2: PHASES[2].epochs, 3: PHASES[3].epochs }, seed: 42 },
};

export function parsePreset(value: string): Preset {
  if (value === 'quick' || value === 'full') return PRESETS[value];
  throw new Error(`unknown preset "${value}" (expected quick or full)`);
}
