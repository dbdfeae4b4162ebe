// Concat: the inputs stacked along channels; all must share H and W (Inception).
// ONNX: Concat(axis 1).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

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

OnnxValue to_onnx(const Concat& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
