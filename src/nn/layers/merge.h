// Layers with several inputs, which make a model a directed acyclic graph.
//   add:    element-wise sum of 2 or more inputs of the same shape (ResNet's residual add).
//   concat: the inputs stacked along channels; all must share H and W (Inception).
#pragma once

#include "nn/layer.h"

namespace cnn {

class Add : public Layer {
 public:
  explicit Add(const json&) {}
  std::string type() const override { return "add"; }
  std::pair<int, int> arity() const override { return {2, 64}; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::int64_t macs() const override { return macs_; }

 private:
  std::int64_t macs_ = 0;
};

class Concat : public Layer {
 public:
  explicit Concat(const json&) {}
  std::string type() const override { return "concat"; }
  std::pair<int, int> arity() const override { return {2, 64}; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
};

}  // namespace cnn
