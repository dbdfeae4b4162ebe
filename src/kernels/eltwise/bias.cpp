// Bias (bias.h): planes split over the thread pool (whole planes, or whole channels for the
// gradient); rows on the calling thread.
#include "kernels/eltwise/bias.h"

#include <algorithm>

#include "kernels/loops.h"

namespace cnn::kernels {

void add_bias_planes_f32_scalar(float* y, int N, int K, int hw, const float* b) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      float* r = y + (static_cast<std::ptrdiff_t>(n) * K + k) * hw;
      for (int i = 0; i < hw; ++i) r[i] += b[k];
    }
}
void add_bias_planes_f32(float* y, int N, int K, int hw, const float* b) {
  const std::size_t planes = static_cast<std::size_t>(N) * K;
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      float* r = y + p * hw;
      const float bk = b[p % K];
      const f32x4 bv = f32x4_splat(bk);
      lanes(
          0, hw, [&](std::size_t i) { f32x4_store(r + i, f32x4_load(r + i) + bv); },
          [&](std::size_t i) { r[i] += bk; });
    }
  });
}

void bias_grad_planes_f32_scalar(const float* dy, int N, int K, int hw, float* db) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const float* r = dy + (static_cast<std::ptrdiff_t>(n) * K + k) * hw;
      float s = 0.0f;
      for (int i = 0; i < hw; ++i) s += r[i];
      db[k] += s;
    }
}
void bias_grad_planes_f32(const float* dy, int N, int K, int hw, float* db) {
  const std::size_t work = static_cast<std::size_t>(N) * hw;
  parallel_ranges(K, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(work, 1)),
                  [&](std::size_t k0, std::size_t k1) {
                    for (std::size_t k = k0; k < k1; ++k)
                      for (int n = 0; n < N; ++n)
                        db[k] += plane_sum_f32(dy + (static_cast<std::size_t>(n) * K + k) * hw, hw);
                  });
}

void add_bias_rows_f32_scalar(float* y, int N, int U, const float* b) {
  for (int n = 0; n < N; ++n)
    for (int u = 0; u < U; ++u) y[static_cast<std::ptrdiff_t>(n) * U + u] += b[u];
}
void add_bias_rows_f32(float* y, int N, int U, const float* b) {
  for (int n = 0; n < N; ++n) {
    float* r = y + static_cast<std::ptrdiff_t>(n) * U;
    lanes(
        0, U, [&](std::size_t u) { f32x4_store(r + u, f32x4_load(r + u) + f32x4_load(b + u)); },
        [&](std::size_t u) { r[u] += b[u]; });
  }
}

void bias_grad_rows_f32_scalar(const float* dy, int N, int U, float* db) {
  for (int n = 0; n < N; ++n)
    for (int u = 0; u < U; ++u) db[u] += dy[static_cast<std::ptrdiff_t>(n) * U + u];
}
void bias_grad_rows_f32(const float* dy, int N, int U, float* db) {
  for (int n = 0; n < N; ++n) {
    const float* r = dy + static_cast<std::ptrdiff_t>(n) * U;
    lanes(
        0, U, [&](std::size_t u) { f32x4_store(db + u, f32x4_load(db + u) + f32x4_load(r + u)); },
        [&](std::size_t u) { db[u] += r[u]; });
  }
}
}  // namespace cnn::kernels
