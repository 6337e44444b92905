// formscore training kernels, AssemblyScript compiled to WebAssembly with 128-bit SIMD.
//
// llm.c style: every layer is a *Forward and a *Backward function over flat float32
// buffers addressed by byte pointers into the one linear memory that the TypeScript
// engine (src/nn/engine.ts) lays out once per model and batch size. Nothing here
// allocates. Layouts are channel-last (B, T, C) and Keras weight layouts, row-major.
// Backward kernels ACCUMULATE weight gradients (+=), so the engine zeroes them once
// per step and a batch can be processed in slices.
//
// Where the time goes: the matrix products (conv as GEMM over overlapping input rows,
// the LSTM input projection over all steps, the LSTM recurrence per step). They all
// run through `gemm`, a 4x8 register-blocked f32x4 microkernel with generic strides on
// the left operand so that A, A^T and "overlapping rows" (im2col without copying) are
// the same code.

// ---------------------------------------------------------------------------------
// Matrix products

// c + a*b. With relaxed SIMD (the formscore-relaxed.wasm build) this is one fused
// multiply-add, which the CPU issues at the rate of a plain multiply: ~30 % more GEMM
// throughput. The baseline build keeps a multiply and an add.
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}


// C[M,N] (+)= op(A)[M,K] · B[K,N]
// op(A)[i,k] = A[i*rsA + k*csA] (floats): rsA=lda,csA=1 is A; rsA=1,csA=lda is A^T.
// B rows have stride ldb, C rows stride ldc (floats). accumulate != 0 adds into C.
// K is cut into panels of 128 so that a panel of A and B stays in cache while all of C
// is swept (the weight gradients reduce over K = B*T = thousands of rows: 21 -> 34 GFLOP/s).
export function gemm(M: i32, N: i32, K: i32, A: usize, rsA: i32, csA: i32, B: usize, ldb: i32, C: usize, ldc: i32, accumulate: i32): void {
  const KC = 128;
  if (K <= KC) {
    gemmPanel(M, N, K, A, rsA, csA, B, ldb, C, ldc, accumulate);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    gemmPanel(M, N, kc, A + ((<usize>k0 * csA) << 2), rsA, csA, B + ((<usize>k0 * ldb) << 2), ldb, C, ldc, k0 > 0 ? 1 : accumulate);
  }
}

