// Flat buffers for the reference kernels. Every kernel takes Float32Array or
// Float64Array: the engine's oracle runs in float32 like the engine, the
// finite-difference gradient checks run the same code in float64.

export type Buf = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

export function alloc(dtype: DType, n: number): Buf {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(b: Buf): DType {
  return b instanceof Float64Array ? 'float64' : 'float32';
}

/** A copy of `src` in `dtype`. */
export function convert(src: ArrayLike<number>, dtype: DType): Buf {
  const out = alloc(dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i];
  return out;
}

// out (M,N) (+)= a (M,K) · b (K,N)
export function matmul(out: Buf, a: Buf, b: Buf, M: number, K: number, N: number, accumulate = false): void {
  for (let i = 0; i < M; i++) {
    const o = i * N;
    if (!accumulate) for (let j = 0; j < N; j++) out[o + j] = 0;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k];
      if (aik === 0) continue;
      const bk = k * N;
      for (let j = 0; j < N; j++) out[o + j] += aik * b[bk + j];
    }
  }
}

// out (M,K) += a (M,N) · bᵀ where b is (K,N)   (the input gradient of a product)
export function matmulTransB(out: Buf, a: Buf, b: Buf, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += a[i * N + j] * b[k * N + j];
      out[i * K + k] += s;
    }
  }
}

// out (K,N) += aᵀ · d where a is (M,K), d is (M,N)   (the weight gradient of a product)
export function matmulTransA(out: Buf, a: Buf, d: Buf, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k];
      if (aik === 0) continue;
      for (let j = 0; j < N; j++) out[k * N + j] += aik * d[i * N + j];
    }
  }
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
