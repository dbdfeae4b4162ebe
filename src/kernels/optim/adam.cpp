// Adam and RAdam updates (adam.h).
#include "kernels/optim/adam.h"

#include <cmath>

#include "kernels/loops.h"

namespace cnn::kernels {

void adam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd,
                            const AdamCoeffs& k) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    m[i] = k.b1 * m[i] + k.c1 * d;
    v[i] = k.b2 * v[i] + k.c2 * d * d;
    w[i] -= k.step * (m[i] / (std::sqrt(v[i]) / k.bc2s + k.eps));
  }
}
void adam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k) {
  const f32x4 wv = f32x4_splat(wd), b1 = f32x4_splat(k.b1), c1 = f32x4_splat(k.c1), b2 = f32x4_splat(k.b2),
              c2 = f32x4_splat(k.c2), st = f32x4_splat(k.step), bc = f32x4_splat(k.bc2s), ev = f32x4_splat(k.eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 mm = b1 * f32x4_load(m + i) + c1 * d;
        const f32x4 vv = b2 * f32x4_load(v + i) + c2 * d * d;
        f32x4_store(m + i, mm);
        f32x4_store(v + i, vv);
        f32x4_store(w + i, x - st * (mm / (f32x4_sqrt(vv) / bc + ev)));
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        m[i] = k.b1 * m[i] + k.c1 * d;
        v[i] = k.b2 * v[i] + k.c2 * d * d;
        w[i] -= k.step * (m[i] / (std::sqrt(v[i]) / k.bc2s + k.eps));
      });
}

void radam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                             bool rectified) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    m[i] = k.b1 * m[i] + k.c1 * d;
    v[i] = k.b2 * v[i] + k.c2 * d * d;
    if (rectified)
      w[i] -= k.step * (m[i] / (std::sqrt(v[i]) + k.eps));
    else
      w[i] -= k.step * m[i];
  }
}
void radam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                      bool rectified) {
  const f32x4 wv = f32x4_splat(wd), b1 = f32x4_splat(k.b1), c1 = f32x4_splat(k.c1), b2 = f32x4_splat(k.b2),
              c2 = f32x4_splat(k.c2), st = f32x4_splat(k.step), ev = f32x4_splat(k.eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 mm = b1 * f32x4_load(m + i) + c1 * d;
        const f32x4 vv = b2 * f32x4_load(v + i) + c2 * d * d;
        f32x4_store(m + i, mm);
        f32x4_store(v + i, vv);
        f32x4_store(w + i, rectified ? x - st * (mm / (f32x4_sqrt(vv) + ev)) : x - st * mm);
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        m[i] = k.b1 * m[i] + k.c1 * d;
        v[i] = k.b2 * v[i] + k.c2 * d * d;
        w[i] -= rectified ? k.step * (m[i] / (std::sqrt(v[i]) + k.eps)) : k.step * m[i];
      });
}

}  // namespace cnn::kernels
