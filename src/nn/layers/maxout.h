// Maxout: output channel j = max of input channels j*k ... j*k+k-1 ("k" linear pieces, made by
// the preceding conv or dense layer with k times the outputs, Goodfellow et al. 2013).
// ONNX: Reshape [N, C/k, k, H, W] + ReduceMax(axis 2).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

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

OnnxValue to_onnx(const Maxout& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
