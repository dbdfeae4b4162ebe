#include "nn/layers/dropout.h"

namespace cnn {

Dropout::Dropout(const json& cfg) {
  p_ = static_cast<float>(json_num(cfg, "p", 0.5, "dropout layer"));
  if (!(p_ >= 0.0f && p_ < 1.0f)) throw Error("dropout layer: p (the drop probability) must be in [0, 1)");
}

void Dropout::forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  last_training_ = training;
  if (!training || p_ == 0.0f) {
    std::copy(in.data(), in.data() + in.size(), y.data());
    return;
  }
  if (!(fixed_ && mask_.size() == in.size())) {
    mask_.resize(in.size());
    const float keep = 1.0f / (1.0f - p_);
    for (float& m : mask_) m = rng_.uniform() < p_ ? 0.0f : keep;
  }
  for (std::size_t i = 0; i < in.size(); ++i) y.data()[i] = in.data()[i] * mask_[i];
}

void Dropout::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                       const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  ensure_same_shape(*dx[0], *x[0]);
  if (!last_training_ || p_ == 0.0f) {
    std::copy(dy.data(), dy.data() + dy.size(), dx[0]->data());
    return;
  }
  for (std::size_t i = 0; i < dy.size(); ++i) dx[0]->data()[i] = dy.data()[i] * mask_[i];
}

OnnxValue to_onnx(const Dropout&, OnnxSink&, const std::vector<OnnxValue>& in, const Shape&) { return in[0]; }

}  // namespace cnn
