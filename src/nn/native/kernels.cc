// formscore training kernels in C++, compiled once per instruction set (binding.gyp:
// AVX-512, AVX2 + FMA, SSE2, or portable vectors elsewhere) and chosen at run time by
// the CPU (addon.cc). Same functions, arguments, layouts and operation order as the
// WebAssembly kernels (src/nn/wasm/kernels.ts, which explains each one); the parity
// tests hold both to the float64 reference. What differs is the width (one vector is
// VW floats, 16 with AVX-512; the GEMM tile is MR x (NV * VW)) and tanh (a rational
// function here, cheaper than the exp-based one of the WebAssembly kernels).
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>
#include "kernels.h"
#include "simd.h"

namespace FS_ISA {
namespace {

// A partial vector: the first n lanes of p (n <= VW), the rest zero. Widths that are not
// a multiple of VW (the tests' small layers, the 6 scores) go through the same code.
inline vf vld(const float* p, int n) {
  if (n == VW) return vload(p);
  vf v = {};
  std::memcpy(&v, p, sizeof(float) * n);
  return v;
}
inline void vst(float* p, vf v, int n) {
  if (n == VW) vstore(p, v);
  else std::memcpy(p, &v, sizeof(float) * n);
}

// ---------------------------------------------------------------------------------
// Matrix products: C[M,N] (+)= op(A)[M,K] · B[K,N], op(A)[i,k] = A[i*rsA + k*csA].
// Every element of C is acc = 0; acc = fma(a, b, acc) over k; C = acc (+ C): the same
// order whichever tile it falls in, so a sample's result does not depend on its row.

constexpr int MR = VW == 4 ? 4 : 6; // rows per tile (AVX-512: 6 x 64 floats in 24 of the 32 registers)
constexpr int NV = VW == 16 ? 4 : 2;
constexpr int KC = 128;              // K panel (cache blocking)

template <int R, int V>
inline void tile(int K, const float* A, long ra, long ca, const float* B, long rb, float* C, long rc, int accumulate) {
  vf c[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) c[r][v] = vf{};
  for (int k = 0; k < K; k++) {
    vf b[V];
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) b[v] = vload(B + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const vf a = vset(A[r * ra]);
#pragma GCC unroll 16
      for (int v = 0; v < V; v++) c[r][v] = vfma(a, b[v], c[r][v]);
    }
    A += ca;
    B += rb;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) {
      float* cp = C + r * rc + v * VW;
      vstore(cp, accumulate ? c[r][v] + vload(cp) : c[r][v]);
    }
}

// R rows of C, all columns. One or two rows (a single rep's recurrent steps) get wider
// tiles: every accumulator is a chain of dependent FMAs, and it takes about eight chains
// to keep both FMA units busy through their latency; 1 x NV vectors would leave them idle
// most of the time. (The tile's shape does not change any element's sum.)
template <int R>
inline void rows(int N, int K, const float* A, long ra, long ca, const float* B, long rb, float* C, long rc, int accumulate) {
  constexpr int WIDE = R == 1 ? 4 * NV : R == 2 ? 2 * NV : NV;
  int j = 0;
  for (; WIDE > NV && j + WIDE * VW <= N; j += WIDE * VW) tile<R, WIDE>(K, A, ra, ca, B + j, rb, C + j, rc, accumulate);
  for (; j + NV * VW <= N; j += NV * VW) tile<R, NV>(K, A, ra, ca, B + j, rb, C + j, rc, accumulate);
  for (; j + VW <= N; j += VW) tile<R, 1>(K, A, ra, ca, B + j, rb, C + j, rc, accumulate);
  for (; j < N; j++)
    for (int r = 0; r < R; r++) {
      float s = 0;
      for (int k = 0; k < K; k++) s = sfma(A[r * ra + k * ca], B[k * rb + j], s);
      float* cp = C + r * rc + j;
      *cp = accumulate ? s + *cp : s;
    }
}

// A transposed A (a weight gradient X^T · dG: ra = 1, ca = the row width of X) gives a
// tile its MR values of one k from one row of X, and its K values from K rows ca floats
// apart. When those rows span an L1's worth of memory or more (the LSTM weight gradients:
// 128 rows 256 or 512 bytes apart), the power-of-two stride also puts them in a few L1
// sets, and they evict each other for every column tile. Such a strip is first copied
// into K x MR contiguous floats: the same values in the same order, so the sums are
// unchanged (measured: the weight gradient of the second LSTM, 15-18 % less time).
constexpr long L1_BYTES = 32 * 1024;

void gemmPanel(int M, int N, int K, const float* A, long ra, long ca, const float* B, long rb, float* C, long rc, int accumulate) {
  const bool copy = ra == 1 && long(K) * ca * long(sizeof(float)) >= L1_BYTES;
  alignas(64) float strip[KC * MR];  // (K, MR)
  int i = 0;
  for (; i + MR <= M; i += MR) {
    if (copy)
      for (int k = 0; k < K; k++) std::memcpy(strip + k * MR, A + i + k * ca, sizeof(float) * MR);
    rows<MR>(N, K, copy ? strip : A + i * ra, copy ? 1 : ra, copy ? MR : ca, B, rb, C + i * rc, rc, accumulate);
  }
  // the last M % MR rows as one shorter tile
  const float* a = A + i * ra;
  float* c = C + i * rc;
  switch (M - i) {
    case 0: break;
    case 1: rows<1>(N, K, a, ra, ca, B, rb, c, rc, accumulate); break;
    case 2: rows<2>(N, K, a, ra, ca, B, rb, c, rc, accumulate); break;
    case 3: rows<3>(N, K, a, ra, ca, B, rb, c, rc, accumulate); break;
    default:
      for (; i + 4 <= M; i += 4) rows<4>(N, K, A + i * ra, ra, ca, B, rb, C + i * rc, rc, accumulate);
      for (; i < M; i++) rows<1>(N, K, A + i * ra, ra, ca, B, rb, C + i * rc, rc, accumulate);
  }
}

void gemm(int M, int N, int K, const float* A, int rsA, int csA, const float* B, int ldb, float* C, int ldc, int accumulate) {
  for (int k0 = 0; k0 < K || k0 == 0; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    gemmPanel(M, N, kc, A + long(k0) * csA, rsA, csA, B + long(k0) * ldb, ldb, C, ldc, k0 > 0 ? 1 : accumulate);
  }
}

// in 16 x 16 blocks, so that both sides stay in cache lines already loaded
void transpose(int R, int C, const float* src, float* dst) {
  constexpr int BS = 16;
  for (int r0 = 0; r0 < R; r0 += BS)
    for (int c0 = 0; c0 < C; c0 += BS) {
      const int r1 = std::min(R, r0 + BS), c1 = std::min(C, c0 + BS);
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) dst[long(c) * R + r] = src[long(r) * C + c];
    }
}

