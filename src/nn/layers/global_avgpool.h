// Global average pooling: {C, H, W} -> {C, 1, 1}, the mean of each map (NiN, ResNet heads).
// No parameters. ONNX: GlobalAveragePool.
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class GlobalAvgPool : public Layer {
 public:
  explicit GlobalAvgPool(const json&) {}
  std::string type() const override { return "global_avgpool"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::int64_t macs() const override { return macs_; }

 private:
  std::int64_t macs_ = 0;
};

OnnxValue to_onnx(const GlobalAvgPool& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
