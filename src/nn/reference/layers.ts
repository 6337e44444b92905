// Reference kernels (llm.c style) for the feed-forward layers of the form scorer,
// plus the loss and the optimizer. Forward kernels overwrite their output; backward
// kernels ACCUMULATE (+=) into every gradient buffer they are given, so the caller
// zeroes gradients once per step and a layer can feed several consumers.
// Activations are channel-last: (B, T, C) row-major.

import { Random } from '../../util/random.js';
import { ADAM } from '../architecture.js';
import { type Buf, matmul, matmulTransA, matmulTransB, sigmoid } from './buffers.js';

export type Activation = 'linear' | 'relu' | 'sigmoid';

// ---------------------------------------------------------------------------
// Conv1D, stride 1, "same" padding (floor((K-1)/2) zeros before, the rest after),
// optional fused ReLU.

// inp (B,T,C), weight (K,C,OC) Keras layout, bias (OC) -> out (B,T,OC)
export function conv1dForward(
  out: Buf, inp: Buf, weight: Buf, bias: Buf,
  B: number, T: number, C: number, OC: number, K: number, relu: boolean,
): void {
  const padBefore = Math.floor((K - 1) / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * OC;
      for (let oc = 0; oc < OC; oc++) out[o + oc] = bias[oc];
      for (let k = 0; k < K; k++) {
        const ts = t + k - padBefore;
        if (ts < 0 || ts >= T) continue;
        const x = (b * T + ts) * C;
        for (let c = 0; c < C; c++) {
          const xv = inp[x + c];
          const w = (k * C + c) * OC;
          for (let oc = 0; oc < OC; oc++) out[o + oc] += xv * weight[w + oc];
        }
      }
      if (relu) for (let oc = 0; oc < OC; oc++) if (out[o + oc] < 0) out[o + oc] = 0;
    }
  }
}

// dout, out (B,T,OC); inp (B,T,C); weight (K,C,OC) -> dinp (B,T,C) +=, dweight (K,C,OC) +=, dbias (OC) +=
// `out` is the forward output (after ReLU): its zeros mask the gradient when relu is on.
// dinp may be null when the input is the network input.
export function conv1dBackward(
  dinp: Buf | null, dweight: Buf, dbias: Buf, dout: Buf, inp: Buf, weight: Buf, out: Buf,
  B: number, T: number, C: number, OC: number, K: number, relu: boolean,
): void {
  const padBefore = Math.floor((K - 1) / 2);
  const dz = new Float64Array(OC);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * OC;
      for (let oc = 0; oc < OC; oc++) {
        dz[oc] = relu && out[o + oc] <= 0 ? 0 : dout[o + oc];
        dbias[oc] += dz[oc];
      }
      for (let k = 0; k < K; k++) {
        const ts = t + k - padBefore;
        if (ts < 0 || ts >= T) continue;
        const x = (b * T + ts) * C;
        for (let c = 0; c < C; c++) {
          const w = (k * C + c) * OC;
          const xv = inp[x + c];
          let s = 0;
          for (let oc = 0; oc < OC; oc++) {
            dweight[w + oc] += xv * dz[oc];
            s += weight[w + oc] * dz[oc];
          }
          if (dinp) dinp[x + c] += s;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// MaxPooling1D, pool = stride = P, "valid" padding: To = floor(T / P).

// inp (B,T,C) -> out (B,To,C), argmax (B,To,C) index into inp of the chosen element
export function maxPool1dForward(
  out: Buf, argmax: Int32Array, inp: Buf, B: number, T: number, C: number, P: number,
): void {
  const To = Math.floor(T / P);
  for (let b = 0; b < B; b++) {
    for (let to = 0; to < To; to++) {
      for (let c = 0; c < C; c++) {
        let best = (b * T + to * P) * C + c;
        for (let p = 1; p < P; p++) {
          const i = (b * T + to * P + p) * C + c;
          if (inp[i] > inp[best]) best = i; // first maximum wins on ties, as in TF
        }
        const o = (b * To + to) * C + c;
        out[o] = inp[best];
        argmax[o] = best;
      }
    }
  }
}

// dout, argmax (B,To,C) -> dinp (B,T,C) +=
export function maxPool1dBackward(dinp: Buf, dout: Buf, argmax: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[argmax[i]] += dout[i];
}

// ---------------------------------------------------------------------------
// Dropout, inverted: kept elements are scaled by 1/(1-rate) in training, so
// inference is the identity.

/**
 * Fills `mask` (n) with 0 (dropped) or 1/(1-rate) (kept). Element i draws one
 * `rng.next()` in index order and is kept when the draw is >= rate, so a seed
 * fixes the mask exactly (the engine reproduces it the same way).
 */
export function dropoutMask(mask: Buf, n: number, rate: number, rng: Random): void {
  const scale = 1 / (1 - rate);
  for (let i = 0; i < n; i++) mask[i] = rng.next() >= rate ? scale : 0;
}

// inp (n), mask (n) -> out (n)
export function dropoutForward(out: Buf, inp: Buf, mask: Buf, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] * mask[i];
}

// dout (n), mask (n) -> dinp (n) +=
export function dropoutBackward(dinp: Buf, dout: Buf, mask: Buf, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}

// ---------------------------------------------------------------------------
// Dense with fused activation.

// inp (B,C), weight (C,OC) Keras layout, bias (OC) -> out (B,OC)
export function denseForward(
  out: Buf, inp: Buf, weight: Buf, bias: Buf, B: number, C: number, OC: number, act: Activation,
): void {
  matmul(out, inp, weight, B, C, OC);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      const i = b * OC + o;
      const z = out[i] + bias[o];
      out[i] = act === 'relu' ? (z > 0 ? z : 0) : act === 'sigmoid' ? sigmoid(z) : z;
    }
  }
}

