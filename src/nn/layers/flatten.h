// Flatten: {C, H, W} -> {C*H*W, 1, 1} (row-major, PyTorch's x.flatten(1)); no parameters.
// ONNX: Flatten(axis 1), nothing when the input is already a vector.
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class Flatten : public Layer {
 public:
  explicit Flatten(const json&) {}
  std::string type() const override { return "flatten"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
};

OnnxValue to_onnx(const Flatten& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
