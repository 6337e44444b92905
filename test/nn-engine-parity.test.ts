// (b) Every kernel set this machine runs (native builds, WebAssembly relaxed and plain
// SIMD; src/nn/kernels.ts) against the plain TypeScript reference (src/nn/reference):
// every kernel's forward output and gradients, then the whole network, within 1e-5
// relative (max |kernel - ref| / max |ref| per tensor; the reference runs in float64).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WEIGHT_SPECS, layersOfKind } from '../src/nn/architecture.js';
import { Engine } from '../src/nn/engine.js';
import { type KernelSet, type Kernels, kernelSets, loadNativeAddon } from '../src/nn/kernels.js';
import { initWeights } from '../src/nn/init.js';
import {
  adamUpdate, conv1dBackward, conv1dForward, denseBackward, denseForward, lstmBackward, lstmCache, lstmForward,
  maxPool1dBackward, maxPool1dForward, mseLoss, networkForward, networkLossAndGrads,
} from '../src/nn/reference/index.js';
import { Random } from '../src/util/random.js';

const TOL = 1e-5;

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

function close(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol = TOL): void {
  const e = relErr(a, b);
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(2)} > ${tol}`);
}

/** A bare kernel instance with a bump allocator: puts test tensors into its memory. */
class Wasm {
  readonly k: Kernels;
  private p: number;
  constructor(set: KernelSet) {
    this.k = set.instantiate();
    this.p = Math.ceil(this.k.heapBase() / 64) * 64;
  }
  alloc(n: number): number {
    const at = this.p;
    this.p += Math.ceil((n * 4) / 64) * 64 + 64;
    const need = this.p - this.k.memory.buffer.byteLength;
    if (need > 0) this.k.memory.grow(Math.ceil(need / 65536));
    new Float32Array(this.k.memory.buffer, at, n).fill(0);
    return at;
  }
  put(a: ArrayLike<number>): number {
    const at = this.alloc(a.length);
    new Float32Array(this.k.memory.buffer, at, a.length).set(a);
    return at;
  }
  get(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n).slice();
  }
}

const rng = new Random(20261123);
const rand = (n: number, scale = 1, from = rng): Float64Array => Float64Array.from({ length: n }, () => from.uniform(-scale, scale));
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

for (const set of kernelSets()) describe(`${set.name} kernels vs TypeScript reference`, () => {
  it('gemm: A·B, Aᵀ·B and overlapping rows, odd sizes, accumulate', () => {
    const w = new Wasm(set);
    // the last shape's transposed A has a K panel of 128 rows 256 bytes apart, 32 KB: the
    // native kernels copy its strips into contiguous floats first
    for (const [M, N, K] of [[1, 1, 1], [5, 13, 7], [9, 24, 3], [4, 8, 16], [7, 6, 33], [1, 300, 9], [2, 150, 5], [8, 70, 4], [64, 40, 200]]) {
      const A = rand(M * K);
      const B = rand(K * N);
      const C0 = rand(M * N);
      const ref = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = C0[i * N + j];
        for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
        ref[i * N + j] = s;
      }
      const pa = w.put(A), pb = w.put(B), pc = w.put(C0);
      w.k.gemm(M, N, K, pa, K, 1, pb, N, pc, N, 1);
      close(`gemm NN ${M}x${N}x${K}`, w.get(pc, M * N), ref);
      // the same product with A stored transposed (K, M): rsA = 1, csA = M
      const At = new Float64Array(K * M);
      for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) At[k * M + i] = A[i * K + k];
      const pat = w.put(At), pc2 = w.put(C0);
      w.k.gemm(M, N, K, pat, 1, M, pb, N, pc2, N, 1);
      close(`gemm TN ${M}x${N}x${K}`, w.get(pc2, M * N), ref);
      // every element is the same sum in the same order however A is stored
      assert.deepEqual(w.get(pc2, M * N), w.get(pc, M * N), `gemm TN ${M}x${N}x${K}: not the bytes of NN`);
    }
  });

  for (const [K, withDx] of [[5, false], [3, true]] as const) {
    it(`conv1d k=${K} forward and backward${withDx ? ' with input gradient' : ''}`, () => {
      const w = new Wasm(set);
      const B = 3, T = 11, C = 6, OC = 8, pad = Math.floor((K - 1) / 2);
      const x = rand(B * T * C), W = rand(K * C * OC, 0.5), bias = rand(OC, 0.3), dout = rand(B * T * OC);
      const out = new Float64Array(B * T * OC);
      conv1dForward(out, x, W, bias, B, T, C, OC, K, true);
      const dx = new Float64Array(B * T * C), dW = new Float64Array(W.length), db = new Float64Array(OC);
      conv1dBackward(dx, dW, db, dout, x, W, out, B, T, C, OC, K, true);

      const rows = T + K - 1;
      const xpad = new Float32Array(B * rows * C);
      for (let b = 0; b < B; b++) xpad.set(f32(x.subarray(b * T * C, (b + 1) * T * C)), (b * rows + pad) * C);
      const px = w.put(xpad), pw = w.put(W), pb = w.put(bias), py = w.alloc(B * T * OC);
      w.k.conv1dForward(B, T, C, OC, K, px, pw, pb, py, T * OC, 1);
      close('conv forward', w.get(py, B * T * OC), out);
      // split across two threads (native: half the rows on the helper thread): the same bytes
      const py2 = w.alloc(B * T * OC);
      w.k.conv1dForward(B, T, C, OC, K, px, pw, pb, py2, T * OC, 2);
      assert.deepEqual(w.get(py2, B * T * OC), w.get(py, B * T * OC), 'conv forward on two threads');
      // dout inside a buffer padded for the flipped-kernel input gradient
      const before = K - 1 - pad;
      const dpad = new Float32Array(B * rows * OC);
      for (let b = 0; b < B; b++) dpad.set(f32(dout.subarray(b * T * OC, (b + 1) * T * OC)), (b * rows + before) * OC);
      const pd = w.put(dpad), pdw = w.alloc(W.length), pdb = w.alloc(OC), pflip = w.alloc(W.length), pdx = w.alloc(B * T * C);
      w.k.conv1dFlipKernel(K, C, OC, pw, pflip);
      w.k.conv1dBackward(B, T, C, OC, K, pad, px, py, T * OC, pd + before * OC * 4, rows * OC, pdw, pdb, pflip, withDx ? pdx : 0);
      close('conv dW', w.get(pdw, W.length), dW);
      close('conv dbias', w.get(pdb, OC), db);
      if (withDx) close('conv dX', w.get(pdx, B * T * C), dx);
    });
  }

  it('maxpool forward and backward', () => {
    const w = new Wasm(set);
    const B = 2, To = 7, C = 8;
    const x = f32(rand(B * 2 * To * C));
    const out = new Float32Array(B * To * C), arg = new Int32Array(B * To * C);
    maxPool1dForward(out, arg, x, B, 2 * To, C, 2);
    const dout = f32(rand(B * To * C));
    const dx = new Float32Array(x.length);
    maxPool1dBackward(dx, dout, arg, dout.length);
    const px = w.put(x), py = w.alloc(out.length), parg = w.alloc(out.length), pd = w.put(dout), pdx = w.alloc(x.length);
    w.k.maxPool1dForward(B, To, C, px, py, parg);
    close('pool forward', w.get(py, out.length), out, 0);
    w.k.maxPool1dBackward(B, To, C, pd, parg, pdx, 2 * To * C);
    close('pool backward', w.get(pdx, x.length), dx, 0);
  });

  it('dropout: inverted scaling, rate, masks independent of the batch split, backward', () => {
    const w = new Wasm(set);
    const B = 8, S = 500, rate = 0.3;
    const x = f32(rand(B * S));
    const px = w.put(x), py = w.alloc(B * S), pm = w.alloc(B * S);
    w.k.dropoutForward(B, S, rate, 1234, 0, px, py, pm);
    const mask = w.get(pm, B * S), y = w.get(py, B * S);
    let dropped = 0;
    for (let i = 0; i < mask.length; i++) {
      assert.ok(mask[i] === 0 || Math.abs(mask[i] - 1 / (1 - rate)) < 1e-6, `mask value ${mask[i]}`);
      if (mask[i] === 0) dropped++;
      assert.equal(y[i], Math.fround(x[i] * mask[i]));
    }
    assert.ok(Math.abs(dropped / mask.length - rate) < 0.03, `dropped fraction ${dropped / mask.length}`);
    // samples 4..7 computed as a separate slice (sampleOffset 4) get the same masks
    const py2 = w.alloc(4 * S), pm2 = w.alloc(4 * S);
    w.k.dropoutForward(4, S, rate, 1234, 4, px + 4 * S * 4, py2, pm2);
    assert.deepEqual(w.get(pm2, 4 * S), mask.slice(4 * S));
    // another seed, another mask
    w.k.dropoutForward(B, S, rate, 1235, 0, px, py, pm);
    assert.notDeepEqual(w.get(pm, B * S), mask);
    // backward is the same masking
    const pg = w.put(x), pgo = w.alloc(B * S);
    w.k.mulInto(B * S, pg, pm, pgo);
    const m2 = w.get(pm, B * S);
    close('dropout backward', w.get(pgo, B * S), x.map((v, i) => v * m2[i]), 0);
  });

  it('addInto: y += x elementwise, float32 rounding, odd lengths', () => {
    const w = new Wasm(set);
    const n = 4 * 16 + 3;
    const x = f32(rand(n)), y = f32(rand(n, 100));
    const px = w.put(x), py = w.put(y);
    w.k.addInto(n, px, py);
    close('addInto', w.get(py, n), y.map((v, i) => Math.fround(v + x[i])), 0);
  });

  for (const reverse of [false, true]) {
    it(`LSTM ${reverse ? 'backward direction (reversed, re-aligned)' : 'forward direction'}: forward and backward through time`, () => {
      const w = new Wasm(set);
      const B = 3, T = 7, C = 6, H = 8, G = 4 * H;
      const x = rand(B * T * C), W = rand(C * G, 0.5), U = rand(H * G, 0.5), bias = rand(G, 0.5);
      const dh = rand(B * T * H);
      const cache = lstmCache('float64', B, T, H);
      lstmForward(cache, x, W, U, bias, B, T, C, H, reverse);
      const dx = new Float64Array(x.length), dW = new Float64Array(W.length), dU = new Float64Array(U.length), db = new Float64Array(G);
      lstmBackward(dx, dW, dU, db, dh, cache, x, W, U, B, T, C, H, reverse);

      const px = w.put(x), pw = w.put(W), pu = w.put(U), pb = w.put(bias);
      const pg = w.alloc(B * T * G), pc = w.alloc(B * T * H), ph = w.alloc(B * T * H);
      w.k.lstmForward(B, T, C, H, px, pw, pu, pb, pg, pc, ph, H, reverse ? 1 : 0);
      close('lstm gates', w.get(pg, B * T * G), cache.gates);
      close('lstm c', w.get(pc, B * T * H), cache.c);
      close('lstm h', w.get(ph, B * T * H), cache.h);
      const pwt = w.alloc(W.length), put = w.alloc(U.length);
      w.k.transpose(C, G, pw, pwt);
      w.k.transpose(H, G, pu, put);
      const pdh = w.put(dh), ps1 = w.alloc(B * H), ps2 = w.alloc(B * H);
      const pdw = w.alloc(W.length), pdu = w.alloc(U.length), pdb = w.alloc(G), pdx = w.alloc(x.length);
      w.k.lstmBackward(B, T, C, H, px, pwt, put, pg, pc, ph, H, pdh, ps1, ps2, pdw, pdu, pdb, pdx, 0, reverse ? 1 : 0);
      close('lstm dkernel', w.get(pdw, W.length), dW);
      close('lstm drecurrent', w.get(pdu, U.length), dU);
      close('lstm dbias', w.get(pdb, G), db);
      close('lstm dX', w.get(pdx, x.length), dx);
    });
  }

  it('BiLSTM both directions: the reference; the same bytes on one thread, on two, per direction, and for a rep alone or in a batch', () => {
    // a rep alone (B = 1) takes its own path in the native kernels (U packed into panels; H = 32 fills two or more,
    // which a rep's steps read in alternating order)
    // (its own random stream, so that the tests after it keep their data)
    const own = new Random(20261203);
    const w = new Wasm(set);
    const B = 3, T = 7, C = 6, H = 32, G = 4 * H;
    const x = rand(B * T * C, 1, own);
    const dirs = [false, true].map((reverse) => {
      const W = rand(C * G, 0.5, own), U = rand(H * G, 0.5, own), bias = rand(G, 0.5, own);
      const cache = lstmCache('float64', B, T, H);
      lstmForward(cache, x, W, U, bias, B, T, C, H, reverse);
      return { p: [w.put(W), w.put(U), w.put(bias), w.alloc(B * T * G), w.alloc(B * T * H)] as const, h: cache.h };
    });
    const px = w.put(x);
    const [f, b] = dirs.map((d) => d.p);
    const run = (n: number, threads: number) => {
      const ph = w.alloc(n * T * 2 * H);
      w.k.bilstmForward(n, T, C, H, px, ...f, ...b, ph, threads);
      return w.get(ph, n * T * 2 * H);
    };
    const batch = run(B, 1);
    const ref = new Float64Array(B * T * 2 * H);
    for (let r = 0; r < B * T; r++) dirs.forEach((d, k) => ref.set(d.h.subarray(r * H, (r + 1) * H), r * 2 * H + k * H));
    close('bilstm h', batch, ref);
    assert.deepEqual(run(B, 2), batch, 'batch on two threads');
    const ph = w.alloc(B * T * 2 * H);
    dirs.forEach((d, k) => w.k.lstmForward(B, T, C, H, px, ...d.p, ph + k * H * 4, 2 * H, k));
    assert.deepEqual(w.get(ph, B * T * 2 * H), batch, 'lstmForward per direction');
    const first = batch.subarray(0, T * 2 * H);
    assert.deepEqual(run(1, 1), first, 'the first rep alone');
    assert.deepEqual(run(1, 2), first, 'the first rep alone, on two threads');
    if (set.name.startsWith('native-')) {
      // the caller takes a task back that the helper thread has not started, so call until the helper has run some
      const addon = loadNativeAddon();
      assert.ok(typeof addon !== 'string', addon as string);
      const before = addon.helperTasks();
      for (let i = 0; i < 2000 && addon.helperTasks() === before; i++) assert.deepEqual(run(1, 2), first, `call ${i} on two threads`);
      assert.ok(addon.helperTasks() > before, 'the helper thread ran a direction');
    }
  });

  for (const act of ['relu', 'sigmoid'] as const) {
    it(`dense ${act} forward and backward (output width not a multiple of 4)`, () => {
      const w = new Wasm(set);
      const B = 5, C = 12, OC = act === 'relu' ? 16 : 6;
      const x = rand(B * C), W = rand(C * OC), bias = rand(OC, 0.3), dout = rand(B * OC);
      const out = new Float64Array(B * OC);
      denseForward(out, x, W, bias, B, C, OC, act);
      const dx = new Float64Array(x.length), dW = new Float64Array(W.length), db = new Float64Array(OC);
      denseBackward(dx, dW, db, dout, x, W, out, B, C, OC, act);
      const px = w.put(x), pw = w.put(W), pb = w.put(bias), py = w.alloc(B * OC);
      const code = act === 'relu' ? 1 : 2;
      w.k.denseForward(B, C, OC, px, pw, pb, py, code);
      close('dense forward', w.get(py, B * OC), out);
      const pwt = w.alloc(W.length), pd = w.put(dout), pdw = w.alloc(W.length), pdb = w.alloc(OC), pdx = w.alloc(x.length);
      w.k.transpose(C, OC, pw, pwt);
      w.k.denseBackward(B, C, OC, px, pwt, py, pd, pdw, pdb, pdx, code);
      close('dense dW', w.get(pdw, W.length), dW);
      close('dense dbias', w.get(pdb, OC), db);
      close('dense dX', w.get(pdx, x.length), dx);
    });
  }

  it('MSE loss, MAE and its gradient', () => {
    const w = new Wasm(set);
    const N = 7, K = 6;
    const p = f32(rand(N * K).map((v) => 0.5 + 0.5 * v)), y = f32(rand(N * K).map((v) => 0.5 + 0.5 * v));
    const dp = new Float64Array(N * K);
    const ref = mseLoss(dp, p, y, N, K);
    const pp = w.put(p), py = w.put(y), pd = w.alloc(N * K), out = w.alloc(4);
    w.k.mseLoss(N * K, pp, py, pd, N * K, out);
    const [se, ae] = new Float64Array(w.k.memory.buffer, out, 2);
    assert.ok(Math.abs(se / (N * K) - ref.loss) <= TOL * ref.loss);
    assert.ok(Math.abs(ae / (N * K) - ref.mae) <= TOL * ref.mae);
    close('dLoss/dpred', w.get(pd, N * K), dp);
  });

  it('Adam (Keras form) over several steps', () => {
    const w = new Wasm(set);
    const n = 23;
    const W = rand(n), m = new Float64Array(n), v = new Float64Array(n);
    const pw = w.put(W), pm = w.alloc(n), pv = w.alloc(n);
    for (let step = 1; step <= 5; step++) {
      const g = rand(n);
      adamUpdate(W, g, m, v, n, 0.01, step);
      const alpha = (0.01 * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step);
      w.k.adamUpdate(n, pw, w.put(g), pm, pv, alpha, 1 - 0.9, 1 - 0.999, 1e-7);
    }
    close('adam weights', w.get(pw, n), W);
    close('adam m', w.get(pm, n), m);
    close('adam v', w.get(pv, n), v);
  });
});

/**
 * The whole network's weights (non-zero biases, so that bias gradients and every gate
 * path are exercised) and a batch, with no near-tie in a max-pool window. Where a window's
 * two frames differ by less than float32 rounding of the convolutions, the engine may pick
 * the other frame than the float64 reference (AVX2's fused multiply-adds round otherwise
 * than SSE2 or WebAssembly), and that frame's whole gradient path differs: correct
 * arithmetic, yet 1e-3 apart. Such draws are drawn again, so the test depends on no lucky
 * stream. Its own stream: the same case for every kernel set.
 */
function wholeNetworkCase(n: number): { weights: ReturnType<typeof initWeights>; x: Float32Array; y: Float32Array } {
  const own = new Random(20261205);
  const [pool] = layersOfKind('maxPool1d');
  for (let attempt = 0; attempt < 20; attempt++) {
    const weights = initWeights(3 + attempt);
    for (const s of WEIGHT_SPECS) if (s.name.endsWith('bias')) weights.get(s.name)!.forEach((v, i, a) => (a[i] = v + own.normal(0, 0.1)));
    const x = f32(rand(n * 90 * 18, 1, own));
    const y = f32(rand(n * 6, 1, own).map((v) => 0.5 + 0.5 * v));
    const frames = networkForward(weights, x, n, { dtype: 'float64' }).layers[pool.index - 1].out; // (n, T, C)
    const [T, C] = pool.input;
    let scale = 0;
    for (const v of frames) scale = Math.max(scale, Math.abs(v));
    let nearTie = false;
    for (let b = 0; b < n && !nearTie; b++) for (let t = 0; t + 1 < T && !nearTie; t += 2) for (let c = 0; c < C; c++) {
      const u = frames[(b * T + t) * C + c], v = frames[(b * T + t + 1) * C + c];
      // both zero (ReLU) is an exact tie that both sides break alike, with no gradient behind it
      if (Math.max(u, v) > 0 && Math.abs(u - v) <= 1e-5 * scale) nearTie = true;
    }
    if (!nearTie) return { weights, x, y };
  }
  throw new Error('whole network: 20 draws in a row had a max-pool near-tie');
}

describe('whole network: engine vs reference', () => {
  const n = 5;
  const { weights, x, y } = wholeNetworkCase(n);
  const ref = networkLossAndGrads(weights, x, y, n, { dtype: 'float64' });
  for (const set of kernelSets()) it(`scores, loss and every weight gradient (no dropout), ${set.name} kernels`, () => {
    const e = new Engine(8, set);
    e.writeNamed('params', weights);
    e.setInput(x, n);
    e.setTargets(y, n);
    close('scores', e.forward(n), ref.scores);
    e.prepareBackward();
    e.zeroGrads();
    const { se, ae } = e.backward(n, n * 6);
    assert.ok(Math.abs(se / (n * 6) - ref.loss) <= TOL * ref.loss, `loss ${se / (n * 6)} vs ${ref.loss}`);
    assert.ok(Math.abs(ae / (n * 6) - ref.mae) <= TOL * ref.mae);
    const grads = e.readNamed('grads');
    for (const s of WEIGHT_SPECS) close(`d ${s.name}`, grads.get(s.name)!, ref.grads.get(s.name)!);
  });

  it('a NaN input reaches the scores in every kernel set (ReLU and exp keep it, so training can stop on it)', () => {
    const x = f32(rand(2 * 90 * 18));
    x[7] = NaN;
    for (const set of kernelSets()) {
      const e = new Engine(2, set);
      e.writeNamed('params', initWeights(2));
      e.setInput(x, 2);
      const out = e.forward(2);
      assert.ok(out.slice(0, 6).every(Number.isNaN), `${set.name}: sample 0 scores ${out.slice(0, 6)}`);
      assert.ok(out.slice(6).every(Number.isFinite), `${set.name}: sample 1 untouched`);
    }
  });

  it('every kernel set draws the same dropout masks (a run\'s masks do not depend on the machine)', () => {
    const x = f32(rand(3 * 90 * 18));
    const masks = kernelSets().map((set) => {
      const e = new Engine(4, set);
      e.writeNamed('params', initWeights(6));
      e.setInput(x, 3);
      e.forward(3, { training: true, seed: 99, sampleOffset: 5 });
      return e.dropoutMasks(3);
    });
    for (const m of masks.slice(1)) assert.deepEqual(m, masks[0]);
  });

  it('with dropout: the engine\'s masks replayed in the reference give the same loss and gradients', () => {
    const weights = initWeights(5);
    const n = 4;
    const x = f32(rand(n * 90 * 18));
    const y = f32(rand(n * 6).map((v) => 0.5 + 0.5 * v));
    const e = new Engine(8);
    e.writeNamed('params', weights);
    e.setInput(x, n);
    e.setTargets(y, n);
    const scores = e.forward(n, { training: true, seed: 77 }).slice();
    e.prepareBackward();
    e.zeroGrads();
    const { se } = e.backward(n, n * 6);
    const { drop1, drop2 } = e.dropoutMasks(n);
    const dropped = [...drop1, ...drop2].filter((m) => m === 0).length;
    assert.ok(dropped > 0.2 * (drop1.length + drop2.length), 'dropout was on');
    // the reference draws drop1's mask then drop2's, element by element, keeping when next() >= rate
    const replay = [...drop1, ...drop2].map((m) => (m === 0 ? 0 : 0.999));
    let i = 0;
    const rng = { next: () => replay[i++] } as unknown as Random;
    const ref = networkLossAndGrads(weights, x, y, n, { dtype: 'float64', training: true, rng });
    assert.equal(i, replay.length);
    close('scores with dropout', scores, ref.scores);
    assert.ok(Math.abs(se / (n * 6) - ref.loss) <= TOL * ref.loss);
    const grads = e.readNamed('grads');
    for (const s of WEIGHT_SPECS) close(`d ${s.name} with dropout`, grads.get(s.name)!, ref.grads.get(s.name)!);
  });

  it('engine predictions in capacity-sized chunks equal one pass', () => {
    const weights = initWeights(4);
    const n = 11;
    const x = f32(rand(n * 90 * 18));
    const big = new Engine(16);
    big.writeNamed('params', weights);
    const small = new Engine(4);
    small.writeNamed('params', weights);
    assert.deepEqual(small.predict(x, n, new Float32Array(n * 6)), big.predict(x, n, new Float32Array(n * 6)));
  });
});