// The register-blocked core: 4x8 tiles of C in eight f32x4 accumulators; A elements
// broadcast straight from memory (load32_splat: one instruction, ~10 % over load+splat).
// A 6x8 tile was slower (V8 spills with 16 xmm registers).
function gemmPanel(M: i32, N: i32, K: i32, A: usize, rsA: i32, csA: i32, B: usize, ldb: i32, C: usize, ldc: i32, accumulate: i32): void {
  const ra = <usize>rsA << 2;
  const ca = <usize>csA << 2;
  const rb = <usize>ldb << 2;
  const rc = <usize>ldc << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = A + <usize>i * ra;
    const c0 = C + <usize>i * rc;
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let ap = a0;
      let bp = B + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let a = v128.load32_splat(ap);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
        a = v128.load32_splat(ap + ra);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
        a = v128.load32_splat(ap + 2 * ra);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
        a = v128.load32_splat(ap + 3 * ra);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
        ap += ca;
        bp += rb;
      }
      const cp = c0 + (<usize>j << 2);
      if (accumulate) {
        c00 = f32x4.add(c00, v128.load(cp)); c01 = f32x4.add(c01, v128.load(cp, 16));
        c10 = f32x4.add(c10, v128.load(cp + rc)); c11 = f32x4.add(c11, v128.load(cp + rc, 16));
        c20 = f32x4.add(c20, v128.load(cp + 2 * rc)); c21 = f32x4.add(c21, v128.load(cp + 2 * rc, 16));
        c30 = f32x4.add(c30, v128.load(cp + 3 * rc)); c31 = f32x4.add(c31, v128.load(cp + 3 * rc, 16));
      }
      v128.store(cp, c00); v128.store(cp, c01, 16);
      v128.store(cp + rc, c10); v128.store(cp + rc, c11, 16);
      v128.store(cp + 2 * rc, c20); v128.store(cp + 2 * rc, c21, 16);
      v128.store(cp + 3 * rc, c30); v128.store(cp + 3 * rc, c31, 16);
    }
    for (; j + 4 <= N; j += 4) {
      let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
      let ap = a0;
      let bp = B + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        c00 = madd(v128.load32_splat(ap), b0, c00);
        c10 = madd(v128.load32_splat(ap + ra), b0, c10);
        c20 = madd(v128.load32_splat(ap + 2 * ra), b0, c20);
        c30 = madd(v128.load32_splat(ap + 3 * ra), b0, c30);
        ap += ca;
        bp += rb;
      }
      const cp = c0 + (<usize>j << 2);
      if (accumulate) {
        c00 = f32x4.add(c00, v128.load(cp));
        c10 = f32x4.add(c10, v128.load(cp + rc));
        c20 = f32x4.add(c20, v128.load(cp + 2 * rc));
        c30 = f32x4.add(c30, v128.load(cp + 3 * rc));
      }
      v128.store(cp, c00);
      v128.store(cp + rc, c10);
      v128.store(cp + 2 * rc, c20);
      v128.store(cp + 3 * rc, c30);
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) {
        let s: f32 = 0;
        let ap = a0 + <usize>r * ra;
        let bp = B + (<usize>j << 2);
        for (let k = 0; k < K; k++) {
          s += load<f32>(ap) * load<f32>(bp);
          ap += ca;
          bp += rb;
        }
        const cp = c0 + <usize>r * rc + (<usize>j << 2);
        store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
      }
    }
  }
  // leftover rows: one row at a time, 16 columns per pass (a GEMV; batch-1 inference lives here).
  // Same operation order per element as the 4-row tiles, so a sample's result does not
  // depend on where it falls in a batch.
  for (; i < M; i++) {
    const a0 = A + <usize>i * ra;
    const c0 = C + <usize>i * rc;
    let j = 0;
    for (; j + 16 <= N; j += 16) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let ap = a0;
      let bp = B + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const a = v128.load32_splat(ap);
        c00 = madd(a, v128.load(bp), c00);
        c01 = madd(a, v128.load(bp, 16), c01);
        c02 = madd(a, v128.load(bp, 32), c02);
        c03 = madd(a, v128.load(bp, 48), c03);
        ap += ca;
        bp += rb;
      }
      const cp = c0 + (<usize>j << 2);
      if (accumulate) {
        c00 = f32x4.add(c00, v128.load(cp));
        c01 = f32x4.add(c01, v128.load(cp, 16));
        c02 = f32x4.add(c02, v128.load(cp, 32));
        c03 = f32x4.add(c03, v128.load(cp, 48));
      }
      v128.store(cp, c00); v128.store(cp, c01, 16); v128.store(cp, c02, 32); v128.store(cp, c03, 48);
    }
    for (; j + 4 <= N; j += 4) {
      let c00 = f32x4.splat(0);
      let ap = a0;
      let bp = B + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        c00 = madd(v128.load32_splat(ap), v128.load(bp), c00);
        ap += ca;
        bp += rb;
      }
      const cp = c0 + (<usize>j << 2);
      if (accumulate) c00 = f32x4.add(c00, v128.load(cp));
      v128.store(cp, c00);
    }
    for (; j < N; j++) {
      let s: f32 = 0;
      let ap = a0;
      let bp = B + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(ap) * load<f32>(bp);
        ap += ca;
        bp += rb;
      }
      const cp = c0 + (<usize>j << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}

// dst[C,R] = src[R,C]^T (both dense). The backward passes need W^T as a right operand.
export function transpose(R: i32, C: i32, src: usize, dst: usize): void {
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      store<f32>(dst + ((<usize>c * R + r) << 2), load<f32>(src + ((<usize>r * C + c) << 2)));
    }
  }
}

// Y[M,N] rows (stride ldy) = bias[N]: the starting value that a GEMM then accumulates into.
function fillRows(M: i32, N: i32, Y: usize, ldy: i32, bias: usize): void {
  for (let i = 0; i < M; i++) {
    memory.copy(Y + ((<usize>i * ldy) << 2), bias, <usize>N << 2);
  }
}

