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

OnnxValue to_onnx(const Activation& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const std::string t = l.type(), name = l.name();
  const json cfg = l.config();
  if (t == "relu" || t == "sigmoid" || t == "tanh")
    return {g.add_node(t == "relu" ? "Relu" : t == "sigmoid" ? "Sigmoid" : "Tanh", {in[0].name}, name), in[0].flat};
  if (t == "leaky_relu")
    return {g.add_node("LeakyRelu", {in[0].name}, name, {attr_f("alpha", cfg["slope"].get<float>())}), in[0].flat};
  if (t == "elu")
    return {g.add_node("Elu", {in[0].name}, name, {attr_f("alpha", cfg["alpha"].get<float>())}), in[0].flat};
  // gelu: x * 0.5 * (1 + erf(x / sqrt 2))
  const std::string x = in[0].name;
  const std::string d = g.add_node("Div", {x, g.add_scalar(name + ".sqrt2", std::sqrt(2.0f))}, name + "/div");
  const std::string e = g.add_node("Erf", {d}, name + "/erf");
  const std::string a = g.add_node("Add", {e, g.add_scalar(name + ".one", 1.0f)}, name + "/add");
  const std::string mx = g.add_node("Mul", {x, a}, name + "/mul");
  return {g.add_node("Mul", {mx, g.add_scalar(name + ".half", 0.5f)}, name), in[0].flat};
}

}  // namespace cnn
