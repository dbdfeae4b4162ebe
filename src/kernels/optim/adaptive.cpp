// AdaGrad, AdaDelta and RMSProp updates (adaptive.h).
#include "kernels/optim/adaptive.h"

#include <cmath>

#include "kernels/loops.h"

namespace cnn::kernels {

void adagrad_update_f32_scalar(float* w, const float* g, float* sum, std::size_t n, float lr, float wd, float eps) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    sum[i] += d * d;
    w[i] -= lr * (d / (std::sqrt(sum[i]) + eps));
  }
}
void adagrad_update_f32(float* w, const float* g, float* sum, std::size_t n, float lr, float wd, float eps) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd), ev = f32x4_splat(eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 s = f32x4_load(sum + i) + d * d;
        f32x4_store(sum + i, s);
        f32x4_store(w + i, x - lv * (d / (f32x4_sqrt(s) + ev)));
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        sum[i] += d * d;
        w[i] -= lr * (d / (std::sqrt(sum[i]) + eps));
      });
}

void adadelta_update_f32_scalar(float* w, const float* g, float* sq, float* acc, std::size_t n, float lr, float wd,
                                float rho, float c, float eps) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    sq[i] = rho * sq[i] + c * d * d;
    const float delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * d;
    acc[i] = rho * acc[i] + c * delta * delta;
    w[i] -= lr * delta;
  }
}
void adadelta_update_f32(float* w, const float* g, float* sq, float* acc, std::size_t n, float lr, float wd, float rho,
                         float c, float eps) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd), rv = f32x4_splat(rho), cv = f32x4_splat(c),
              ev = f32x4_splat(eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 s = rv * f32x4_load(sq + i) + cv * d * d;
        const f32x4 a = f32x4_load(acc + i);
        const f32x4 delta = f32x4_sqrt(a + ev) / f32x4_sqrt(s + ev) * d;
        f32x4_store(sq + i, s);
        f32x4_store(acc + i, rv * a + cv * delta * delta);
        f32x4_store(w + i, x - lv * delta);
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        sq[i] = rho * sq[i] + c * d * d;
        const float delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * d;
        acc[i] = rho * acc[i] + c * delta * delta;
        w[i] -= lr * delta;
      });
}

void rmsprop_update_f32_scalar(float* w, const float* g, float* sq, float* b, std::size_t n, float lr, float wd,
                               float a, float c, float eps, float mu) {
  if (!b) {
    for (std::size_t i = 0; i < n; ++i) {
      const float d = g[i] + wd * w[i];
      sq[i] = a * sq[i] + c * d * d;
      w[i] -= lr * (d / (std::sqrt(sq[i]) + eps));
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    sq[i] = a * sq[i] + c * d * d;
    b[i] = mu * b[i] + d / (std::sqrt(sq[i]) + eps);
    w[i] -= lr * b[i];
  }
}
void rmsprop_update_f32(float* w, const float* g, float* sq, float* b, std::size_t n, float lr, float wd, float a,
                        float c, float eps, float mu) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd), av = f32x4_splat(a), cv = f32x4_splat(c),
              ev = f32x4_splat(eps), mv = f32x4_splat(mu);
  if (!b) {
    elementwise(
        n,
        [&](std::size_t i) {
          const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
          const f32x4 s = av * f32x4_load(sq + i) + cv * d * d;
          f32x4_store(sq + i, s);
          f32x4_store(w + i, x - lv * (d / (f32x4_sqrt(s) + ev)));
        },
        [&](std::size_t i) {
          const float d = g[i] + wd * w[i];
          sq[i] = a * sq[i] + c * d * d;
          w[i] -= lr * (d / (std::sqrt(sq[i]) + eps));
        });
    return;
  }
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 s = av * f32x4_load(sq + i) + cv * d * d;
        const f32x4 bb = mv * f32x4_load(b + i) + d / (f32x4_sqrt(s) + ev);
        f32x4_store(sq + i, s);
        f32x4_store(b + i, bb);
        f32x4_store(w + i, x - lv * bb);
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        sq[i] = a * sq[i] + c * d * d;
        b[i] = mu * b[i] + d / (std::sqrt(sq[i]) + eps);
        w[i] -= lr * b[i];
      });
}

}  // namespace cnn::kernels
