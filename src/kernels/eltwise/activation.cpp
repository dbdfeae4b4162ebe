// Activations (activation.h): f32x4 bodies with scalar tails over parallel ranges.
#include "kernels/eltwise/activation.h"

#include "kernels/loops.h"

namespace cnn::kernels {

void relu_forward_f32_scalar(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void relu_forward_f32(const float* x, float* y, std::size_t n) {
  const f32x4 z = f32x4_zero();
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 v = f32x4_load(x + i);
        f32x4_store(y + i, f32x4_select(v > z, v, z));
      },
      [&](std::size_t i) { y[i] = x[i] > 0.0f ? x[i] : 0.0f; });
}

void relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
void relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n) {
  const f32x4 z = f32x4_zero();
  elementwise(
      n, [&](std::size_t i) { f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, f32x4_load(dy + i), z)); },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : 0.0f; });
}

void leaky_relu_forward_f32_scalar(const float* x, float* y, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : a * x[i];
}
void leaky_relu_forward_f32(const float* x, float* y, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 v = f32x4_load(x + i);
        f32x4_store(y + i, f32x4_select(v > z, v, av * v));
      },
      [&](std::size_t i) { y[i] = x[i] > 0.0f ? x[i] : a * x[i]; });
}

void leaky_relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i];
}
void leaky_relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 g = f32x4_load(dy + i);
        f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, g, av * g));
      },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i]; });
}

void sigmoid_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
void sigmoid_backward_f32(const float* y, const float* dy, float* dx, std::size_t n) {
  const f32x4 one = f32x4_splat(1.0f);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 q = f32x4_load(y + i);
        f32x4_store(dx + i, f32x4_load(dy + i) * q * (one - q));
      },
      [&](std::size_t i) { dx[i] = dy[i] * y[i] * (1.0f - y[i]); });
}

void tanh_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
void tanh_backward_f32(const float* y, const float* dy, float* dx, std::size_t n) {
  const f32x4 one = f32x4_splat(1.0f);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 q = f32x4_load(y + i);
        f32x4_store(dx + i, f32x4_load(dy + i) * (one - q * q));
      },
      [&](std::size_t i) { dx[i] = dy[i] * (1.0f - y[i] * y[i]); });
}

void elu_backward_f32_scalar(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + a);
}
void elu_backward_f32(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 g = f32x4_load(dy + i);
        f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, g, g * (f32x4_load(y + i) + av)));
      },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + a); });
}
}  // namespace cnn::kernels
