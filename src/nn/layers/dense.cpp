#include "nn/layers/dense.h"

#include <algorithm>

#include "kernels/eltwise/bias.h"
#include "kernels/gemm/gemm.h"

namespace cnn {

Dense::Dense(const json& cfg) {
  if (!cfg.contains("units")) throw Error("dense layer: 'units' (the number of outputs) is required");
  units_ = static_cast<int>(json_int(cfg, "units", 0, "dense layer", 1, kMaxDim));
  use_bias_ = json_bool(cfg, "bias", true, "dense layer");
}

Shape Dense::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  in_ = static_cast<int>(shape_size(s));
  const Shape ws{static_cast<std::size_t>(units_), static_cast<std::size_t>(in_)};
  if (shape_of(weight) != ws) weight = zeros(ws);
  dweight = zeros(ws);
  if (use_bias_) {
    if (shape_of(bias) != Shape{static_cast<std::size_t>(units_)}) bias = zeros({static_cast<std::size_t>(units_)});
    dbias = zeros({static_cast<std::size_t>(units_)});
  }
  return {static_cast<std::size_t>(units_), 1, 1};
}

std::vector<Param> Dense::params() {
  std::vector<Param> p{{"weight", &weight, &dweight, ParamRole::weight, static_cast<std::size_t>(in_)}};
  if (use_bias_) p.push_back({"bias", &bias, &dbias, ParamRole::bias, static_cast<std::size_t>(in_)});
  return p;
}

void Dense::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape_of(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(units_), 1, 1});
  // y[N x U] = x[N x F] * Wᵀ
  kernels::gemm_f32(false, true, N, units_, in_, in.data(), in_, weight.data(), in_, 0.0f, y.data(), units_);
  if (use_bias_) kernels::add_bias_rows_f32(y.data(), N, units_, bias.data());
}

void Dense::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                     const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  // dW[U x F] += dyᵀ[U x N] * x[N x F]
  kernels::gemm_f32(true, false, units_, in_, N, dy.data(), units_, in.data(), in_, 1.0f, dweight.data(), in_);
  if (use_bias_) kernels::bias_grad_rows_f32(dy.data(), N, units_, dbias.data());
  if (!dx.empty() && dx[0]) {
    ensure_same_shape(*dx[0], in);
    // dx[N x F] = dy[N x U] * W[U x F]
    kernels::gemm_f32(false, false, N, in_, units_, dy.data(), units_, weight.data(), in_, 0.0f, dx[0]->data(), in_);
  }
}

Shape Flatten::infer(const std::vector<Shape>& in) { return {shape_size(single_input(in)), 1, 1}; }

void Flatten::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_shape_of(y, {in.shape()[0], in.size() / in.shape()[0], 1, 1});
  std::copy(in.data(), in.data() + in.size(), y.data());
}

void Flatten::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                       const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  ensure_same_shape(*dx[0], *x[0]);
  std::copy(dy.data(), dy.data() + dy.size(), dx[0]->data());
}

}  // namespace cnn
