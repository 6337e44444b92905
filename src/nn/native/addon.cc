// Node-API binding of the native kernels: formscore_kernels.node.
//
//   isas()        -> the kernel builds this CPU can run, fastest first ("avx512", "avx2", ...)
//   kernels(isa)  -> { gemm, lstmForward, ... }: the WebAssembly kernels' functions, each
//                    taking the engine's memory (an ArrayBuffer) first, then the same
//                    arguments, pointers being byte offsets into that memory (0 = none)
//   allocate(n)   -> a zeroed, 64-byte aligned ArrayBuffer of n bytes (the engine's memory)
//   helperTasks() -> how many tasks the helper thread (helper-thread.cc) has run (tests)
//
// Plain Node-API (C), no wrapper library: two dozen functions with integer and float
// arguments are all it needs, and it keeps the addon ABI-stable across Node versions.
#include <node_api.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
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
  template <typename P>
  P* p(size_t n) {
    const uint32_t off = u(n);
    if (off >= bytes && off != 0) fail("a pointer lies outside the engine's memory");
    return off == 0 || failed ? nullptr : reinterpret_cast<P*>(base + off);
  }
  // argument n as the kernel's parameter type T
  template <typename T>
  T get(size_t n) {
    if constexpr (std::is_same_v<T, int>) return i(n);
    else if constexpr (std::is_same_v<T, uint32_t>) return u(n);
    else if constexpr (std::is_same_v<T, float>) return f(n);
    else {
      static_assert(std::is_pointer_v<T>, "kernel parameters are int, uint32_t, float or pointers");
      return p<std::remove_const_t<std::remove_pointer_t<T>>>(n);
    }
  }
  // calls f with arguments 1.. read by f's own parameter types (a braced list reads them in order)
  template <typename... A>
  void invoke(void (*f)(A...)) {
    invoke(f, std::index_sequence_for<A...>{});
  }
  template <typename... A, size_t... I>
  void invoke(void (*f)(A...), std::index_sequence<I...>) {
    std::tuple<A...> args{get<A>(I + 1)...};
    if (failed) return;
    FlushDenormals ftz;
    std::apply(f, args);
  }
};

// The Node-API function of one kernel (a field of KernelTable); its table is the callback data.
template <auto Field>
napi_value kernel(napi_env env, napi_callback_info info) {
  Call c(env, info);
  if (!c.failed) c.invoke(c.k->*Field);
  return nullptr;
}

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
#define FS_BIND(name) {#name, kernel<&KernelTable::name>},
  const std::pair<const char*, napi_callback> fns[] = {FS_KERNELS(FS_BIND)};
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

napi_value helperTaskCount(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_double(env, double(helperTasks()), &out);
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    {"isas", nullptr, isas, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"kernels", nullptr, kernels, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"allocate", nullptr, allocate, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"helperTasks", nullptr, helperTaskCount, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}

} // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
