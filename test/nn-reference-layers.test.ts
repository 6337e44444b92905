// Finite-difference gradient checks (float64, central differences) of every reference
// kernel on small shapes, plus the semantics that the gradients cannot see
// (padding, pooling windows, Keras's backward direction, the Adam formula).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/util/random.js';
import { centralDifference, relativeError } from './helpers/gradcheck.js';
import {
  type Buf, adamUpdate, biLstmBackward, biLstmCache, biLstmForward, conv1dBackward, conv1dForward, denseBackward,
  denseForward, dropoutBackward, dropoutForward, dropoutMask, lstmBackward, lstmCache, lstmForward, maxPool1dBackward,
  maxPool1dForward, mseLoss, type Activation,
} from '../src/nn/reference/index.js';

const EPS = 1e-6;

function randn(rng: Random, n: number, std = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, std);
  return a;
}

/** Loss = Σ out·proj for a fixed random projection, so dLoss/dout = proj. */
const project = (out: Buf, proj: Buf): number => {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * proj[i];
  return s;
};

/** Checks every entry of `analytic` against central differences of loss() in `param`. */
function checkGrad(what: string, param: Float64Array, analytic: Buf, loss: () => number, tol = 1e-6): void {
  assert.equal(analytic.length, param.length, `${what}: gradient length`);
  let worst = 0;
  for (let i = 0; i < param.length; i++) {
    const numeric = centralDifference(param, i, EPS, loss);
    const err = relativeError(numeric, analytic[i], 1e-3);
    worst = Math.max(worst, err);
    assert.ok(err < tol, `${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric} (rel ${err.toExponential(2)})`);
  }
  assert.ok(Number.isFinite(worst));
}

for (const [K, relu] of [[5, true], [3, true], [3, false], [4, false]] as const) {
  test(`conv1d K=${K} relu=${relu}: gradients match finite differences`, () => {
    const rng = new Random(10 + K);
    const [B, T, C, OC] = [2, 7, 3, 4];
    const inp = randn(rng, B * T * C);
    const w = randn(rng, K * C * OC, 0.5);
    const bias = randn(rng, OC, 0.2);
    const proj = randn(rng, B * T * OC);
    const out = new Float64Array(B * T * OC);
    const loss = () => {
      conv1dForward(out, inp, w, bias, B, T, C, OC, K, relu);
      return project(out, proj);
    };
    loss();
    const dinp = new Float64Array(inp.length);
    const dw = new Float64Array(w.length);
    const db = new Float64Array(OC);
    conv1dBackward(dinp, dw, db, proj, inp, w, out, B, T, C, OC, K, relu);
    checkGrad('dinp', inp, dinp, loss);
    checkGrad('dweight', w, dw, loss);
    checkGrad('dbias', bias, db, loss);
  });
}

test('conv1d same padding puts floor((K-1)/2) zeros before', () => {
  // one channel, kernel [1, 2, 3, 4] (K=4: one zero before, two after), input 1..5
  const inp = Float64Array.from([1, 2, 3, 4, 5]);
  const w = Float64Array.from([1, 2, 3, 4]);
  const out = new Float64Array(5);
  conv1dForward(out, inp, w, new Float64Array(1), 1, 5, 1, 1, 4, false);
  // out[t] = Σ_k w[k]·x[t+k-1]
  assert.deepEqual(Array.from(out), [0 * 1 + 1 * 2 + 2 * 3 + 3 * 4, 1 + 4 + 9 + 16, 2 + 6 + 12 + 20, 3 + 8 + 15, 4 + 10]);
  const relu = new Float64Array(5);
  conv1dForward(relu, Float64Array.from([-1, -2, -3, -4, -5]), w, new Float64Array(1), 1, 5, 1, 1, 4, true);
  assert.deepEqual(Array.from(relu), [0, 0, 0, 0, 0]);
});

test('maxPool1d: windows of 2, odd tail dropped, gradient goes to the maximum', () => {
  const rng = new Random(3);
  const [B, T, C] = [2, 7, 3];
  const To = 3;
  const inp = randn(rng, B * T * C);
  const out = new Float64Array(B * To * C);
  const argmax = new Int32Array(B * To * C);
  maxPool1dForward(out, argmax, inp, B, T, C, 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < To; t++) {
      for (let c = 0; c < C; c++) {
        const expect = Math.max(inp[(b * T + 2 * t) * C + c], inp[(b * T + 2 * t + 1) * C + c]);
        assert.equal(out[(b * To + t) * C + c], expect);
      }
    }
  }
  const proj = randn(rng, out.length);
  const dinp = new Float64Array(inp.length);
  maxPool1dBackward(dinp, proj, argmax, out.length);
  checkGrad('dinp', inp, dinp, () => {
    maxPool1dForward(out, argmax, inp, B, T, C, 2);
    return project(out, proj);
  });
});

