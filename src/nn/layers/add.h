// Add: the element-wise sum of 2 or more inputs of the same shape (ResNet's residual add).
// ONNX: Add (Sum for 3 or more inputs).
#pragma once

#include "nn/layers/registry.h"

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

OnnxValue to_onnx(const Add& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