// out[N] += sum over M rows of X[M,N] (stride ldx): bias gradients.
function colSum(M: i32, N: i32, X: usize, ldx: i32, out: usize): void {
  for (let i = 0; i < M; i++) {
    const xp = X + ((<usize>i * ldx) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = out + (<usize>j << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(xp + (<usize>j << 2))));
    }
    for (; j < N; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + load<f32>(xp + (<usize>j << 2)));
    }
  }
}

// x[n] = 0
export function zero(x: usize, n: i32): void {
  memory.fill(x, 0, <usize>n << 2);
}

// ---------------------------------------------------------------------------------
// Activations, vectorised. exp is the Cephes expf polynomial after range reduction
// (relative error ~1e-7): the LSTM evaluates five transcendental functions per unit
// and step, so scalar Math.exp would rival the matrix products in cost.

// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  // n = round(x / ln 2) by the 1.5 * 2^23 trick: the sum's low mantissa bits are n itself,
  // which saves the (emulated, saturating) float -> int conversion
  const magic = f32x4.splat(12582912.0);
  const t = madd(x, f32x4.splat(1.44269504088896341), magic);
  const fx = f32x4.sub(t, magic);
  x = madd(fx, f32x4.splat(-0.693359375), x);
  x = madd(fx, f32x4.splat(2.12194440e-4), x);
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, x, f32x4.splat(1.3981999507e-3));
  y = madd(y, x, f32x4.splat(8.3334519073e-3));
  y = madd(y, x, f32x4.splat(4.1665795894e-2));
  y = madd(y, x, f32x4.splat(1.6666665459e-1));
  y = madd(y, x, f32x4.splat(5.0000001201e-1));
  y = f32x4.add(madd(y, f32x4.mul(x, x), x), f32x4.splat(1));
  // 2^n: (n + 127) << 23; the magic's own bits shift out
  const pow2n = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

// @ts-ignore: decorator
@inline
function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

// tanh: odd polynomial near 0 (Cephes tanhf, keeps relative accuracy for small x),
// 1 - 2/(exp(2|x|)+1) elsewhere.
// @ts-ignore: decorator
@inline
function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expv(f32x4.add(ax, ax)), one)));
  const bigSigned = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = madd(p, z, f32x4.splat(2.06390887954e-2));
  p = madd(p, z, f32x4.splat(-5.37397155531e-2));
  p = madd(p, z, f32x4.splat(1.33314422036e-1));
  p = madd(p, z, f32x4.splat(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  return v128.bitselect(small, bigSigned, f32x4.lt(ax, f32x4.splat(0.625)));
}

// Scalar versions for the few tails where a width is not a multiple of 4.
function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(sigmoidv(f32x4.splat(x)), 0);
}

// y[n] = max(y, 0) in place
function reluInPlace(y: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.max(v128.load(p), z));
  }
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    const v = load<f32>(p);
    store<f32>(p, v > 0 ? v : 0);
  }
}