void fillRows(int M, int N, float* Y, int ldy, const float* bias) {
  for (int i = 0; i < M; i++) std::memcpy(Y + long(i) * ldy, bias, sizeof(float) * N);
}

void colSum(int M, int N, const float* X, int ldx, float* out) {
  for (int i = 0; i < M; i++) {
    const float* xp = X + long(i) * ldx;
    for (int j = 0; j < N; j += VW) {
      const int n = std::min(VW, N - j);
      vst(out + j, vld(out + j, n) + vld(xp + j, n), n);
    }
  }
}

void zero(float* x, int n) { std::memset(x, 0, sizeof(float) * n); }

// ---------------------------------------------------------------------------------
// Activations: the Cephes expf polynomial after range reduction, as in the WebAssembly
// kernels (sigmoid); tanh differs from theirs (below).

inline vf expv(vf x) {
  x = vmin(vmax(x, vset(-87.3f)), vset(88.3f));
  const vf magic = vset(12582912.0f);
  const vf t = vfma(x, vset(1.44269504088896341f), magic);
  const vf fx = t - magic;
  x = vfma(fx, vset(-0.693359375f), x);
  x = vfma(fx, vset(2.12194440e-4f), x);
  vf y = vset(1.9875691500e-4f);
  y = vfma(y, x, vset(1.3981999507e-3f));
  y = vfma(y, x, vset(8.3334519073e-3f));
  y = vfma(y, x, vset(4.1665795894e-2f));
  y = vfma(y, x, vset(1.6666665459e-1f));
  y = vfma(y, x, vset(5.0000001201e-1f));
  y = vfma(y, x * x, x) + vset(1);
  const vi pow2n = ((vi)t + 127) << 23;
  return y * (vf)pow2n;
}

