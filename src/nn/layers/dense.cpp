#include "nn/layers/dense.h"

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

OnnxValue to_onnx(const Dense& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const std::string& name = l.name();
  const OnnxValue x = g.as2d(in[0], name);
  std::vector<std::string> ins{x.name, g.add_tensor(name + ".weight", l.weight)};
  if (l.has_bias()) ins.push_back(g.add_tensor(name + ".bias", l.bias));
  return {g.add_node("Gemm", ins, name, {attr_i("transB", 1)}), true};
}

BnFoldTarget bn_fold(Dense& l) { return {&l.weight, l.has_bias() ? &l.bias : nullptr}; }

}  // namespace cnn
