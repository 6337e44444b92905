// Adam (Keras semantics): the one owner of the learning rate, the update count and
// the moments. Callbacks change `learningRate`; the checkpoint stores `getState()` and
// a resumed run hands it back to `setState()`. The moments live where the update runs
// (the engine's `m` and `v` regions, one value per weight), so this object keeps the
// numbers around them and asks its memory for the update.

import type { NamedWeights, TrainableLayer } from './architecture.js';

/** Keras's Adam default; the phase table of the trainer sets its own rates. */
export const DEFAULT_LEARNING_RATE = 0.001;

/** Adam's state: `step` updates done so far (the next update uses step + 1). */
export interface AdamState {
  step: number;
  learningRate: number;
  m: NamedWeights;
  v: NamedWeights;
}

/** Where the moments live and the update runs: the engine (FormScorer), or a stand-in model in tests. */
export interface AdamMemory {
  readNamed(which: 'm' | 'v'): NamedWeights;
  writeNamed(which: 'm' | 'v', weights: NamedWeights): void;
  /** One update of the trainable layers' weights from the gradients in memory, with bias correction of `step`. */
  adam(learningRate: number, step: number, trainable: Record<TrainableLayer, boolean>): void;
}

export interface AdamConfig {
  learningRate?: number;
}

export class Adam {
  learningRate: number;
  /** Updates done (Keras `iterations`). */
  step = 0;

  constructor(private readonly memory: AdamMemory, config: AdamConfig = {}) {
    this.learningRate = config.learningRate ?? DEFAULT_LEARNING_RATE;
  }

  /** One update of the layers marked trainable; frozen layers keep their weights and moments. */
  apply(trainable: Record<TrainableLayer, boolean>): void {
    this.step += 1;
    this.memory.adam(this.learningRate, this.step, trainable);
  }

  getState(): AdamState {
    return { step: this.step, learningRate: this.learningRate, m: this.memory.readNamed('m'), v: this.memory.readNamed('v') };
  }

  setState(s: AdamState): void {
    if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`Adam.setState: step ${s.step} is not a whole number >= 0`);
    this.memory.writeNamed('m', s.m);
    this.memory.writeNamed('v', s.v);
    this.step = s.step;
    this.learningRate = s.learningRate;
  }
}