inline vf sigmoidv(vf x) { return vrecip(vset(1) + expv(-x)); }

// tanh as a rational function, odd degree 13 over even degree 6, on x clamped to ±7.9988
// (where float32 tanh is 1): 3.4e-7 from tanh everywhere (relative, also near 0), about
// half the instructions of exp-based forms, and no branch to select. The coefficients are
// the minimax fit that Eigen's fast float tanh uses.
inline vf tanhv(vf x) {
  const vf c = vset(7.99881172180175781f);
  x = vmin(vmax(x, -c), c);
  const vf z = x * x;
  vf p = vset(-2.76076847742355e-16f);
  p = vfma(p, z, vset(2.00018790482477e-13f));
  p = vfma(p, z, vset(-8.60467152213735e-11f));
  p = vfma(p, z, vset(5.12229709037114e-08f));
  p = vfma(p, z, vset(1.48572235717979e-05f));
  p = vfma(p, z, vset(6.37261928875436e-04f));
  p = vfma(p, z, vset(4.89352455891786e-03f));
  vf q = vset(1.19825839466702e-06f);
  q = vfma(q, z, vset(1.18534705686654e-04f));
  q = vfma(q, z, vset(2.26843463243900e-03f));
  q = vfma(q, z, vset(4.89352518554385e-03f));
  return (p * x) * vrecip(q);
}

void reluInPlace(float* y, int n) {
  for (int i = 0; i < n; i += VW) {
    const int m = std::min(VW, n - i);
    vst(y + i, vmax(vld(y + i, m), vf{}), m);
  }
}

// dy[M,N] *= (y > 0)
void reluBackward(int M, int N, const float* y, int ldy, float* dy, int ldd) {
  for (int i = 0; i < M; i++) {
    const float* yp = y + long(i) * ldy;
    float* dp = dy + long(i) * ldd;
    for (int j = 0; j < N; j += VW) {
      const int n = std::min(VW, N - j);
      vst(dp + j, vld(yp + j, n) > vf{} ? vld(dp + j, n) : vf{}, n);
    }
  }
}

// ---------------------------------------------------------------------------------
// Conv1D, "same" padding, fused ReLU; im2col without a copy (overlapping input rows).

// output rows [t0, t1) of every sample
void conv1dRows(int B, int T, int t0, int t1, int Cin, int Cout, int k, const float* Xpad, const float* W, const float* bias, float* Y, int sy) {
  const long sx = long(T + k - 1) * Cin;
  for (int b = 0; b < B; b++) {
    float* yb = Y + long(b) * sy + long(t0) * Cout;
    fillRows(t1 - t0, Cout, yb, Cout, bias);
    gemm(t1 - t0, Cout, k * Cin, Xpad + b * sx + long(t0) * Cin, Cin, 1, W, Cout, yb, Cout, 1);
    reluInPlace(yb, (t1 - t0) * Cout);
  }
}

// own() on this thread while other() runs on the helper thread (kernels.h: besides)
template <class Own, class Other>
void onTwoThreads(Own own, Other other) {
  besides([](void* f) { (*static_cast<Other*>(f))(); }, &other, [](void* f) { (*static_cast<Own*>(f))(); }, &own);
}

// with threads > 1, the second half of the rows on the helper thread
void conv1dForward(int B, int T, int Cin, int Cout, int k, const float* Xpad, const float* W, const float* bias, float* Y, int sy, int threads) {
  if (threads < 2) return conv1dRows(B, T, 0, T, Cin, Cout, k, Xpad, W, bias, Y, sy);
  const int half = T / 2;
  onTwoThreads([&] { conv1dRows(B, T, 0, half, Cin, Cout, k, Xpad, W, bias, Y, sy); },
               [&] { conv1dRows(B, T, half, T, Cin, Cout, k, Xpad, W, bias, Y, sy); });
}

