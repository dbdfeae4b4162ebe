// Batch-norm planes (batchnorm.h): f32x4 bodies with scalar tails.
#include "kernels/eltwise/batchnorm.h"

#include "kernels/loops.h"

namespace cnn::kernels {

void bn_forward_plane_f32_scalar(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta,
                                 float* xhat, float* y) {
  for (std::size_t i = 0; i < n; ++i) {
    const float h = (x[i] - mean) * rstd;
    xhat[i] = h;
    y[i] = gamma * h + beta;
  }
}
void bn_forward_plane_f32(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta, float* xhat,
                          float* y) {
  const f32x4 m = f32x4_splat(mean), r = f32x4_splat(rstd), gv = f32x4_splat(gamma), bv = f32x4_splat(beta);
  lanes(
      0, n,
      [&](std::size_t i) {
        const f32x4 h = (f32x4_load(x + i) - m) * r;
        f32x4_store(xhat + i, h);
        f32x4_store(y + i, gv * h + bv);
      },
      [&](std::size_t i) {
        const float h = (x[i] - mean) * rstd;
        xhat[i] = h;
        y[i] = gamma * h + beta;
      });
}

void bn_backward_plane_f32_scalar(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx,
                                  float* dx) {
  if (!xhat) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = k * dy[i];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) dx[i] = k * (dy[i] - mg - xhat[i] * mgx);
}
void bn_backward_plane_f32(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx, float* dx) {
  const f32x4 kv = f32x4_splat(k), mgv = f32x4_splat(mg), mgxv = f32x4_splat(mgx);
  if (!xhat) {
    lanes(
        0, n, [&](std::size_t i) { f32x4_store(dx + i, kv * f32x4_load(dy + i)); },
        [&](std::size_t i) { dx[i] = k * dy[i]; });
    return;
  }
  lanes(
      0, n, [&](std::size_t i) { f32x4_store(dx + i, kv * (f32x4_load(dy + i) - mgv - f32x4_load(xhat + i) * mgxv)); },
      [&](std::size_t i) { dx[i] = k * (dy[i] - mg - xhat[i] * mgx); });
}
}  // namespace cnn::kernels
