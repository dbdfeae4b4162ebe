// A small thread pool for the kernels: natively std::thread, in the wasm "mt" build Emscripten
// pthreads (cross-origin-isolated pages); the single-threaded wasm build runs everything inline.
// Work is split into disjoint output ranges, so results are bit-identical for any thread count.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace cnn {

// A non-owning reference to a callable void(int): unlike std::function it never allocates, so
// parallel_for adds nothing to the heap in the training step. The callable must outlive the call.
class TaskRef {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TaskRef>>>
  TaskRef(F&& f) : obj_(const_cast<void*>(static_cast<const void*>(&f))) {  // NOLINT: implicit by design
    call_ = [](void* o, int t) { (*static_cast<std::remove_reference_t<F>*>(o))(t); };
  }
  void operator()(int t) const { call_(obj_, t); }

 private:
  void* obj_;
  void (*call_)(void*, int);
};

// Threads used by parallel_for (default: the hardware concurrency, at most 8; 1 in the
// single-threaded wasm build). Values below 1 mean 1.
void set_num_threads(int n);
int num_threads();
// Calls f(task) for task in [0, tasks), spread over the pool; returns when all are done. Nested
// calls (from inside a task) run inline.
void parallel_for(int tasks, TaskRef f);
// Splits [0, n) into at most num_threads() contiguous ranges of at least `grain` items (rounded to
// multiples of 4 for SIMD) and calls f(begin, end) on each, in parallel. Each item belongs to one
// range and the ranges do not depend on timing, so element-wise results are identical for any
// thread count.
template <class F>
void parallel_ranges(std::size_t n, std::size_t grain, F&& f);

}  // namespace cnn

// ------------------------------------------------------------------------------------------------
namespace cnn {
template <class F>
void parallel_ranges(std::size_t n, std::size_t grain, F&& f) {
  const std::size_t threads = static_cast<std::size_t>(num_threads());
  std::size_t tasks = grain ? n / grain : n;
  if (tasks > threads) tasks = threads;
  if (tasks <= 1) {
    f(std::size_t{0}, n);
    return;
  }
  const std::size_t per = ((n + tasks - 1) / tasks + 3) / 4 * 4;
  parallel_for(static_cast<int>((n + per - 1) / per), [&](int t) {
    const std::size_t b = static_cast<std::size_t>(t) * per, e = b + per < n ? b + per : n;
    f(b, e);
  });
}
}  // namespace cnn
