// Element-wise activations, each a pair {forward, derivative} as in the notes.
//   relu        max(0, x)
//   sigmoid     1 / (1 + e^-x)
//   tanh        tanh(x)
//   leaky_relu  x > 0 ? x : slope * x        "slope" default 0.01 (PyTorch's negative_slope)
//   elu         x > 0 ? x : alpha (e^x - 1)  "alpha" default 1.0
//   gelu        x * Phi(x), the exact erf form (PyTorch's default approximate='none')
// At a kink (x == 0) the derivative taken is that of the x <= 0 side, as PyTorch does.
// PReLU: leaky ReLU with one learned slope per channel ("weight" {C}, initialized to 0.25).
// Maxout: output channel j = max of input channels j*k ... j*k+k-1 ("k" linear pieces, made by
// the preceding conv or dense layer with k times the outputs, Goodfellow et al. 2013).
#pragma once

#include "nn/layer.h"

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

class Maxout : public Layer {
 public:
  explicit Maxout(const json& cfg);
  std::string type() const override { return "maxout"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  json config() const override { return {{"type", "maxout"}, {"k", k_}}; }

 private:
  int k_;
};

}  // namespace cnn
