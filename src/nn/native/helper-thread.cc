// The helper thread of besides() (kernels.h), which lets one kernel use a second core
// when a model predicts too few reps to split between its workers (a single rep): the
// two directions of a BiLSTM layer (bilstmForward) and the two halves of a convolution's
// rows (conv1dForward), with threads > 1. Tasks must not call besides() themselves.
//
// One helper per process, started on the first call and never stopped: it sleeps on a
// condition variable, which does not hold the process open. After each task it spins for
// a moment before it sleeps again, because a rep's forward pass asks for it twice within
// microseconds and reps tend to come one after another, while waking a sleeping thread
// costs tens of microseconds. When the helper has not picked the task up by the time the
// caller has finished its own half (the machine's cores are busy with other work), the
// caller takes it back and runs it itself: a busy machine costs a rep no more than one
// thread would. A second caller that finds the helper taken (another worker thread's
// engine) runs both halves itself, so callers never wait on each other.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include "kernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace {

using Task = void (*)(void*);

std::atomic<uint64_t> ranByHelper{0};  // helperTasks(), for the tests

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

struct Helper {
  std::mutex owner;  // held by the caller whose task the helper runs
  std::mutex sleep;  // guards the wake-up of a sleeping helper
  std::condition_variable wake;
  std::atomic<Task> task{nullptr};
  void* ctx = nullptr;
  std::atomic<bool> done{false};

  void loop() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040);  // denormals flushed, as the addon does for every kernel call
#endif
    for (;;) {
      awaitTask();
      // whoever exchanges the task out first runs it: the helper here, or the caller taking it back
      if (const Task f = task.exchange(nullptr, std::memory_order_acq_rel)) {
        f(ctx);
        ranByHelper.fetch_add(1, std::memory_order_relaxed);
        done.store(true, std::memory_order_release);
      }
    }
  }

  // spins for 200 µs, then sleeps until a task is posted
  void awaitTask() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (int spins = 1;; spins++) {
      if (task.load(std::memory_order_acquire)) return;
      relax();
      if (spins % 256 == 0 && std::chrono::steady_clock::now() > until) break;
    }
    std::unique_lock<std::mutex> lock(sleep);
    wake.wait(lock, [this] { return task.load(std::memory_order_acquire) != nullptr; });
  }
};

// Keeps this library loaded until the process ends: Node unloads an addon that a worker
// thread loaded when that worker exits, and the helper runs this library's code until then.
void pinLibrary() {
#if !defined(_WIN32)
  Dl_info self;
  if (dladdr(reinterpret_cast<void*>(&pinLibrary), &self) && self.dli_fname) dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
#endif
}

// the helper, or nullptr when no thread could be started
Helper* helper() {
  static Helper* const h = []() -> Helper* {
    pinLibrary();
    auto* h = new Helper;  // never freed: the thread uses it until the process ends
    try {
      std::thread([h] { h->loop(); }).detach();
      return h;
    } catch (...) {
      delete h;
      return nullptr;
    }
  }();
  return h;
}

} // namespace

void besides(Task task, void* ctx, Task own, void* ownCtx) {
  Helper* h = helper();
  std::unique_lock<std::mutex> mine;
  if (h) mine = std::unique_lock<std::mutex>(h->owner, std::try_to_lock);
  if (!mine) {
    own(ownCtx);
    task(ctx);
    return;
  }
  h->ctx = ctx;
  h->done.store(false, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(h->sleep);
    h->task.store(task, std::memory_order_release);
  }
  h->wake.notify_one();
  own(ownCtx);
  if (const Task untouched = h->task.exchange(nullptr, std::memory_order_acq_rel)) {
    untouched(ctx);  // the helper has not started it
    return;
  }
  for (int spins = 1; !h->done.load(std::memory_order_acquire); spins++) {
    if (spins % 4096 == 0) std::this_thread::yield();  // the helper's core may be taken by another process
    else relax();
  }
}

uint64_t helperTasks() { return ranByHelper.load(std::memory_order_relaxed); }