// dy[M,N] (stride ldd) *= (y > 0), y (stride ldy): ReLU backward on the output.
function reluBackward(M: i32, N: i32, y: usize, ldy: i32, dy: usize, ldd: i32): void {
  const z = f32x4.splat(0);
  for (let i = 0; i < M; i++) {
    const yp = y + ((<usize>i * ldy) << 2);
    const dp = dy + ((<usize>i * ldd) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(dp + o, v128.and(v128.load(dp + o), f32x4.gt(v128.load(yp + o), z)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      if (!(load<f32>(yp + o) > 0)) store<f32>(dp + o, 0);
    }
  }
}

// ---------------------------------------------------------------------------------
// Conv1D, "same" padding, stride 1, fused ReLU.
// The input is stored zero-padded per sample, so output row t of a sample is the
// product of the k*Cin contiguous floats starting at padded row t with W seen as
// [k*Cin, Cout] (Keras [k, Cin, Cout] flattened): im2col without a copy.

// Xpad (B, T+k-1, Cin) zero rows around; W [k,Cin,Cout]; bias [Cout]
// -> Y (B, T, Cout) with sample stride sy floats (rows contiguous, stride Cout)
// (`threads` is for the native kernels, which may split the rows across two threads)
export function conv1dForward(B: i32, T: i32, Cin: i32, Cout: i32, k: i32, Xpad: usize, W: usize, bias: usize, Y: usize, sy: i32, threads: i32): void {
  const sx = <usize>(T + k - 1) * Cin;
  for (let b = 0; b < B; b++) {
    const yb = Y + ((<usize>b * sy) << 2);
    fillRows(T, Cout, yb, Cout, bias);
    gemm(T, Cout, k * Cin, Xpad + ((<usize>b * sx) << 2), Cin, 1, W, Cout, yb, Cout, 1);
    reluInPlace(yb, T * Cout);
  }
}

// Xpad (B, T+k-1, Cin); Y (B, T, Cout) stride sy, the forward output (ReLU mask);
// dY (B, T, Cout) stride sdy, turned into the pre-activation gradient in place;
// dW [k,Cin,Cout] += ; dBias [Cout] +=;
// if dX != 0: dY must sit inside a zero-padded buffer with (k-1-pad) rows before and
// pad rows after each sample; Wflip [k*Cout, Cin] with block k' = W[k-1-k']^T;
// dX (B, T, Cin) contiguous is overwritten: input rows s read dYpad rows s..s+k-1.
export function conv1dBackward(B: i32, T: i32, Cin: i32, Cout: i32, k: i32, pad: i32, Xpad: usize, Y: usize, sy: i32, dY: usize, sdy: i32, dW: usize, dBias: usize, Wflip: usize, dX: usize): void {
  const sx = <usize>(T + k - 1) * Cin;
  for (let b = 0; b < B; b++) {
    const yb = Y + ((<usize>b * sy) << 2);
    const db = dY + ((<usize>b * sdy) << 2);
    reluBackward(T, Cout, yb, Cout, db, Cout);
    // dW[(k,c), o] += sum_t Xpad[t + kk, c] dY[t, o]
    gemm(k * Cin, Cout, T, Xpad + ((<usize>b * sx) << 2), 1, Cin, db, Cout, dW, Cout, 1);
    colSum(T, Cout, db, Cout, dBias);
    if (dX != 0) {
      const dpad = db - ((<usize>(k - 1 - pad) * Cout) << 2);
      gemm(T, Cin, k * Cout, dpad, Cout, 1, Wflip, Cin, dX + ((<usize>b * T * Cin) << 2), Cin, 0);
    }
  }
}

// W [k, Cin, Cout] -> Wflip [k*Cout, Cin], block k' = W[k-1-k']^T (the kernel of the input gradient)
export function conv1dFlipKernel(k: i32, Cin: i32, Cout: i32, W: usize, Wflip: usize): void {
  const blk = <usize>Cin * Cout;
  for (let kk = 0; kk < k; kk++) {
    transpose(Cin, Cout, W + ((<usize>(k - 1 - kk) * blk) << 2), Wflip + ((<usize>kk * blk) << 2));
  }
}

// ---------------------------------------------------------------------------------
// MaxPooling1D(2)

// X (B, 2*Tout, C) -> Y (B, Tout, C); arg (B, Tout, C) 32-bit lane masks: all ones when the
// second frame won (ties go to the first frame, as TensorFlow's pooling gradient does). C % 4 == 0.
export function maxPool1dForward(B: i32, Tout: i32, C: i32, X: usize, Y: usize, arg: usize): void {
  const rows = B * Tout;
  for (let r = 0; r < rows; r++) {
    const x0 = X + ((<usize>r * 2 * C) << 2);
    const x1 = x0 + (<usize>C << 2);
    const y = Y + ((<usize>r * C) << 2);
    const a = arg + ((<usize>r * C) << 2);
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const u = v128.load(x0 + o);
      const v = v128.load(x1 + o);
      const second = f32x4.gt(v, u);
      v128.store(y + o, v128.bitselect(v, u, second));
      v128.store(a + o, second);
    }
  }
}

// dY (B, Tout, C), arg -> dX (B, 2*Tout, C) rows written with sample stride sdx floats
export function maxPool1dBackward(B: i32, Tout: i32, C: i32, dY: usize, arg: usize, dX: usize, sdx: i32): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const r = b * Tout + t;
      const dy = dY + ((<usize>r * C) << 2);
      const a = arg + ((<usize>r * C) << 2);
      const d0 = dX + ((<usize>b * sdx + <usize>(2 * t) * C) << 2);
      const d1 = d0 + (<usize>C << 2);
      for (let c = 0; c < C; c += 4) {
        const o = <usize>c << 2;
        const g = v128.load(dy + o);
        const second = v128.load(a + o);
        v128.store(d0 + o, v128.andnot(g, second));
        v128.store(d1 + o, v128.and(g, second));
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// Dropout, inverted. The mask is a counter-based hash of (seed, global sample index,
// element), so it does not depend on how a batch is split across threads.

function mix32(a: u32): u32 {
  a ^= a >> 16;
  a *= 0x7feb352d;
  a ^= a >> 15;
  a *= 0x846ca68b;
  a ^= a >> 16;
  return a;
}

// mix32 on four lanes
// @ts-ignore: decorator
@inline
function mix32v(a: v128): v128 {
  a = v128.xor(a, i32x4.shr_u(a, 16));
  a = i32x4.mul(a, i32x4.splat(0x7feb352d));
  a = v128.xor(a, i32x4.shr_u(a, 15));
  a = i32x4.mul(a, i32x4.splat(0x846ca68b));
  return v128.xor(a, i32x4.shr_u(a, 16));
}

// X (B, S) -> Y (B, S), mask (B, S) in {0, 1/(1-rate)}; sample b is global sample sampleOffset+b
// Element s of a sample is kept when the top 24 bits of mix32(sampleKey + s*0x85ebca6b)
// are >= rate * 2^24. S % 4 == 0.
export function dropoutForward(B: i32, S: i32, rate: f32, seed: u32, sampleOffset: i32, X: usize, Y: usize, mask: usize): void {
  const scale = f32x4.splat(<f32>1 / (1 - rate));
  const threshold = i32x4.splat(<i32>(<f64>rate * 16777216.0));
  const step = i32x4.splat(4 * 0x85ebca6b);
  for (let b = 0; b < B; b++) {
    const sampleKey = mix32(seed ^ mix32(<u32>(sampleOffset + b) * 0x9e3779b9 + 0x632be5ab));
    let ctr = i32x4.add(i32x4.splat(sampleKey), i32x4(0, 0x85ebca6b, 2 * 0x85ebca6b, 3 * 0x85ebca6b));
    const base = (<usize>b * S) << 2;
    for (let s = 0; s < S; s += 4) {
      const o = base + (<usize>s << 2);
      // 24-bit values are non-negative, so a signed compare is exact
      const keep = i32x4.ge_s(i32x4.shr_u(mix32v(ctr), 8), threshold);
      const m = v128.and(scale, keep);
      v128.store(mask + o, m);
      v128.store(Y + o, f32x4.mul(v128.load(X + o), m));
      ctr = i32x4.add(ctr, step);
    }
  }
}

// y[n] += x[n] (one worker's gradient sums into the batch's)
export function addInto(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

// y[n] = x[n] * mask[n] (dropout backward, and forward with a stored mask)
export function mulInto(n: i32, x: usize, mask: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(x + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * load<f32>(mask + o));
  }
}

// ---------------------------------------------------------------------------------
// LSTM over a whole sequence (one direction), Keras semantics: gates i, f, c, o;
// sigmoid recurrent activation, tanh activation; c = f*c + i*tanh(zc), h = o*tanh(c).
// reverse != 0 consumes the sequence from the last frame and writes h at the frame it
// consumed, which is the re-reversed (time-aligned) output of a Bidirectional layer.

// X (B, T, In); W [In, 4H]; U [H, 4H]; bias [4H]
// -> G (B, T, 4H) activated gates i, f, g, o; Cs (B, T, H) cell states;
//    Hs (B, T, ldh) hidden states at column offset already applied (ldh = 2H for a Bidirectional)
export function lstmForward(B: i32, T: i32, In: i32, H: i32, X: usize, W: usize, U: usize, bias: usize, G: usize, Cs: usize, Hs: usize, ldh: i32, reverse: i32): void {
  const H4 = 4 * H;
  // the input projection of every step at once: one (B*T, In) x (In, 4H) product
  // (the bias is added in the cell update, saving a pass over G)
  gemm(B * T, H4, In, X, In, 1, W, H4, G, H4, 0);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    if (s > 0) {
      // G[:, t] += Hs[:, tp] · U over the batch rows (a small GEMM, M = B)
      gemm(B, H4, H, Hs + ((<usize>tp * ldh) << 2), T * ldh, 1, U, H4, G + ((<usize>t * H4) << 2), T * H4, 1);
    }
    for (let b = 0; b < B; b++) {
      const g = G + ((<usize>(b * T + t) * H4) << 2);
      const c = Cs + ((<usize>(b * T + t) * H) << 2);
      const h = Hs + ((<usize>(b * T + t) * ldh) << 2);
      const cp = Cs + ((<usize>(b * T + tp) * H) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = <usize>j << 2;
        const bo = bias + o;
        const ig = sigmoidv(f32x4.add(v128.load(g + o), v128.load(bo)));
        const fg = sigmoidv(f32x4.add(v128.load(g + o + (<usize>H << 2)), v128.load(bo + (<usize>H << 2))));
        const gg = tanhv(f32x4.add(v128.load(g + o + (<usize>(2 * H) << 2)), v128.load(bo + (<usize>(2 * H) << 2))));
        const og = sigmoidv(f32x4.add(v128.load(g + o + (<usize>(3 * H) << 2)), v128.load(bo + (<usize>(3 * H) << 2))));
        let cv = f32x4.mul(ig, gg);
        if (s > 0) cv = f32x4.add(cv, f32x4.mul(fg, v128.load(cp + o)));
        v128.store(g + o, ig);
        v128.store(g + o + (<usize>H << 2), fg);
        v128.store(g + o + (<usize>(2 * H) << 2), gg);
        v128.store(g + o + (<usize>(3 * H) << 2), og);
        v128.store(c + o, cv);
        v128.store(h + o, f32x4.mul(og, tanhv(cv)));
      }
    }
  }
}

// Both directions of a Bidirectional layer: Hs (B, T, 2H) gets [forward, backward] hidden
// states; Gf, Cf / Gb, Cb are each direction's gates and cells. `threads` is for the
// native kernels, which may run the two directions at once; here they run in turn.
export function bilstmForward(B: i32, T: i32, In: i32, H: i32, X: usize, Wf: usize, Uf: usize, bf: usize, Gf: usize, Cf: usize,
  Wb: usize, Ub: usize, bb: usize, Gb: usize, Cb: usize, Hs: usize, threads: i32): void {
  lstmForward(B, T, In, H, X, Wf, Uf, bf, Gf, Cf, Hs, 2 * H, 0);
  lstmForward(B, T, In, H, X, Wb, Ub, bb, Gb, Cb, Hs + (<usize>H << 2), 2 * H, 1);
}

// Backward through time for one direction (same layouts as lstmForward).
// dHs (B, T, ldh): gradient arriving at each hidden state (column offset applied);
// WT [4H, In] = W^T; UT [4H, H] = U^T; G (B, T, 4H): lstmForward's gates, replaced by their
// pre-activation gradients (a step reads its gates before it writes their gradients, and
// nothing reads the gates after them; one (B, T, 4H) buffer less in cache than a copy);
// dh, dc (B, H) scratch; dW [In,4H] +=, dU [H,4H] +=, dBias [4H] +=;
// dX (B, T, In) overwritten (accumulateDX = 0) or added to (1); dX = 0 skips it.
export function lstmBackward(B: i32, T: i32, In: i32, H: i32, X: usize, WT: usize, UT: usize, G: usize, Cs: usize, Hs: usize, ldh: i32, dHs: usize, dh: usize, dc: usize, dW: usize, dU: usize, dBias: usize, dX: usize, accumulateDX: i32, reverse: i32): void {
  const H4 = 4 * H;
  const one = f32x4.splat(1);
  zero(dh, B * H);
  zero(dc, B * H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    for (let b = 0; b < B; b++) {
      const g = G + ((<usize>(b * T + t) * H4) << 2);
      const c = Cs + ((<usize>(b * T + t) * H) << 2);
      const cp = Cs + ((<usize>(b * T + tp) * H) << 2);
      const dhs = dHs + ((<usize>(b * T + t) * ldh) << 2);
      const dhb = dh + ((<usize>b * H) << 2);
      const dcb = dc + ((<usize>b * H) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = <usize>j << 2;
        const ig = v128.load(g + o);
        const fg = v128.load(g + o + (<usize>H << 2));
        const gg = v128.load(g + o + (<usize>(2 * H) << 2));
        const og = v128.load(g + o + (<usize>(3 * H) << 2));
        const tc = tanhv(v128.load(c + o));
        const dhv = f32x4.add(v128.load(dhs + o), v128.load(dhb + o));
        const dcv = f32x4.add(v128.load(dcb + o), f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
        const cprev = s > 0 ? v128.load(cp + o) : f32x4.splat(0);
        const di = f32x4.mul(f32x4.mul(dcv, gg), f32x4.mul(ig, f32x4.sub(one, ig)));
        const df = f32x4.mul(f32x4.mul(dcv, cprev), f32x4.mul(fg, f32x4.sub(one, fg)));
        const dgg = f32x4.mul(f32x4.mul(dcv, ig), f32x4.sub(one, f32x4.mul(gg, gg)));
        const dog = f32x4.mul(f32x4.mul(dhv, tc), f32x4.mul(og, f32x4.sub(one, og)));
        v128.store(g + o, di);
        v128.store(g + o + (<usize>H << 2), df);
        v128.store(g + o + (<usize>(2 * H) << 2), dgg);
        v128.store(g + o + (<usize>(3 * H) << 2), dog);
        v128.store(dcb + o, f32x4.mul(dcv, fg));
      }
    }
    if (s > 0) {
      // dh (B, H) = (the gate gradients at t) · U^T, the gradient reaching the previous step's h
      gemm(B, H, H4, G + ((<usize>t * H4) << 2), T * H4, 1, UT, H, dh, H, 0);
    }
  }
  // weight gradients over all steps at once
  gemm(In, H4, B * T, X, 1, In, G, H4, dW, H4, 1);
  for (let b = 0; b < B; b++) {
    // dU += sum_t h_prev(t)^T (gate gradients at t), h_prev of step t is Hs at tp (T-1 rows per sample)
    const hStart = reverse ? b * T + 1 : b * T;
    const gStart = reverse ? b * T : b * T + 1;
    gemm(H, H4, T - 1, Hs + ((<usize>hStart * ldh) << 2), 1, ldh, G + ((<usize>gStart * H4) << 2), H4, dU, H4, 1);
  }
  colSum(B * T, H4, G, H4, dBias);
  if (dX != 0) gemm(B * T, In, H4, G, H4, 1, WT, In, dX, In, accumulateDX);
}

// Collects the Bidirectional last-step output: forward h at T-1, backward h at frame 0
// (the backward LSTM's state after consuming the whole reversed sequence).
// Hs (B, T, 2H) -> Y (B, 2H)
export function bidirectionalLastForward(B: i32, T: i32, H: i32, Hs: usize, Y: usize): void {
  for (let b = 0; b < B; b++) {
    const y = Y + ((<usize>b * 2 * H) << 2);
    memory.copy(y, Hs + ((<usize>(b * T + T - 1) * 2 * H) << 2), <usize>H << 2);
    memory.copy(y + (<usize>H << 2), Hs + ((<usize>(b * T) * 2 * H + H) << 2), <usize>H << 2);
  }
}

// dY (B, 2H) -> dHs (B, T, 2H) zero except where the last-step output was read
export function bidirectionalLastBackward(B: i32, T: i32, H: i32, dY: usize, dHs: usize): void {
  zero(dHs, B * T * 2 * H);
  for (let b = 0; b < B; b++) {
    const y = dY + ((<usize>b * 2 * H) << 2);
    memory.copy(dHs + ((<usize>(b * T + T - 1) * 2 * H) << 2), y, <usize>H << 2);
    memory.copy(dHs + ((<usize>(b * T) * 2 * H + H) << 2), y + (<usize>H << 2), <usize>H << 2);
  }
}

// ---------------------------------------------------------------------------------
// Dense with fused activation (1 = ReLU, 2 = sigmoid)

// X (B, In); W [In, Out]; bias [Out] -> Y (B, Out)
export function denseForward(B: i32, In: i32, Out: i32, X: usize, W: usize, bias: usize, Y: usize, act: i32): void {
  fillRows(B, Out, Y, Out, bias);
  gemm(B, Out, In, X, In, 1, W, Out, Y, Out, 1);
  const n = B * Out;
  if (act == 1) reluInPlace(Y, n);
  else if (act == 2) {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p = Y + (<usize>i << 2);
      v128.store(p, sigmoidv(v128.load(p)));
    }
    for (; i < n; i++) {
      const p = Y + (<usize>i << 2);
      store<f32>(p, sigmoid1(load<f32>(p)));
    }
  }
}

// Y (B, Out) forward output; dY (B, Out) turned into the pre-activation gradient in place;
// dW [In,Out] +=; dBias +=; WT [Out, In]; dX (B, In) overwritten (dX = 0 skips)
export function denseBackward(B: i32, In: i32, Out: i32, X: usize, WT: usize, Y: usize, dY: usize, dW: usize, dBias: usize, dX: usize, act: i32): void {
  const n = B * Out;
  if (act == 1) reluBackward(B, Out, Y, Out, dY, Out);
  else if (act == 2) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      const y = load<f32>(Y + o);
      store<f32>(dY + o, load<f32>(dY + o) * y * (1 - y));
    }
  }
  gemm(In, Out, B, X, 1, In, dY, Out, dW, Out, 1);
  colSum(B, Out, dY, Out, dBias);
  if (dX != 0) gemm(B, In, Out, dY, Out, 1, WT, In, dX, In, 0);
}

