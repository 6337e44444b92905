# The optional native kernels (src/nn/native): built at `npm ci` by scripts/build-native.mjs
# where a C++ compiler exists; without one formscore runs its WebAssembly kernels.
# kernels.cc is compiled once per instruction set, each build in its own namespace, and
# addon.cc picks the fastest one the CPU supports at run time; helper-thread.cc is the
# second thread a single rep's BiLSTM layers and convolutions may use (kernels.h: besides).
{
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=c++17", "-fPIC", "-ffp-contract=off", "-fno-math-errno"],
    "cflags_cc!": ["-fno-exceptions"],
    "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"] }
  },
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        { "target_name": "kernels_avx512", "type": "static_library", "sources": ["src/nn/native/kernels.cc"],
          "cflags_cc": ["-mavx512f", "-mavx2", "-mfma"], "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx2", "-mfma"] } },
        { "target_name": "kernels_avx2", "type": "static_library", "sources": ["src/nn/native/kernels.cc"],
          "cflags_cc": ["-mavx2", "-mfma"], "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] } },
        { "target_name": "kernels_sse2", "type": "static_library", "sources": ["src/nn/native/kernels.cc"] },
        { "target_name": "formscore_kernels", "sources": ["src/nn/native/addon.cc", "src/nn/native/helper-thread.cc"],
          "dependencies": ["kernels_avx512", "kernels_avx2", "kernels_sse2"], "conditions": [["OS!='win'", { "libraries": ["-ldl"] }]] }
      ]
    }, {
      "targets": [
        { "target_name": "kernels_portable", "type": "static_library", "sources": ["src/nn/native/kernels.cc"] },
        { "target_name": "formscore_kernels", "sources": ["src/nn/native/addon.cc", "src/nn/native/helper-thread.cc"], "dependencies": ["kernels_portable"],
          "conditions": [["OS!='win'", { "libraries": ["-ldl"] }]] }
      ]
    }]
  ]
}
