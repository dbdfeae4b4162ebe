// Conv2D: K filters of FH x FW over C input channels, stride S, zero padding P, optional groups.
//   x {N, C, H, W} -> y {N, K, OH, OW},  OH = floor((H - FH + 2*PH) / SH) + 1 (likewise OW), as
// PyTorch, Keras and ONNX compute it. When the division is not exact (the notes' 7x7 input, 3x3
// filter, stride 3 case) the last rows or columns are never read; note() says which (window.h).
// weight {K, C/groups, FH, FW}, bias {K} (PyTorch's layout). Parameters: F*F*C/groups*K + K.
// depthwise_conv2d is the same layer with groups = C and K = C * multiplier (MobileNet).
#pragma once

#include "kernels/conv/conv2d.h"
#include "nn/layer.h"

namespace cnn {

class Conv2D : public Layer {
 public:
  explicit Conv2D(const json& cfg);
  std::string type() const override { return depthwise_ ? "depthwise_conv2d" : "conv2d"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::vector<Param> params() override;
  std::int64_t macs() const override { return macs_; }
  std::string note() const override { return note_; }
  json config() const override;

  Tensor weight, bias, dweight, dbias;
  bool has_bias() const { return use_bias_; }
  int groups() const { return groups_; }

 private:
  int filters_ = 0, fh_, fw_, sh_, sw_, ph_, pw_, groups_ = 1, multiplier_ = 1;
  bool use_bias_ = true, depthwise_ = false;
  kernels::ConvGeom g_{};  // per group: g_.C = channels per group
  std::int64_t macs_ = 0;
  std::string note_;
  int out_size(const char* axis, int in, int f, int s, int p, const Shape& input) const;
  kernels::Conv2dWorkspace ws_;  // the convolution's buffers, grown once (kernels/conv/conv2d.h)
};

}  // namespace cnn
