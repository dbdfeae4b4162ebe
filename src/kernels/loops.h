// The loop shapes the element-wise kernels share (internal to src/kernels/): a SIMD body with a
// scalar tail, split over the thread pool into disjoint output ranges when the work is large enough
// to pay for waking the threads. Threads never share an output, so results do not depend on the
// thread count.
#pragma once

#include <cstddef>

#include "core/parallel.h"
#include "kernels/simd.h"

namespace cnn::kernels {

// Elements per task below which an element-wise kernel stays on the calling thread.
constexpr std::size_t kGrain = 16384;

// Runs vec(i) for each aligned group of 4 in [b, e) and one(i) for the tail.
template <class V, class S>
inline void lanes(std::size_t b, std::size_t e, V&& vec, S&& one) {
  std::size_t i = b;
  for (; i + 4 <= e; i += 4) vec(i);
  for (; i < e; ++i) one(i);
}

// Element-wise kernel over [0, n): parallel ranges, each a SIMD body plus a scalar tail.
template <class V, class S>
inline void elementwise(std::size_t n, V&& vec, S&& one) {
  parallel_ranges(n, kGrain, [&](std::size_t b, std::size_t e) { lanes(b, e, vec, one); });
}

// The sum of hw values: four lanes, reduced, plus the scalar tail (bias gradient, global average).
inline float plane_sum_f32(const float* r, std::size_t hw) {
  f32x4 acc = f32x4_zero();
  float tail = 0.0f;
  lanes(
      0, hw, [&](std::size_t i) { acc += f32x4_load(r + i); }, [&](std::size_t i) { tail += r[i]; });
  return f32x4_sum(acc) + tail;
}

}  // namespace cnn::kernels
