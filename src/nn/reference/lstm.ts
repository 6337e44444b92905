// Reference LSTM over a whole sequence (Keras semantics) and the Bidirectional
// wrapper. Gate order i, f, c, o on the last axis of kernel / recurrent / bias;
// recurrent activation sigmoid, activation tanh; zero initial state:
//   z_t = x_t·Wx + h_{t-1}·Wh + b,  i,f,o = σ(z),  g = tanh(z_c)
//   c_t = f⊙c_{t-1} + i⊙g,  h_t = o⊙tanh(c_t)
// The input projection x·Wx + b is one (B·T, C)×(C, 4H) product for all steps,
// only the recurrence runs step by step. Backward kernels accumulate (+=).

import { type Buf, type DType, alloc, dtypeOf, matmul, matmulTransA, matmulTransB, sigmoid } from './buffers.js';

/** What the backward pass needs from the forward pass; all (B,T,·), stored at the
 * ORIGINAL time index t even when the sequence is consumed in reverse. */
export interface LstmCache {
  /** (B,T,4H) gate activations [i, f, g, o] after σ / tanh. */
  gates: Buf;
  /** (B,T,H) cell state. */
  c: Buf;
  /** (B,T,H) hidden state = the layer's output sequence. */
  h: Buf;
}

export function lstmCache(dtype: DType, B: number, T: number, H: number): LstmCache {
  return { gates: alloc(dtype, B * T * 4 * H), c: alloc(dtype, B * T * H), h: alloc(dtype, B * T * H) };
}

// inp (B,T,C), kernel (C,4H), recurrent (H,4H), bias (4H) -> cache.{gates (B,T,4H), c (B,T,H), h (B,T,H)}
// reverse: consume t = T-1 … 0 (Keras go_backwards) but store step results at index t, so
// h[t] is the state after reading x[T-1..t]: the re-reversed sequence Keras returns for
// the backward direction of a Bidirectional with return_sequences.
export function lstmForward(
  cache: LstmCache, inp: Buf, kernel: Buf, recurrent: Buf, bias: Buf,
  B: number, T: number, C: number, H: number, reverse: boolean,
): void {
  const G = 4 * H;
  const { gates, c, h } = cache;
  matmul(gates, inp, kernel, B * T, C, G); // input projection for every step at once
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const tp = reverse ? t + 1 : t - 1; // previous step in processing order
      const z = (b * T + t) * G;
      const hp = (b * T + tp) * H;
      for (let j = 0; j < G; j++) gates[z + j] += bias[j];
      if (s > 0) {
        for (let k = 0; k < H; k++) {
          const hk = h[hp + k];
          if (hk === 0) continue;
          const r = k * G;
          for (let j = 0; j < G; j++) gates[z + j] += hk * recurrent[r + j];
        }
      }
      const o = (b * T + t) * H;
      for (let k = 0; k < H; k++) {
        const ig = sigmoid(gates[z + k]);
        const fg = sigmoid(gates[z + H + k]);
        const gg = Math.tanh(gates[z + 2 * H + k]);
        const og = sigmoid(gates[z + 3 * H + k]);
        gates[z + k] = ig;
        gates[z + H + k] = fg;
        gates[z + 2 * H + k] = gg;
        gates[z + 3 * H + k] = og;
        const cPrev = s > 0 ? c[hp + k] : 0;
        c[o + k] = fg * cPrev + ig * gg;
        h[o + k] = og * Math.tanh(c[o + k]);
      }
    }
  }
}

// dh (B,T,H) gradient on every output h[t] (zeros where an output is unused); cache, inp as in
// forward -> dinp (B,T,C) +=, dkernel (C,4H) +=, drecurrent (H,4H) +=, dbias (4H) +=
export function lstmBackward(
  dinp: Buf | null, dkernel: Buf, drecurrent: Buf, dbias: Buf, dh: Buf,
  cache: LstmCache, inp: Buf, kernel: Buf, recurrent: Buf,
  B: number, T: number, C: number, H: number, reverse: boolean,
): void {
  const G = 4 * H;
  const { gates, c, h } = cache;
  const dz = new Float64Array(B * T * G); // gate pre-activation gradients
  const dhNext = new Float64Array(H); // dLoss/dh flowing back through the recurrence
  const dcNext = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    dhNext.fill(0);
    dcNext.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const tp = reverse ? t + 1 : t - 1;
      const z = (b * T + t) * G;
      const o = (b * T + t) * H;
      const hp = (b * T + tp) * H;
      for (let k = 0; k < H; k++) {
        const ig = gates[z + k];
        const fg = gates[z + H + k];
        const gg = gates[z + 2 * H + k];
        const og = gates[z + 3 * H + k];
        const tc = Math.tanh(c[o + k]);
        const dhk = dh[o + k] + dhNext[k];
        const dc = dcNext[k] + dhk * og * (1 - tc * tc);
        const cPrev = s > 0 ? c[hp + k] : 0;
        dz[z + k] = dc * gg * ig * (1 - ig);
        dz[z + H + k] = dc * cPrev * fg * (1 - fg);
        dz[z + 2 * H + k] = dc * ig * (1 - gg * gg);
        dz[z + 3 * H + k] = dhk * tc * og * (1 - og);
        dcNext[k] = dc * fg;
      }
      dhNext.fill(0);
      if (s > 0) {
        for (let k = 0; k < H; k++) {
          const r = k * G;
          const hk = h[hp + k];
          let sum = 0;
          for (let j = 0; j < G; j++) {
            sum += recurrent[r + j] * dz[z + j];
            drecurrent[r + j] += hk * dz[z + j];
          }
          dhNext[k] = sum;
        }
      }
    }
  }
  for (let i = 0; i < B * T; i++) for (let j = 0; j < G; j++) dbias[j] += dz[i * G + j];
  matmulTransA(dkernel, inp, dz, B * T, C, G);
  if (dinp) matmulTransB(dinp, dz, kernel, B * T, G, C);
}

