// Per-sample normalizations (no running statistics; the same in training and inference), one class
// for two kinds:
//   layernorm: each sample normalized over all of {C, H, W}; weight and bias of shape {C, H, W}
//              (PyTorch's nn.LayerNorm([C, H, W]) with elementwise affine).
//   groupnorm: each sample's channels split into "groups" groups, each normalized over its
//              channels and H, W; weight and bias {C} (nn.GroupNorm).
//   Both use the biased variance and "eps" (default 1e-5) inside the square root.
// ONNX: ReduceMean / Sub / Mul / Sqrt / Div subgraphs (opset 13 has neither LayerNormalization nor
// GroupNormalization); groupnorm via Reshape [N, G, -1] and back.
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class GroupedNorm : public Layer {
 public:
  explicit GroupedNorm(const json& cfg);
  std::string type() const override { return layer_ ? "layernorm" : "groupnorm"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::vector<Param> params() override {
    return {{"weight", &weight, &dweight, ParamRole::other, 0}, {"bias", &bias, &dbias, ParamRole::other, 0}};
  }
  std::int64_t macs() const override { return macs_; }
  json config() const override;
  Tensor weight, bias, dweight, dbias;

 private:
  bool layer_;
  int groups_ = 1;
  float eps_;
  std::size_t C_ = 0, HW_ = 0;
  std::int64_t macs_ = 0;
  std::vector<float> xhat_, rstd_;
  // Index of the affine parameter for element i of a sample.
  std::size_t affine_index(std::size_t i) const { return layer_ ? i : i / HW_; }
};

OnnxValue to_onnx(const GroupedNorm& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