// dout, out (B,OC); inp (B,C); weight (C,OC) -> dinp (B,C) +=, dweight (C,OC) +=, dbias (OC) +=
// The activation derivative comes from the forward output: relu out>0, sigmoid out(1-out).
export function denseBackward(
  dinp: Buf | null, dweight: Buf, dbias: Buf, dout: Buf, inp: Buf, weight: Buf, out: Buf,
  B: number, C: number, OC: number, act: Activation,
): void {
  const dz = new Float64Array(B * OC);
  for (let i = 0; i < B * OC; i++) {
    const y = out[i];
    dz[i] = act === 'relu' ? (y > 0 ? dout[i] : 0) : act === 'sigmoid' ? dout[i] * y * (1 - y) : dout[i];
    dbias[i % OC] += dz[i];
  }
  matmulTransA(dweight, inp, dz, B, C, OC);
  if (dinp) matmulTransB(dinp, dz, weight, B, OC, C);
}

// ---------------------------------------------------------------------------
// Mean squared error over all N×K elements (Keras "mse": mean over the last axis,
// then over the batch — the same number), with the MAE metric.

// pred, target (N,K) -> dpred (N,K) overwritten with dLoss/dpred; returns loss and mae
export function mseLoss(
  dpred: Buf | null, pred: Buf, target: ArrayLike<number>, N: number, K: number,
): { loss: number; mae: number } {
  const count = N * K;
  let se = 0;
  let ae = 0;
  for (let i = 0; i < count; i++) {
    const d = pred[i] - target[i];
    se += d * d;
    ae += Math.abs(d);
    if (dpred) dpred[i] = (2 * d) / count;
  }
  return { loss: se / count, mae: ae / count };
}

// ---------------------------------------------------------------------------
// Adam as Keras / TF implement it ("epsilon hat" form): the bias correction goes
// into the step size, epsilon is added to sqrt(v) uncorrected.

// w, g, m, v (n); step = t, counted from 1 for the first update -> w, m, v updated in place
export function adamUpdate(
  w: Buf, g: Buf, m: Buf, v: Buf, n: number, learningRate: number, step: number,
  beta1: number = ADAM.beta1, beta2: number = ADAM.beta2, epsilon: number = ADAM.epsilon,
): void {
  const lrT = (learningRate * Math.sqrt(1 - Math.pow(beta2, step))) / (1 - Math.pow(beta1, step));
  for (let i = 0; i < n; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    w[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + epsilon);
  }
}