// ---------------------------------------------------------------------------
// Bidirectional(LSTM(H)), merge mode concat [forward, backward].

export interface LstmWeights {
  kernel: Buf; // (C,4H)
  recurrent: Buf; // (H,4H)
  bias: Buf; // (4H)
}

export interface BiLstmCache {
  forward: LstmCache;
  backward: LstmCache;
}

export function biLstmCache(dtype: DType, B: number, T: number, H: number): BiLstmCache {
  return { forward: lstmCache(dtype, B, T, H), backward: lstmCache(dtype, B, T, H) };
}

// The rows of a merged output, (B,T,2H) with returnSequences, else (B,2H): visit(o, sf, sb)
// for each row of H forward then H backward values at o, which are h_fwd at sf and h_bwd
// at sb, offsets into (B,T,H).
function forEachMergedRow(
  B: number, T: number, H: number, returnSequences: boolean, visit: (o: number, sf: number, sb: number) => void,
): void {
  for (let b = 0; b < B; b++) {
    if (returnSequences) {
      for (let t = 0; t < T; t++) visit((b * T + t) * 2 * H, (b * T + t) * H, (b * T + t) * H);
    } else {
      visit(b * 2 * H, (b * T + T - 1) * H, b * T * H);
    }
  }
}

// inp (B,T,C) -> out (B,T,2H) when returnSequences, else (B,2H) = [h_fwd[T-1], h_bwd[0]]
// (the backward direction's last state is the one after consuming x[T-1..0], stored at t=0)
export function biLstmForward(
  out: Buf, cache: BiLstmCache, inp: Buf, fw: LstmWeights, bw: LstmWeights,
  B: number, T: number, C: number, H: number, returnSequences: boolean,
): void {
  lstmForward(cache.forward, inp, fw.kernel, fw.recurrent, fw.bias, B, T, C, H, false);
  lstmForward(cache.backward, inp, bw.kernel, bw.recurrent, bw.bias, B, T, C, H, true);
  const hf = cache.forward.h;
  const hb = cache.backward.h;
  forEachMergedRow(B, T, H, returnSequences, (o, sf, sb) => {
    for (let k = 0; k < H; k++) {
      out[o + k] = hf[sf + k];
      out[o + H + k] = hb[sb + k];
    }
  });
}

export interface LstmGrads {
  kernel: Buf;
  recurrent: Buf;
  bias: Buf;
}

// dout (B,T,2H) or (B,2H) -> dinp (B,T,C) +=, weight gradients of both directions +=
export function biLstmBackward(
  dinp: Buf | null, dfw: LstmGrads, dbw: LstmGrads, dout: Buf, cache: BiLstmCache, inp: Buf,
  fw: LstmWeights, bw: LstmWeights, B: number, T: number, C: number, H: number, returnSequences: boolean,
): void {
  const dtype = dtypeOf(dout);
  const dhf = alloc(dtype, B * T * H);
  const dhb = alloc(dtype, B * T * H);
  forEachMergedRow(B, T, H, returnSequences, (o, sf, sb) => {
    for (let k = 0; k < H; k++) {
      dhf[sf + k] = dout[o + k];
      dhb[sb + k] = dout[o + H + k];
    }
  });
  lstmBackward(dinp, dfw.kernel, dfw.recurrent, dfw.bias, dhf, cache.forward, inp, fw.kernel, fw.recurrent, B, T, C, H, false);
  lstmBackward(dinp, dbw.kernel, dbw.recurrent, dbw.bias, dhb, cache.backward, inp, bw.kernel, bw.recurrent, B, T, C, H, true);
}
