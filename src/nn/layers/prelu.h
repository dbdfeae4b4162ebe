// PReLU: leaky ReLU with one learned slope per channel ("weight" {C}, initialized to "init", 0.25):
// y = x > 0 ? x : weight_c * x. At x == 0 the derivative is that of the x <= 0 side.
// ONNX: PRelu, slope [C, 1, 1] (or [C] after a dense layer).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class PReLU : public Layer {
 public:
  explicit PReLU(const json& cfg);
  std::string type() const override { return "prelu"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::vector<Param> params() override { return {{"weight", &weight, &dweight, ParamRole::other, 0}}; }
  json config() const override { return {{"type", "prelu"}, {"init", init_}}; }
  Tensor weight, dweight;

 private:
  float init_;
};

OnnxValue to_onnx(const PReLU& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
