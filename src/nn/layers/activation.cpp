#include "nn/layers/activation.h"

#include <cmath>

#include "core/parallel.h"
#include "kernels/eltwise/activation.h"

namespace cnn {

namespace {
using Kind = Activation::Kind;
const std::pair<const char*, Kind> kKinds[] = {{"relu", Kind::relu}, {"sigmoid", Kind::sigmoid},
                                               {"tanh", Kind::tanh}, {"leaky_relu", Kind::leaky_relu},
                                               {"elu", Kind::elu},   {"gelu", Kind::gelu}};
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
}  // namespace

Activation::Activation(const json& cfg) {
  const std::string t = cfg.value("type", "");
  bool found = false;
  for (auto& [n, k] : kKinds)
    if (t == n) kind_ = k, found = true;
  if (!found) throw Error("unknown activation '" + t + "'");
  if (kind_ == Kind::leaky_relu) a_ = static_cast<float>(json_num(cfg, "slope", 0.01, "leaky_relu layer"));
  if (kind_ == Kind::elu) a_ = static_cast<float>(json_num(cfg, "alpha", 1.0, "elu layer"));
}

std::string Activation::type() const {
  for (auto& [n, k] : kKinds)
    if (k == kind_) return n;
  return "?";
}

json Activation::config() const {
  json j{{"type", type()}};
  if (kind_ == Kind::leaky_relu) j["slope"] = a_;
  if (kind_ == Kind::elu) j["alpha"] = a_;
  return j;
}

Shape Activation::infer(const std::vector<Shape>& in) { return single_input(in); }

void Activation::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const float* p = in.data();
  float* q = y.data();
  const std::size_t n = in.size();
  const float a = a_;
  // relu and leaky_relu: f32x4 kernels. The others need exp / tanh / erf per element (no vector
  // libm): scalar, but split over the thread pool (element-wise, so identical for any thread count).
  constexpr std::size_t grain = 4096;
  switch (kind_) {
    case Kind::relu:
      kernels::relu_forward_f32(p, q, n);
      break;
    case Kind::leaky_relu:
      kernels::leaky_relu_forward_f32(p, q, n, a);
      break;
    case Kind::sigmoid:
      parallel_ranges(n, grain, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) q[i] = 1.0f / (1.0f + std::exp(-p[i]));
      });
      break;
    case Kind::tanh:
      parallel_ranges(n, grain, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) q[i] = std::tanh(p[i]);
      });
      break;
    case Kind::elu:
      parallel_ranges(n, grain, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) q[i] = p[i] > 0.0f ? p[i] : a * std::expm1(p[i]);
      });
      break;
    case Kind::gelu:
      parallel_ranges(n, grain, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) q[i] = 0.5f * p[i] * (1.0f + std::erf(p[i] * kInvSqrt2));
      });
      break;
  }
}

void Activation::backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                          const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  ensure_same_shape(*dx[0], in);
  const float *p = in.data(), *q = y.data(), *g = dy.data();
  float* d = dx[0]->data();
  const std::size_t n = in.size();
  const float a = a_;
  switch (kind_) {
    case Kind::relu:
      kernels::relu_backward_f32(p, g, d, n);
      break;
    case Kind::sigmoid:
      kernels::sigmoid_backward_f32(q, g, d, n);
      break;
    case Kind::tanh:
      kernels::tanh_backward_f32(q, g, d, n);
      break;
    case Kind::leaky_relu:
      kernels::leaky_relu_backward_f32(p, g, d, n, a);
      break;
    case Kind::elu:
      kernels::elu_backward_f32(p, q, g, d, n, a);
      break;
    case Kind::gelu:
      parallel_ranges(n, 4096, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
          const float cdf = 0.5f * (1.0f + std::erf(p[i] * kInvSqrt2));
          const float pdf = kInvSqrt2Pi * std::exp(-0.5f * p[i] * p[i]);
          d[i] = g[i] * (cdf + p[i] * pdf);
        }
      });
      break;
  }
}

PReLU::PReLU(const json& cfg) { init_ = static_cast<float>(json_num(cfg, "init", 0.25, "prelu layer")); }

Shape PReLU::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  if (shape_of(weight) != Shape{s[0]}) {
    weight = zeros({s[0]});
    weight.fill(init_);
  }
  dweight = zeros({s[0]});
  return s;
}

void PReLU::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c) {
      const float a = weight.data()[c];
      const float* p = in.data() + (n * C + c) * HW;
      float* q = y.data() + (n * C + c) * HW;
      for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > 0.0f ? p[i] : a * p[i];
    }
}

void PReLU::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                     const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  Tensor* d = dx.empty() ? nullptr : dx[0];
  if (d) ensure_same_shape(*d, in);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c) {
      const float a = weight.data()[c];
      const float* p = in.data() + (n * C + c) * HW;
      const float* g = dy.data() + (n * C + c) * HW;
      float da = 0.0f;
      for (std::size_t i = 0; i < HW; ++i)
        if (p[i] <= 0.0f) da += g[i] * p[i];
      dweight.data()[c] += da;
      if (d) {
        float* q = d->data() + (n * C + c) * HW;
        for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > 0.0f ? g[i] : a * g[i];
      }
    }
}

Maxout::Maxout(const json& cfg) {
  k_ = static_cast<int>(json_int(cfg, "k", 2, "maxout layer", 1, kMaxDim));
  if (k_ < 1) throw Error("maxout layer: k (the number of linear pieces) must be at least 1");
}

Shape Maxout::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  if (s[0] % static_cast<std::size_t>(k_) != 0)
    fail("input channels " + std::to_string(s[0]) + " are not divisible by k = " + std::to_string(k_) + " (input " +
         shape_str(s) + ")");
  return {s[0] / static_cast<std::size_t>(k_), s[1], s[2]};
}

void Maxout::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const std::size_t k = static_cast<std::size_t>(k_), Co = C / k;
  ensure_shape_of(y, {N, Co, in.shape()[2], in.shape()[3]});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Co; ++j) {
      float* q = y.data() + (n * Co + j) * HW;
      const float* p0 = in.data() + (n * C + j * k) * HW;
      for (std::size_t i = 0; i < HW; ++i) q[i] = p0[i];
      for (std::size_t m = 1; m < k; ++m) {
        const float* p = p0 + m * HW;
        for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > q[i] ? p[i] : q[i];
      }
    }
}

void Maxout::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const std::size_t k = static_cast<std::size_t>(k_), Co = C / k;
  ensure_same_shape(*dx[0], in);
  dx[0]->fill(0.0f);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Co; ++j) {
      const float* p0 = in.data() + (n * C + j * k) * HW;
      float* d0 = dx[0]->data() + (n * C + j * k) * HW;
      const float* g = dy.data() + (n * Co + j) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        std::size_t best = 0;
        for (std::size_t m = 1; m < k; ++m)
          if (p0[m * HW + i] > p0[best * HW + i]) best = m;
        d0[best * HW + i] += g[i];
      }
    }
}

}  // namespace cnn
