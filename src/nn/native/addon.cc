// Node-API binding of the native kernels: formscore_kernels.node.
//
//   isas()        -> the kernel builds this CPU can run, fastest first ("avx512", "avx2", ...)
//   kernels(isa)  -> { gemm, lstmForward, ... }: the WebAssembly kernels' functions, each
//                    taking the engine's memory (an ArrayBuffer) first, then the same
//                    arguments, pointers being byte offsets into that memory (0 = none)
//   allocate(n)   -> a zeroed, 64-byte aligned ArrayBuffer of n bytes (the engine's memory)
//
// Plain Node-API (C), no wrapper library: two dozen functions with integer and float
// arguments are all it needs, and it keeps the addon ABI-stable across Node versions.
#include <node_api.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>
#include "kernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace {

std::vector<const KernelTable*> supported() {
  std::vector<const KernelTable*> out;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) out.push_back(&avx512::table);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(&avx2::table);
  out.push_back(&sse2::table);
#else
  out.push_back(&portable::table);
#endif
  return out;
}

// One call's arguments: argv[0] the memory, then the kernel's own arguments.
struct Call {
  napi_env env;
  napi_value argv[24];
  size_t argc = 24;
  const KernelTable* k = nullptr;
  uint8_t* base = nullptr;
  size_t bytes = 0;
  bool failed = false;

  Call(napi_env e, napi_callback_info info) : env(e) {
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
    k = static_cast<const KernelTable*>(data);
    void* p = nullptr;
    if (argc < 1 || napi_get_arraybuffer_info(env, argv[0], &p, &bytes) != napi_ok) fail("the first argument must be the engine's ArrayBuffer");
    base = static_cast<uint8_t*>(p);
  }
  void fail(const char* what) {
    if (!failed) napi_throw_error(env, nullptr, (std::string("native kernels: ") + what).c_str());
    failed = true;
  }
  napi_value arg(size_t i) {
    if (i >= argc) fail("too few arguments");
    return failed ? nullptr : argv[i];
  }
  int i(size_t n) {
    int32_t v = 0;
    if (napi_value a = arg(n); a && napi_get_value_int32(env, a, &v) != napi_ok) fail("an integer argument is not a number");
    return v;
  }
  uint32_t u(size_t n) {
    uint32_t v = 0;
    if (napi_value a = arg(n); a && napi_get_value_uint32(env, a, &v) != napi_ok) fail("an integer argument is not a number");
    return v;
  }
  float f(size_t n) {
    double v = 0;
    if (napi_value a = arg(n); a && napi_get_value_double(env, a, &v) != napi_ok) fail("a float argument is not a number");
    return float(v);
  }
  // a byte offset into the memory as a pointer; 0 is nullptr
  template <typename P = float>
  P* p(size_t n) {
    const uint32_t off = u(n);
    if (off >= bytes && off != 0) fail("a pointer lies outside the engine's memory");
    return off == 0 || failed ? nullptr : reinterpret_cast<P*>(base + off);
  }
};

// Each kernel runs with denormals flushed to zero (MXCSR FTZ + DAZ; x86 handles a
// denormal operand or result in a slow microcode path), and the caller's MXCSR is put
// back before returning, so JavaScript's own arithmetic keeps IEEE denormals.
#if defined(__x86_64__) || defined(__i386__)
struct FlushDenormals {
  const unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved); }
};
#else
struct FlushDenormals {};
#endif

#define KERNEL(name, ...)                                      \
  napi_value name(napi_env env, napi_callback_info info) {     \
    Call c(env, info);                                         \
    if (c.failed) return nullptr;                              \
    auto args = [&] { return std::make_tuple(__VA_ARGS__); }(); \
    if (!c.failed) {                                           \
      FlushDenormals ftz;                                      \
      std::apply(c.k->name, args);                             \
    }                                                          \
    return nullptr;                                            \
  }

