// One vector type and the handful of operations the kernels need, for the instruction
// set this translation unit is compiled for (kernels.cc is built once per set, see
// binding.gyp). Arithmetic, comparisons and selects use GCC/Clang vector extensions,
// which lower to the widest registers of the target; fused multiply-add and square root
// are explicit so that every build rounds the same way in every loop (the kernels are
// compiled with -ffp-contract=off).
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

// FS_PS(op): this set's packed-float intrinsic, e.g. FS_PS(max) is _mm256_max_ps with AVX2
#if defined(__AVX512F__)
#define FS_ISA avx512
#define FS_PS(op) _mm512_##op##_ps
constexpr int VW = 16;
#elif defined(__AVX2__) && defined(__FMA__)
#define FS_ISA avx2
#define FS_PS(op) _mm256_##op##_ps
constexpr int VW = 8;
#elif defined(__SSE2__)
#define FS_ISA sse2
#define FS_PS(op) _mm_##op##_ps
constexpr int VW = 4;
#else
#define FS_ISA portable
constexpr int VW = 4;
#endif

typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
typedef uint32_t vu __attribute__((vector_size(VW * 4)));

static inline vf vload(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void vstore(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
// s in every lane (a broadcast; `vf{} + s` would add 0 first, which the compiler may not drop)
static inline vf vset(float s) {
#if defined(FS_PS)
  return FS_PS(set1)(s);
#else
  vf v;
  for (int i = 0; i < VW; i++) v[i] = s;
  return v;
#endif
}

// a * b + c
static inline vf vfma(vf a, vf b, vf c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#elif defined(__AVX2__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

static inline float sfma(float a, float b, float c) {
#if defined(__FMA__) || defined(__AVX512F__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

static inline vf vsqrt(vf x) {
#if defined(FS_PS)
  return FS_PS(sqrt)(x);
#else
  for (int i = 0; i < VW; i++) x[i] = __builtin_sqrtf(x[i]);
  return x;
#endif
}

// 1 / x: the hardware estimate and one Newton step (relative error ~1e-7 from AVX-512's
// 14-bit estimate, ~1e-7 from SSE/AVX's 12-bit one), a fifth of a division's cost;
// exact division where there is no estimate. The sigmoid and tanh of the LSTM gates use it.
static inline vf vrecip(vf x) {
#if defined(__AVX512F__)
  const vf r = _mm512_rcp14_ps(x);
#elif defined(__AVX2__)
  const vf r = _mm256_rcp_ps(x);
#elif defined(__SSE2__)
  const vf r = _mm_rcp_ps(x);
#else
  return vset(1.0f) / x;
#endif
#if defined(__SSE2__) || defined(__AVX512F__)
  return r * vfma(-x, r, vset(2.0f));
#endif
}

// max / min that keep a NaN in a (as WebAssembly's f32x4.max/min do): a NaN input must
// reach the loss, where training stops on it, not vanish in a ReLU or exp's clamp
// (x86 max/min return their second operand when either is a NaN: one instruction)
#if defined(FS_PS)
static inline vf vmax(vf a, vf b) { return FS_PS(max)(b, a); }
static inline vf vmin(vf a, vf b) { return FS_PS(min)(b, a); }
#else
static inline vf vmax(vf a, vf b) { return (a > b) | (a != a) ? a : b; }
static inline vf vmin(vf a, vf b) { return (a < b) | (a != a) ? a : b; }
#endif