test('dropout: seeded inverted mask, backward multiplies by the same mask', () => {
  const n = 20000;
  const rate = 0.3;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  dropoutMask(a, n, rate, new Random(5));
  dropoutMask(b, n, rate, new Random(5));
  assert.deepEqual(a, b, 'same seed, same mask');
  let kept = 0;
  for (const m of a) {
    assert.ok(m === 0 || Math.abs(m - 1 / 0.7) < 1e-12);
    if (m !== 0) kept++;
  }
  assert.ok(Math.abs(kept / n - 0.7) < 0.02, `kept fraction ${kept / n}`);
  const rng = new Random(6);
  const inp = randn(rng, 50);
  const mask = new Float64Array(50);
  dropoutMask(mask, 50, rate, rng);
  const out = new Float64Array(50);
  const proj = randn(rng, 50);
  const dinp = new Float64Array(50);
  dropoutForward(out, inp, mask, 50);
  dropoutBackward(dinp, proj, mask, 50);
  checkGrad('dinp', inp, dinp, () => {
    dropoutForward(out, inp, mask, 50);
    return project(out, proj);
  });
});

for (const act of ['linear', 'relu', 'sigmoid'] as Activation[]) {
  test(`dense ${act}: gradients match finite differences`, () => {
    const rng = new Random(20);
    const [B, C, OC] = [3, 5, 4];
    const inp = randn(rng, B * C);
    const w = randn(rng, C * OC, 0.7);
    const bias = randn(rng, OC, 0.3);
    const proj = randn(rng, B * OC);
    const out = new Float64Array(B * OC);
    const loss = () => {
      denseForward(out, inp, w, bias, B, C, OC, act);
      return project(out, proj);
    };
    loss();
    const dinp = new Float64Array(inp.length);
    const dw = new Float64Array(w.length);
    const db = new Float64Array(OC);
    denseBackward(dinp, dw, db, proj, inp, w, out, B, C, OC, act);
    checkGrad('dinp', inp, dinp, loss);
    checkGrad('dweight', w, dw, loss);
    checkGrad('dbias', bias, db, loss);
  });
}

for (const reverse of [false, true]) {
  test(`lstm reverse=${reverse}: gradients match finite differences`, () => {
    const rng = new Random(reverse ? 31 : 30);
    const [B, T, C, H] = [2, 5, 3, 4];
    const inp = randn(rng, B * T * C);
    const kernel = randn(rng, C * 4 * H, 0.5);
    const recurrent = randn(rng, H * 4 * H, 0.5);
    const bias = randn(rng, 4 * H, 0.3);
    const proj = randn(rng, B * T * H);
    const cache = lstmCache('float64', B, T, H);
    const loss = () => {
      lstmForward(cache, inp, kernel, recurrent, bias, B, T, C, H, reverse);
      return project(cache.h, proj);
    };
    loss();
    const dinp = new Float64Array(inp.length);
    const dk = new Float64Array(kernel.length);
    const dr = new Float64Array(recurrent.length);
    const db = new Float64Array(bias.length);
    lstmBackward(dinp, dk, dr, db, proj, cache, inp, kernel, recurrent, B, T, C, H, reverse);
    checkGrad('dinp', inp, dinp, loss);
    checkGrad('dkernel', kernel, dk, loss);
    checkGrad('drecurrent', recurrent, dr, loss);
    checkGrad('dbias', bias, db, loss);
  });
}

test('lstm step matches the Keras cell equations written out by hand', () => {
  // C = 1, H = 1, T = 2: kernel [wi, wf, wc, wo], recurrent [ui, uf, uc, uo]
  const k = Float64Array.from([0.5, -0.3, 0.8, 0.1]);
  const u = Float64Array.from([0.2, 0.4, -0.6, 0.9]);
  const b = Float64Array.from([0.1, 1, -0.2, 0.05]);
  const x = Float64Array.from([0.7, -1.2]);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  let h = 0;
  let c = 0;
  const hs: number[] = [];
  for (const xt of x) {
    const i = sig(xt * k[0] + h * u[0] + b[0]);
    const f = sig(xt * k[1] + h * u[1] + b[1]);
    const g = Math.tanh(xt * k[2] + h * u[2] + b[2]);
    const o = sig(xt * k[3] + h * u[3] + b[3]);
    c = f * c + i * g;
    h = o * Math.tanh(c);
    hs.push(h);
  }
  const cache = lstmCache('float64', 1, 2, 1);
  lstmForward(cache, x, k, u, b, 1, 2, 1, 1, false);
  assert.ok(Math.abs(cache.h[0] - hs[0]) < 1e-15 && Math.abs(cache.h[1] - hs[1]) < 1e-15);
});

