// Global average pooling (pool.h): one sum per plane.
#include <algorithm>

#include "kernels/loops.h"
#include "kernels/pool/pool.h"

namespace cnn::kernels {

void global_avgpool_forward_f32_scalar(const float* x, int planes, int hw, float* y) {
  for (int p = 0; p < planes; ++p) {
    const float* r = x + static_cast<std::ptrdiff_t>(p) * hw;
    float s = 0.0f;
    for (int i = 0; i < hw; ++i) s += r[i];
    y[p] = s / static_cast<float>(hw);
  }
}
void global_avgpool_forward_f32(const float* x, int planes, int hw, float* y) {
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) y[p] = plane_sum_f32(x + p * hw, hw) / static_cast<float>(hw);
  });
}

void global_avgpool_backward_f32_scalar(const float* dy, int planes, int hw, float* dx) {
  for (int p = 0; p < planes; ++p) {
    const float g = dy[p] / static_cast<float>(hw);
    float* r = dx + static_cast<std::ptrdiff_t>(p) * hw;
    for (int i = 0; i < hw; ++i) r[i] = g;
  }
}
void global_avgpool_backward_f32(const float* dy, int planes, int hw, float* dx) {
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float g = dy[p] / static_cast<float>(hw);
      const f32x4 gv = f32x4_splat(g);
      float* r = dx + p * hw;
      lanes(
          0, hw, [&](std::size_t i) { f32x4_store(r + i, gv); }, [&](std::size_t i) { r[i] = g; });
    }
  });
}

}  // namespace cnn::kernels
