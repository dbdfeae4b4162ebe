// A small thread pool for the kernels: natively std::thread, in the wasm "mt" build Emscripten
// pthreads (cross-origin-isolated pages); the single-threaded wasm build runs everything inline.
// Work is split into disjoint output ranges, so results are bit-identical for any thread count.
#pragma once

#include <functional>

namespace cnn {

// Threads used by parallel_for (default: the hardware concurrency, at most 8; 1 in the
// single-threaded wasm build). Values below 1 mean 1.
void set_num_threads(int n);
int num_threads();
// Calls f(task) for task in [0, tasks), spread over the pool; returns when all are done. Nested
// calls (from inside a task) run inline.
void parallel_for(int tasks, const std::function<void(int)>& f);

}  // namespace cnn