for (const returnSequences of [true, false]) {
  test(`bidirectional returnSequences=${returnSequences}: Keras semantics and gradients`, () => {
    const rng = new Random(returnSequences ? 40 : 41);
    const [B, T, C, H] = [2, 4, 3, 3];
    const inp = randn(rng, B * T * C);
    const mk = () => ({ kernel: randn(rng, C * 4 * H, 0.5), recurrent: randn(rng, H * 4 * H, 0.5), bias: randn(rng, 4 * H, 0.3) });
    const fw = mk();
    const bw = mk();
    const outLen = returnSequences ? B * T * 2 * H : B * 2 * H;
    const out = new Float64Array(outLen);
    const cache = biLstmCache('float64', B, T, H);
    biLstmForward(out, cache, inp, fw, bw, B, T, C, H, returnSequences);

    // Keras: the backward layer reads the time-reversed input; its output sequence is
    // reversed back (return_sequences) or its final state taken (no sequences).
    const rev = new Float64Array(inp.length);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) rev[(b * T + t) * C + c] = inp[(b * T + T - 1 - t) * C + c];
    const plainF = lstmCache('float64', B, T, H);
    const plainB = lstmCache('float64', B, T, H);
    lstmForward(plainF, inp, fw.kernel, fw.recurrent, fw.bias, B, T, C, H, false);
    lstmForward(plainB, rev, bw.kernel, bw.recurrent, bw.bias, B, T, C, H, false);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < H; k++) {
        if (returnSequences) {
          for (let t = 0; t < T; t++) {
            assert.ok(Math.abs(out[(b * T + t) * 2 * H + k] - plainF.h[(b * T + t) * H + k]) < 1e-14);
            assert.ok(Math.abs(out[(b * T + t) * 2 * H + H + k] - plainB.h[(b * T + T - 1 - t) * H + k]) < 1e-14);
          }
        } else {
          assert.ok(Math.abs(out[b * 2 * H + k] - plainF.h[(b * T + T - 1) * H + k]) < 1e-14);
          assert.ok(Math.abs(out[b * 2 * H + H + k] - plainB.h[(b * T + T - 1) * H + k]) < 1e-14);
        }
      }
    }

    const proj = randn(rng, outLen);
    const loss = () => {
      biLstmForward(out, cache, inp, fw, bw, B, T, C, H, returnSequences);
      return project(out, proj);
    };
    loss();
    const zeros = () => ({ kernel: new Float64Array(C * 4 * H), recurrent: new Float64Array(H * 4 * H), bias: new Float64Array(4 * H) });
    const dfw = zeros();
    const dbw = zeros();
    const dinp = new Float64Array(inp.length);
    biLstmBackward(dinp, dfw, dbw, proj, cache, inp, fw, bw, B, T, C, H, returnSequences);
    checkGrad('dinp', inp, dinp, loss);
    for (const [name, w, g] of [['fw', fw, dfw], ['bw', bw, dbw]] as const) {
      checkGrad(`${name}.kernel`, w.kernel, g.kernel, loss);
      checkGrad(`${name}.recurrent`, w.recurrent, g.recurrent, loss);
      checkGrad(`${name}.bias`, w.bias, g.bias, loss);
    }
  });
}

test('mseLoss: Keras MSE over all N×K elements, MAE metric, gradient', () => {
  const pred = Float64Array.from([0.1, 0.5, 0.9, 0.2, 0.4, 0.6]);
  const y = [0, 1, 1, 0.2, 0.1, 0.6];
  const dpred = new Float64Array(6);
  const { loss, mae } = mseLoss(dpred, pred, y, 2, 3);
  const expectLoss = (0.01 + 0.25 + 0.01 + 0 + 0.09 + 0) / 6;
  assert.ok(Math.abs(loss - expectLoss) < 1e-15);
  assert.ok(Math.abs(mae - (0.1 + 0.5 + 0.1 + 0 + 0.3 + 0) / 6) < 1e-15);
  checkGrad('dpred', pred, dpred, () => mseLoss(null, pred, y, 2, 3).loss);
});

test('adamUpdate: Keras/TF formula with epsilon 1e-7, bias correction in the step size', () => {
  const lr = 0.01;
  const rng = new Random(50);
  const n = 6;
  const w = randn(rng, n);
  const start = Float64Array.from(w);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  // reference in the other (algebraically equal) form: m̂/(sqrt(v̂) + ε/sqrt(1−β2^t))
  const w2 = Float64Array.from(w);
  const m2 = new Float64Array(n);
  const v2 = new Float64Array(n);
  for (let step = 1; step <= 3; step++) {
    const g = randn(rng, n);
    adamUpdate(w, g, m, v, n, lr, step);
    for (let i = 0; i < n; i++) {
      m2[i] = 0.9 * m2[i] + 0.1 * g[i];
      v2[i] = 0.999 * v2[i] + 0.001 * g[i] * g[i];
      const mh = m2[i] / (1 - 0.9 ** step);
      const vh = v2[i] / (1 - 0.999 ** step);
      w2[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-7 / Math.sqrt(1 - 0.999 ** step));
    }
    if (step === 1) {
      // the first Adam step moves every weight by about lr against its gradient's sign
      for (let i = 0; i < n; i++) assert.ok(Math.abs(Math.abs(w[i] - start[i]) - lr) < lr * 1e-3);
    }
  }
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(w[i] - w2[i]) < 1e-14, `w[${i}] ${w[i]} vs ${w2[i]}`);
    assert.ok(Math.abs(m[i] - m2[i]) < 1e-15 && Math.abs(v[i] - v2[i]) < 1e-15);
  }
});