void conv1dBackward(int B, int T, int Cin, int Cout, int k, int pad, const float* Xpad, const float* Y, int sy, float* dY, int sdy,
                    float* dW, float* dBias, const float* Wflip, float* dX) {
  const long sx = long(T + k - 1) * Cin;
  for (int b = 0; b < B; b++) {
    const float* yb = Y + long(b) * sy;
    float* db = dY + long(b) * sdy;
    reluBackward(T, Cout, yb, Cout, db, Cout);
    gemm(k * Cin, Cout, T, Xpad + b * sx, 1, Cin, db, Cout, dW, Cout, 1);
    colSum(T, Cout, db, Cout, dBias);
    if (dX) gemm(T, Cin, k * Cout, db - long(k - 1 - pad) * Cout, Cout, 1, Wflip, Cin, dX + long(b) * T * Cin, Cin, 0);
  }
}

void conv1dFlipKernel(int k, int Cin, int Cout, const float* W, float* Wflip) {
  const long blk = long(Cin) * Cout;
  for (int kk = 0; kk < k; kk++) transpose(Cin, Cout, W + (k - 1 - kk) * blk, Wflip + kk * blk);
}

// ---------------------------------------------------------------------------------
// MaxPooling1D(2): arg holds all-ones lanes where the second frame won (ties: the first).

void maxPool1dForward(int B, int Tout, int C, const float* X, float* Y, float* arg) {
  const long rowsN = long(B) * Tout;
  for (long r = 0; r < rowsN; r++) {
    const float* x0 = X + r * 2 * C;
    const float* x1 = x0 + C;
    for (int c = 0; c < C; c += VW) {
      const int n = std::min(VW, C - c);
      const vf u = vld(x0 + c, n), v = vld(x1 + c, n);
      const vi second = v > u;
      vst(Y + r * C + c, second ? v : u, n);
      vst(arg + r * C + c, (vf)second, n);
    }
  }
}

void maxPool1dBackward(int B, int Tout, int C, const float* dY, const float* arg, float* dX, int sdx) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tout; t++) {
      const long r = long(b) * Tout + t;
      float* d0 = dX + long(b) * sdx + long(2 * t) * C;
      float* d1 = d0 + C;
      for (int c = 0; c < C; c += VW) {
        const int n = std::min(VW, C - c);
        const vu g = (vu)vld(dY + r * C + c, n), second = (vu)vld(arg + r * C + c, n);
        vst(d0 + c, (vf)(g & ~second), n);
        vst(d1 + c, (vf)(g & second), n);
      }
    }
}

// ---------------------------------------------------------------------------------
// Dropout, inverted; the mask is a counter hash of (seed, global sample, element).

inline uint32_t mix32(uint32_t a) {
  a ^= a >> 16;
  a *= 0x7feb352du;
  a ^= a >> 15;
  a *= 0x846ca68bu;
  a ^= a >> 16;
  return a;
}

inline vu mix32v(vu a) {
  a ^= a >> 16;
  a *= 0x7feb352du;
  a ^= a >> 15;
  a *= 0x846ca68bu;
  return a ^ (a >> 16);
}

void dropoutForward(int B, int S, float rate, uint32_t seed, int sampleOffset, const float* X, float* Y, float* mask) {
  const vf scale = vset(1.0f / (1.0f - rate));
  const vi threshold = vi{} + int32_t(double(rate) * 16777216.0);
  vu lane;
  for (int i = 0; i < VW; i++) lane[i] = uint32_t(i) * 0x85ebca6bu;
  const uint32_t step = uint32_t(VW) * 0x85ebca6bu;
  for (int b = 0; b < B; b++) {
    const uint32_t sampleKey = mix32(seed ^ mix32(uint32_t(sampleOffset + b) * 0x9e3779b9u + 0x632be5abu));
    vu ctr = lane + sampleKey;
    const long base = long(b) * S;
    for (int s = 0; s < S; s += VW) {
      const int n = std::min(VW, S - s);
      const vi keep = (vi)(mix32v(ctr) >> 8) >= threshold;
      const vf m = (vf)((vi)scale & keep);
      vst(mask + base + s, m, n);
      vst(Y + base + s, vld(X + base + s, n) * m, n);
      ctr += step;
    }
  }
}

