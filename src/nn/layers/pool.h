// Pooling over each channel independently (global_avgpool: global_avgpool.h).
//   maxpool2d / avgpool2d: window F x F, stride S (default F), no padding.
//     OH = floor((H - F) / S) + 1, as PyTorch, Keras, ONNX and ConvNetJS do (the windows that fit;
//     the notes' (W - F)/S + 1 when it is whole). The rows and columns no window reads are named by
//     note() (window.h). There is no ceil mode: "ceil_mode": true is refused.
// No parameters.
#pragma once

#include "nn/layer.h"

namespace cnn {

class Pool2D : public Layer {
 public:
  explicit Pool2D(const json& cfg);
  std::string type() const override { return max_ ? "maxpool2d" : "avgpool2d"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::int64_t macs() const override { return macs_; }
  std::string note() const override { return note_; }
  json config() const override;

 private:
  bool max_;
  std::string note_;
  int fh_, fw_, sh_, sw_;
  int C_ = 0, H_ = 0, W_ = 0, OH_ = 0, OW_ = 0;
  std::int64_t macs_ = 0;
};

}  // namespace cnn
