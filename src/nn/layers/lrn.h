// Local response normalization (the NORM layers of AlexNet):
//   lrn: b_c = a_c / (k + alpha/size * sum_{c'} a_c'^2)^beta over the channel window
//        c' in [c - size/2, c + (size-1)/2] (zero outside), PyTorch's nn.LocalResponseNorm.
//        Defaults size 5, alpha 1e-4, beta 0.75, k 1 (AlexNet used k = 2).
// ONNX: LRN, odd sizes only (ONNX centres an even window differently from PyTorch and this engine,
// so an even size is refused).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class LRN : public Layer {
 public:
  explicit LRN(const json& cfg);
  std::string type() const override { return "lrn"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::int64_t macs() const override { return macs_; }
  json config() const override {
    return {{"type", "lrn"}, {"size", size_}, {"alpha", alpha_}, {"beta", beta_}, {"k", k_}};
  }

 private:
  int size_;
  float alpha_, beta_, k_;
  std::int64_t macs_ = 0;
  std::vector<float> den_;  // k + alpha/size * window sum, per element
};

OnnxValue to_onnx(const LRN& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
