// Element-wise activations, each a pair {forward, derivative} as in the notes.
//   relu        max(0, x)
//   sigmoid     1 / (1 + e^-x)
//   tanh        tanh(x)
//   leaky_relu  x > 0 ? x : slope * x        "slope" default 0.01 (PyTorch's negative_slope)
//   elu         x > 0 ? x : alpha (e^x - 1)  "alpha" default 1.0
//   gelu        x * Phi(x), the exact erf form (PyTorch's default approximate='none')
// At a kink (x == 0) the derivative taken is that of the x <= 0 side, as PyTorch does.
// ONNX: Relu, Sigmoid, Tanh, LeakyRelu(alpha = slope), Elu(alpha); gelu as
// x * 0.5 * (1 + Erf(x / sqrt 2)) (the exact form; opset 13 has no Gelu).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class Activation : public Layer {
 public:
  enum class Kind { relu, sigmoid, tanh, leaky_relu, elu, gelu };
  explicit Activation(const json& cfg);
  std::string type() const override;
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  json config() const override;

 private:
  Kind kind_;
  float a_ = 0.0f;  // slope (leaky_relu) or alpha (elu)
};

OnnxValue to_onnx(const Activation& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
