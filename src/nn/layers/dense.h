// Dense (fully connected): x {N, C, H, W} is read as N rows of F = C*H*W features (row-major,
// PyTorch's x.flatten(1)); y {N, U, 1, 1} = x W^T + b with weight {U, F}, bias {U}
// (nn.Linear's layout). Parameters: U*F + U.
// ONNX: Flatten (when the input is 4-D) + Gemm(transB = 1). A following batch norm folds into
// weight and bias.
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class Dense : public Layer {
 public:
  explicit Dense(const json& cfg);
  std::string type() const override { return "dense"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::vector<Param> params() override;
  std::int64_t macs() const override { return static_cast<std::int64_t>(units_) * in_; }
  json config() const override { return {{"type", "dense"}, {"units", units_}, {"bias", use_bias_}}; }

  Tensor weight, bias, dweight, dbias;
  bool has_bias() const { return use_bias_; }

 private:
  int units_;
  int in_ = 0;
  bool use_bias_;
};

OnnxValue to_onnx(const Dense& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);
BnFoldTarget bn_fold(Dense& l);

}  // namespace cnn