// ---------------------------------------------------------------------------------
// MSE loss with MAE metric

// P (B, S) predictions, Y (B, S) targets -> dP (B, S) = 2 (P - Y) / normalizer;
// out[0] = sum of squared errors, out[1] = sum of absolute errors (f64, summed here so
// that the caller can divide by the whole batch, not a worker's slice)
export function mseLoss(n: i32, P: usize, Y: usize, dP: usize, normalizer: f32, out: usize): void {
  let se: f64 = 0;
  let ae: f64 = 0;
  const scale: f32 = 2 / normalizer;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = load<f32>(P + o) - load<f32>(Y + o);
    se += <f64>e * <f64>e;
    ae += Math.abs(<f64>e);
    if (dP != 0) store<f32>(dP + o, scale * e);
  }
  store<f64>(out, se);
  store<f64>(out, ae, 8);
}

// ---------------------------------------------------------------------------------
// Adam (Keras: alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); m += (g - m)(1 - b1);
// v += (g^2 - v)(1 - b2); w -= alpha * m / (sqrt(v) + eps))

// w, g, m, v [n]; the caller passes 1 - beta1 and 1 - beta2 (exact in f64: 1 - 0.999 in f32 is off by 1e-5)
export function adamUpdate(n: i32, w: usize, g: usize, m: usize, v: usize, alpha: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32): void {
  const a = f32x4.splat(alpha);
  const b1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(oneMinusBeta2);
  const e = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    let mv = v128.load(m + o);
    let vv = v128.load(v + o);
    mv = f32x4.add(mv, f32x4.mul(f32x4.sub(gv, mv), b1));
    vv = f32x4.add(vv, f32x4.mul(f32x4.sub(f32x4.mul(gv, gv), vv), b2));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(a, mv), f32x4.add(f32x4.sqrt(vv), e))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    let mv = load<f32>(m + o);
    let vv = load<f32>(v + o);
    mv += (gv - mv) * oneMinusBeta1;
    vv += (gv * gv - vv) * oneMinusBeta2;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(w + o, load<f32>(w + o) - (alpha * mv) / (Mathf.sqrt(vv) + eps));
  }
}

// First free byte after the module's static data: the engine lays its buffers out from here.
export function heapBase(): usize {
  return __heap_base;
}
