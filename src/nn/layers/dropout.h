// Inverted dropout: in training each value is kept with probability 1 - p and scaled by
// 1 / (1 - p), so inference is the identity (no rescaling at test time).
// The mask comes from the layer's own seeded generator; fix_mask(true) keeps the last mask
// for every later forward (used by the gradient check, which needs a fixed function).
// ONNX: nothing (the identity at inference).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class Dropout : public Layer {
 public:
  explicit Dropout(const json& cfg);
  std::string type() const override { return "dropout"; }
  Shape infer(const std::vector<Shape>& in) override { return single_input(in); }
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  json config() const override { return {{"type", "dropout"}, {"p", p_}}; }
  void set_seed(std::uint32_t s) override { rng_.seed(s); }
  std::string rng_state() const override { return rng_.state(); }
  void set_rng_state(const std::string& s) override { rng_.set_state(s); }
  void fix_mask(bool on) { fixed_ = on; }
  Rng& rng() { return rng_; }

 private:
  float p_;
  bool fixed_ = false, last_training_ = false;
  Rng rng_;
  std::vector<float> mask_;  // 0 or 1/(1-p)
};

OnnxValue to_onnx(const Dropout& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
