// SGD updates (sgd.h).
#include "kernels/optim/sgd.h"

#include "kernels/loops.h"

namespace cnn::kernels {

void sgd_update_f32_scalar(float* w, const float* g, std::size_t n, float lr, float wd) {
  for (std::size_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
}
void sgd_update_f32(float* w, const float* g, std::size_t n, float lr, float wd) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i);
        f32x4_store(w + i, x - lv * (f32x4_load(g + i) + wv * x));
      },
      [&](std::size_t i) { w[i] -= lr * (g[i] + wd * w[i]); });
}

void sgd_momentum_update_f32_scalar(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                                    bool nesterov) {
  if (nesterov) {
    for (std::size_t i = 0; i < n; ++i) {
      const float d = g[i] + wd * w[i];
      b[i] = mu * b[i] + d;
      w[i] -= lr * (d + mu * b[i]);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      b[i] = mu * b[i] + (g[i] + wd * w[i]);
      w[i] -= lr * b[i];
    }
  }
}
void sgd_momentum_update_f32(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                             bool nesterov) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd), mv = f32x4_splat(mu);
  auto one = [&](std::size_t i) {
    const float d = g[i] + wd * w[i];
    b[i] = mu * b[i] + d;
    w[i] -= lr * (nesterov ? d + mu * b[i] : b[i]);
  };
  if (nesterov)
    elementwise(
        n,
        [&](std::size_t i) {
          const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
          const f32x4 bb = mv * f32x4_load(b + i) + d;
          f32x4_store(b + i, bb);
          f32x4_store(w + i, x - lv * (d + mv * bb));
        },
        one);
  else
    elementwise(
        n,
        [&](std::size_t i) {
          const f32x4 x = f32x4_load(w + i);
          const f32x4 bb = mv * f32x4_load(b + i) + (f32x4_load(g + i) + wv * x);
          f32x4_store(b + i, bb);
          f32x4_store(w + i, x - lv * bb);
        },
        one);
}
}  // namespace cnn::kernels