void addInto(int n, const float* x, float* y) {
  for (int i = 0; i < n; i += VW) {
    const int m = std::min(VW, n - i);
    vst(y + i, vld(y + i, m) + vld(x + i, m), m);
  }
}

void mulInto(int n, const float* x, const float* mask, float* y) {
  for (int i = 0; i < n; i += VW) {
    const int m = std::min(VW, n - i);
    vst(y + i, vld(x + i, m) * vld(mask + i, m), m);
  }
}

// ---------------------------------------------------------------------------------
// LSTM, Keras semantics (gates i, f, c, o), one direction over a whole sequence.

// One sequence's recurrent product, g[4H] += h[H] · U[H, 4H], reads all of U every step,
// and U (64 KB at H = 64) does not fit in L1: each step streams it from L2, where U's
// rows, 4H floats apart, make many short strided streams. Copied once per call into
// column panels of PANEL floats that are contiguous, and walked in alternate order on
// alternate steps (the panels read last are still in L1 when the next step starts), the
// 44 products of a rep take about a third less time. Each element's sum is the one
// rows<1> forms (acc over k in order, then + g), so the result does not change.
constexpr int PV = VW == 16 ? 4 : 8;   // vectors per panel: eight chains of FMAs (AVX-512: four)
constexpr int PANEL = PV * VW;

// P[j][k][0..PANEL) = U[k][j*PANEL ..]: the panels one after another
void packPanels(int K, int N, const float* U, float* P) {
  for (int j = 0; j < N / PANEL; j++)
    for (int k = 0; k < K; k++) std::memcpy(P + (long(j) * K + k) * PANEL, U + long(k) * N + long(j) * PANEL, sizeof(float) * PANEL);
}

void gemvPanels(int N, int K, const float* h, const float* P, float* g, bool backwards) {
  const int panels = N / PANEL;
  for (int q = 0; q < panels; q++) {
    const int j = backwards ? panels - 1 - q : q;
    tile<1, PV>(K, h, 0, 1, P + long(j) * K * PANEL, PANEL, g + long(j) * PANEL, 0, 1);
  }
}

void lstmForward(int B, int T, int In, int H, const float* X, const float* W, const float* U, const float* bias, float* G, float* Cs, float* Hs, int ldh, int reverse) {
  const int H4 = 4 * H;
  gemm(B * T, H4, In, X, In, 1, W, H4, G, H4, 0);
  // panels for one sequence (where gemm's K panel would not split the sum: H <= KC)
  thread_local std::vector<float> panels;
  bool packed = B == 1 && H4 % PANEL == 0 && H <= KC;
  if (packed) {
    try {
      panels.resize(size_t(H) * H4);
      packPanels(H, H4, U, panels.data());
    } catch (const std::bad_alloc&) {
      packed = false;  // the same sums from U itself
    }
  }
  for (int s = 0; s < T; s++) {
    const int t = reverse ? T - 1 - s : s;
    const int tp = reverse ? t + 1 : t - 1;
    if (s > 0 && packed) gemvPanels(H4, H, Hs + long(tp) * ldh, panels.data(), G + long(t) * H4, s & 1);
    else if (s > 0) gemm(B, H4, H, Hs + long(tp) * ldh, T * ldh, 1, U, H4, G + long(t) * H4, T * H4, 1);
    for (int b = 0; b < B; b++) {
      float* g = G + long(b * T + t) * H4;
      float* c = Cs + long(b * T + t) * H;
      float* h = Hs + long(b * T + t) * ldh;
      const float* cp = Cs + long(b * T + tp) * H;
      for (int j = 0; j < H; j += VW) {
        const int n = std::min(VW, H - j);
        const vf ig = sigmoidv(vld(g + j, n) + vld(bias + j, n));
        const vf fg = sigmoidv(vld(g + H + j, n) + vld(bias + H + j, n));
        const vf gg = tanhv(vld(g + 2 * H + j, n) + vld(bias + 2 * H + j, n));
        const vf og = sigmoidv(vld(g + 3 * H + j, n) + vld(bias + 3 * H + j, n));
        vf cv = ig * gg;
        if (s > 0) cv = cv + fg * vld(cp + j, n);
        vst(g + j, ig, n);
        vst(g + H + j, fg, n);
        vst(g + 2 * H + j, gg, n);
        vst(g + 3 * H + j, og, n);
        vst(c + j, cv, n);
        vst(h + j, og * tanhv(cv), n);
      }
    }
  }
}