KERNEL(gemm, c.i(1), c.i(2), c.i(3), c.p(4), c.i(5), c.i(6), c.p(7), c.i(8), c.p(9), c.i(10), c.i(11))
KERNEL(transpose, c.i(1), c.i(2), c.p(3), c.p(4))
KERNEL(zero, c.p(1), c.i(2))
KERNEL(conv1dForward, c.i(1), c.i(2), c.i(3), c.i(4), c.i(5), c.p(6), c.p(7), c.p(8), c.p(9), c.i(10))
KERNEL(conv1dBackward, c.i(1), c.i(2), c.i(3), c.i(4), c.i(5), c.i(6), c.p(7), c.p(8), c.i(9), c.p(10), c.i(11), c.p(12), c.p(13), c.p(14), c.p(15))
KERNEL(conv1dFlipKernel, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5))
KERNEL(maxPool1dForward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5), c.p(6))
KERNEL(maxPool1dBackward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5), c.p(6), c.i(7))
KERNEL(dropoutForward, c.i(1), c.i(2), c.f(3), c.u(4), c.i(5), c.p(6), c.p(7), c.p(8))
KERNEL(addInto, c.i(1), c.p(2), c.p(3))
KERNEL(mulInto, c.i(1), c.p(2), c.p(3), c.p(4))
KERNEL(lstmForward, c.i(1), c.i(2), c.i(3), c.i(4), c.p(5), c.p(6), c.p(7), c.p(8), c.p(9), c.p(10), c.p(11), c.i(12), c.i(13))
KERNEL(lstmBackward, c.i(1), c.i(2), c.i(3), c.i(4), c.p(5), c.p(6), c.p(7), c.p(8), c.p(9), c.p(10), c.i(11), c.p(12), c.p(13), c.p(14),
       c.p(15), c.p(16), c.p(17), c.p(18), c.p(19), c.i(20), c.i(21))
KERNEL(bidirectionalLastForward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5))
KERNEL(bidirectionalLastBackward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5))
KERNEL(denseForward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5), c.p(6), c.p(7), c.i(8))
KERNEL(denseBackward, c.i(1), c.i(2), c.i(3), c.p(4), c.p(5), c.p(6), c.p(7), c.p(8), c.p(9), c.p(10), c.i(11))
KERNEL(mseLoss, c.i(1), c.p(2), c.p(3), c.p(4), c.f(5), c.p<double>(6))
KERNEL(adamUpdate, c.i(1), c.p(2), c.p(3), c.p(4), c.p(5), c.f(6), c.f(7), c.f(8), c.f(9))

napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

napi_value isas(napi_env env, napi_callback_info) {
  const auto tables = supported();
  napi_value out;
  napi_create_array_with_length(env, tables.size(), &out);
  for (size_t i = 0; i < tables.size(); i++) napi_set_element(env, out, uint32_t(i), str(env, tables[i]->isa));
  return out;
}

napi_value kernels(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[32] = "";
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) name[0] = 0;
  const KernelTable* k = nullptr;
  for (const KernelTable* t : supported())
    if (std::strcmp(t->isa, name) == 0) k = t;
  if (!k) {
    napi_throw_error(env, nullptr, (std::string("native kernels: this CPU cannot run the \"") + name + "\" build").c_str());
    return nullptr;
  }
  const std::pair<const char*, napi_callback> fns[] = {
    {"gemm", gemm}, {"transpose", transpose}, {"zero", zero}, {"conv1dForward", conv1dForward}, {"conv1dBackward", conv1dBackward},
    {"conv1dFlipKernel", conv1dFlipKernel}, {"maxPool1dForward", maxPool1dForward}, {"maxPool1dBackward", maxPool1dBackward},
    {"dropoutForward", dropoutForward}, {"addInto", addInto}, {"mulInto", mulInto}, {"lstmForward", lstmForward}, {"lstmBackward", lstmBackward},
    {"bidirectionalLastForward", bidirectionalLastForward}, {"bidirectionalLastBackward", bidirectionalLastBackward},
    {"denseForward", denseForward}, {"denseBackward", denseBackward}, {"mseLoss", mseLoss}, {"adamUpdate", adamUpdate},
  };
  napi_value out;
  napi_create_object(env, &out);
  for (const auto& [fname, cb] : fns) {
    napi_value fn;
    napi_create_function(env, fname, NAPI_AUTO_LENGTH, cb, const_cast<KernelTable*>(k), &fn);
    napi_set_named_property(env, out, fname, fn);
  }
  return out;
}

napi_value allocate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double n = 0;
  if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n > 0) || n > 4294967295.0) {
    napi_throw_range_error(env, nullptr, "native kernels: allocate(n) needs 0 < n < 4 GiB");
    return nullptr;
  }
  const size_t bytes = (size_t(n) + 63) / 64 * 64;
  void* mem = std::aligned_alloc(64, bytes);
  if (!mem) {
    napi_throw_error(env, nullptr, "native kernels: out of memory");
    return nullptr;
  }
  std::memset(mem, 0, bytes);
  napi_value out;
  napi_status s = napi_create_external_arraybuffer(env, mem, size_t(n), [](napi_env, void* data, void*) { std::free(data); }, nullptr, &out);
  if (s != napi_ok) {
    std::free(mem);
    napi_throw_error(env, nullptr, "native kernels: could not wrap the memory in an ArrayBuffer");
    return nullptr;
  }
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    {"isas", nullptr, isas, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"kernels", nullptr, kernels, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"allocate", nullptr, allocate, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

} // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
