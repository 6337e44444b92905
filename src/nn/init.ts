// Keras initialisers for the form scorer, seeded so that one seed gives the same
// starting weights on every machine: glorot-uniform kernels, orthogonal recurrent
// kernels, zero biases except the LSTM forget gate (unit_forget_bias = 1).

import { Random } from '../util/random.js';
import { type NamedWeights, WEIGHT_SPECS, type WeightSpec, sizeOf } from './architecture.js';

/** Keras fan computation: the last axis is fan-out, the one before fan-in, earlier axes the receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

// shape (…, in, out) -> U(−limit, limit), limit = sqrt(6 / (fanIn + fanOut))
export function glorotUniform(shape: readonly number[], rng: Random): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
  return out;
}

/**
 * (rows, cols) with orthonormal rows or columns (whichever are fewer), as Keras's
 * Orthogonal(gain=1): QR of a standard normal (max, min) matrix with the signs of
 * R's diagonal folded into Q, transposed when rows < cols. Modified Gram-Schmidt
 * gives exactly that Q (it yields R with a positive diagonal).
 */
export function orthogonal(rows: number, cols: number, rng: Random): Float32Array {
  const m = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  // q (m,k), column j stored contiguously at j*m for the Gram-Schmidt sweeps
  const q = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) q[j * m + i] = rng.normal();
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[p * m + i] * q[j * m + i];
      for (let i = 0; i < m; i++) q[j * m + i] -= dot * q[p * m + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[j * m + i] * q[j * m + i];
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error('orthogonal initialiser: degenerate random matrix');
    for (let i = 0; i < m; i++) q[j * m + i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows >= cols: out = Q (m=rows, k=cols); else out = Qᵀ (k=rows, m=cols)
      out[r * cols + c] = rows >= cols ? q[c * m + r] : q[r * m + c];
    }
  }
  return out;
}

/** Zeros with the forget-gate slice [H, 2H) at 1 (gate order i, f, c, o). */
export function lstmBias(units: number): Float32Array {
  const out = new Float32Array(4 * units);
  out.fill(1, units, 2 * units);
  return out;
}

export function initWeight(spec: WeightSpec, rng: Random): Float32Array {
  switch (spec.init) {
    case 'glorot_uniform':
      return glorotUniform(spec.shape, rng);
    case 'orthogonal': {
      const rows = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return orthogonal(rows, spec.shape[spec.shape.length - 1], rng);
    }
    case 'lstm_bias':
      return lstmBias(spec.shape[0] / 4);
    case 'zeros':
      return new Float32Array(sizeOf(spec.shape));
  }
}

/** Fresh form-scorer weights, WEIGHT_SPECS order, all drawn from one Random(seed). */
export function initWeights(seed = 0): NamedWeights {
  const rng = new Random(seed);
  const weights: NamedWeights = new Map();
  for (const spec of WEIGHT_SPECS) weights.set(spec.name, initWeight(spec, rng));
  return weights;
}