// Both directions of a bidirectional layer; Hs (B, T, 2H) gets [forward, backward]. With
// threads > 1 the backward direction runs on the helper thread meanwhile (a single rep's
// two directions are two long dependent chains that one core cannot overlap).
void bilstmForward(int B, int T, int In, int H, const float* X, const float* Wf, const float* Uf, const float* bf, float* Gf, float* Cf,
                   const float* Wb, const float* Ub, const float* bb, float* Gb, float* Cb, float* Hs, int threads) {
  auto forward = [&] { lstmForward(B, T, In, H, X, Wf, Uf, bf, Gf, Cf, Hs, 2 * H, 0); };
  auto backward = [&] { lstmForward(B, T, In, H, X, Wb, Ub, bb, Gb, Cb, Hs + H, 2 * H, 1); };
  if (threads < 2) {
    forward();
    backward();
  } else {
    onTwoThreads(forward, backward);
  }
}

void lstmBackward(int B, int T, int In, int H, const float* X, const float* WT, const float* UT, float* G, const float* Cs, const float* Hs, int ldh,
                  const float* dHs, float* dh, float* dc, float* dW, float* dU, float* dBias, float* dX, int accumulateDX, int reverse) {
  const int H4 = 4 * H;
  const vf one = vset(1);
  zero(dh, B * H);
  zero(dc, B * H);
  for (int s = T - 1; s >= 0; s--) {
    const int t = reverse ? T - 1 - s : s;
    const int tp = reverse ? t + 1 : t - 1;
    for (int b = 0; b < B; b++) {
      float* g = G + long(b * T + t) * H4;  // the gates, replaced by their gradients
      const float* c = Cs + long(b * T + t) * H;
      const float* cp = Cs + long(b * T + tp) * H;
      const float* dhs = dHs + long(b * T + t) * ldh;
      const float* dhb = dh + long(b) * H;
      float* dcb = dc + long(b) * H;
      for (int j = 0; j < H; j += VW) {
        const int n = std::min(VW, H - j);
        const vf ig = vld(g + j, n), fg = vld(g + H + j, n), gg = vld(g + 2 * H + j, n), og = vld(g + 3 * H + j, n);
        const vf tc = tanhv(vld(c + j, n));
        const vf dhv = vld(dhs + j, n) + vld(dhb + j, n);
        const vf dcv = vld(dcb + j, n) + (dhv * og) * (one - tc * tc);
        const vf cprev = s > 0 ? vld(cp + j, n) : vf{};
        vst(g + j, (dcv * gg) * (ig * (one - ig)), n);
        vst(g + H + j, (dcv * cprev) * (fg * (one - fg)), n);
        vst(g + 2 * H + j, (dcv * ig) * (one - gg * gg), n);
        vst(g + 3 * H + j, (dhv * tc) * (og * (one - og)), n);
        vst(dcb + j, dcv * fg, n);
      }
    }
    if (s > 0) gemm(B, H, H4, G + long(t) * H4, T * H4, 1, UT, H, dh, H, 0);
  }
  gemm(In, H4, B * T, X, 1, In, G, H4, dW, H4, 1);
  for (int b = 0; b < B; b++) {
    const int hStart = reverse ? b * T + 1 : b * T;
    const int gStart = reverse ? b * T : b * T + 1;
    gemm(H, H4, T - 1, Hs + long(hStart) * ldh, 1, ldh, G + long(gStart) * H4, H4, dU, H4, 1);
  }
  colSum(B * T, H4, G, H4, dBias);
  if (dX) gemm(B * T, In, H4, G, H4, 1, WT, In, dX, In, accumulateDX);
}

