// The kernel table: one per instruction set that kernels.cc was compiled for. The
// functions and their arguments are those of the WebAssembly kernels
// (src/nn/wasm/kernels.ts), with float pointers for byte offsets; nullptr stands for
// the WebAssembly side's pointer 0 ("no such output").
#pragma once
#include <cstdint>

// Every kernel by name, in KernelTable's order: the table's initializer (kernels.cc) and
// the addon's exports (addon.cc) are generated from this list; each kernel's signature
// is written once, as its field below, and the addon reads a call's arguments by it.
#define FS_KERNELS(X)                                                                                          \
  X(gemm) X(transpose) X(zero) X(conv1dForward) X(conv1dBackward) X(conv1dFlipKernel) X(maxPool1dForward)      \
  X(maxPool1dBackward) X(dropoutForward) X(addInto) X(mulInto) X(lstmForward) X(bilstmForward) X(lstmBackward)  \
  X(bidirectionalLastForward) X(bidirectionalLastBackward) X(denseForward) X(denseBackward) X(mseLoss)          \
  X(adamUpdate)

struct KernelTable {
  const char* isa;
  void (*gemm)(int M, int N, int K, const float* A, int rsA, int csA, const float* B, int ldb, float* C, int ldc, int accumulate);
  void (*transpose)(int R, int C, const float* src, float* dst);
  void (*zero)(float* x, int n);
  void (*conv1dForward)(int B, int T, int Cin, int Cout, int k, const float* Xpad, const float* W, const float* bias, float* Y, int sy, int threads);
  void (*conv1dBackward)(int B, int T, int Cin, int Cout, int k, int pad, const float* Xpad, const float* Y, int sy, float* dY, int sdy, float* dW, float* dBias, const float* Wflip, float* dX);
  void (*conv1dFlipKernel)(int k, int Cin, int Cout, const float* W, float* Wflip);
  void (*maxPool1dForward)(int B, int Tout, int C, const float* X, float* Y, float* arg);
  void (*maxPool1dBackward)(int B, int Tout, int C, const float* dY, const float* arg, float* dX, int sdx);
  void (*dropoutForward)(int B, int S, float rate, uint32_t seed, int sampleOffset, const float* X, float* Y, float* mask);
  void (*addInto)(int n, const float* x, float* y);
  void (*mulInto)(int n, const float* x, const float* mask, float* y);
  // one direction (the engine calls bilstmForward, which runs both; the parity tests call it directly)
  void (*lstmForward)(int B, int T, int In, int H, const float* X, const float* W, const float* U, const float* bias, float* G, float* Cs, float* Hs, int ldh, int reverse);
  void (*bilstmForward)(int B, int T, int In, int H, const float* X, const float* Wf, const float* Uf, const float* bf, float* Gf, float* Cf, const float* Wb, const float* Ub, const float* bb, float* Gb, float* Cb, float* Hs, int threads);
  void (*lstmBackward)(int B, int T, int In, int H, const float* X, const float* WT, const float* UT, float* G, const float* Cs, const float* Hs, int ldh, const float* dHs, float* dh, float* dc, float* dW, float* dU, float* dBias, float* dX, int accumulateDX, int reverse);
  void (*bidirectionalLastForward)(int B, int T, int H, const float* Hs, float* Y);
  void (*bidirectionalLastBackward)(int B, int T, int H, const float* dY, float* dHs);
  void (*denseForward)(int B, int In, int Out, const float* X, const float* W, const float* bias, float* Y, int act);
  void (*denseBackward)(int B, int In, int Out, const float* X, const float* WT, const float* Y, float* dY, float* dW, float* dBias, float* dX, int act);
  void (*mseLoss)(int n, const float* P, const float* Y, float* dP, float normalizer, double* out);
  void (*adamUpdate)(int n, float* w, const float* g, float* m, float* v, float alpha, float oneMinusBeta1, float oneMinusBeta2, float eps);
};

// Runs task(ctx) on the helper thread while the caller runs own(ownCtx); returns when
// both have finished. When another caller has the helper, the caller runs both itself.
// (helper-thread.cc: one helper per process, started on first use.)
void besides(void (*task)(void*), void* ctx, void (*own)(void*), void* ownCtx);
// Tasks the helper thread has run so far (the tests check that it runs some).
uint64_t helperTasks();

namespace avx512 { extern const KernelTable table; }
namespace avx2 { extern const KernelTable table; }
namespace sse2 { extern const KernelTable table; }
namespace portable { extern const KernelTable table; }