void bidirectionalLastForward(int B, int T, int H, const float* Hs, float* Y) {
  for (int b = 0; b < B; b++) {
    std::memcpy(Y + long(b) * 2 * H, Hs + long(b * T + T - 1) * 2 * H, sizeof(float) * H);
    std::memcpy(Y + long(b) * 2 * H + H, Hs + long(b * T) * 2 * H + H, sizeof(float) * H);
  }
}

void bidirectionalLastBackward(int B, int T, int H, const float* dY, float* dHs) {
  zero(dHs, B * T * 2 * H);
  for (int b = 0; b < B; b++) {
    std::memcpy(dHs + long(b * T + T - 1) * 2 * H, dY + long(b) * 2 * H, sizeof(float) * H);
    std::memcpy(dHs + long(b * T) * 2 * H + H, dY + long(b) * 2 * H + H, sizeof(float) * H);
  }
}

// ---------------------------------------------------------------------------------
// Dense with fused activation (1 = ReLU, 2 = sigmoid)

void denseForward(int B, int In, int Out, const float* X, const float* W, const float* bias, float* Y, int act) {
  fillRows(B, Out, Y, Out, bias);
  gemm(B, Out, In, X, In, 1, W, Out, Y, Out, 1);
  const int n = B * Out;
  if (act == 1) reluInPlace(Y, n);
  else if (act == 2)
    for (int i = 0; i < n; i += VW) {
      const int m = std::min(VW, n - i);
      vst(Y + i, sigmoidv(vld(Y + i, m)), m);
    }
}

void denseBackward(int B, int In, int Out, const float* X, const float* WT, const float* Y, float* dY, float* dW, float* dBias, float* dX, int act) {
  const int n = B * Out;
  if (act == 1) reluBackward(B, Out, Y, Out, dY, Out);
  else if (act == 2)
    for (int i = 0; i < n; i++) dY[i] = dY[i] * Y[i] * (1 - Y[i]);
  gemm(In, Out, B, X, 1, In, dY, Out, dW, Out, 1);
  colSum(B, Out, dY, Out, dBias);
  if (dX) gemm(B, In, Out, dY, Out, 1, WT, In, dX, In, 0);
}

// ---------------------------------------------------------------------------------
// MSE loss with MAE metric (sums in float64), Adam (Keras form)

void mseLoss(int n, const float* P, const float* Y, float* dP, float normalizer, double* out) {
  double se = 0, ae = 0;
  const float scale = 2 / normalizer;
  for (int i = 0; i < n; i++) {
    const float e = P[i] - Y[i];
    se += double(e) * double(e);
    ae += e < 0 ? -double(e) : double(e);
    if (dP) dP[i] = scale * e;
  }
  out[0] = se;
  out[1] = ae;
}

void adamUpdate(int n, float* w, const float* g, float* m, float* v, float alpha, float oneMinusBeta1, float oneMinusBeta2, float eps) {
  const vf a = vset(alpha), b1 = vset(oneMinusBeta1), b2 = vset(oneMinusBeta2), e = vset(eps);
  for (int i = 0; i < n; i += VW) {
    const int k = std::min(VW, n - i);
    const vf gv = vld(g + i, k);
    vf mv = vld(m + i, k), vv = vld(v + i, k);
    mv = mv + (gv - mv) * b1;
    vv = vv + (gv * gv - vv) * b2;
    vst(m + i, mv, k);
    vst(v + i, vv, k);
    vst(w + i, vld(w + i, k) - (a * mv) / (vsqrt(vv) + e), k);
  }
}

} // namespace

#define FS_STR2(x) #x
#define FS_STR(x) FS_STR2(x)
#define FS_ENTRY(name) name,
extern const KernelTable table = {FS_STR(FS_ISA), FS_KERNELS(FS_ENTRY)};

} // namespace FS_ISA
