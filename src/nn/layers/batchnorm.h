// Batch normalization over each channel (per channel over N, H, W; after a dense layer H = W = 1).
//   training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, with the batch's mean and
//              biased variance; the running averages move as PyTorch's do:
//              running = (1 - momentum) * running + momentum * batch  (momentum default 0.1;
//              Keras writes the same rule with momentum 0.9 on the other side), and running_var
//              takes the UNBIASED batch variance.
//   inference: the running averages instead of the batch's.
// weight (gamma) {C} = 1, bias (beta) {C} = 0 initially; buffers running_mean {C} = 0,
// running_var {C} = 1. Folding into the preceding layer (when its kind has a bn_fold rule,
// registry.h): Model::fold_batchnorm.
// ONNX: BatchNormalization (inference: the running averages).
#pragma once

#include "nn/layers/registry.h"

namespace cnn {

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(const json& cfg);
  std::string type() const override { return "batchnorm"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) override;
  void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                const std::vector<Tensor*>& dx) override;
  std::vector<Param> params() override {
    return {{"weight", &weight, &dweight, ParamRole::other, 0}, {"bias", &bias, &dbias, ParamRole::other, 0}};
  }
  std::vector<std::pair<std::string, Tensor*>> buffers() override {
    return {{"running_mean", &running_mean}, {"running_var", &running_var}};
  }
  std::int64_t macs() const override { return macs_; }
  json config() const override { return {{"type", "batchnorm"}, {"momentum", momentum_}, {"eps", eps_}}; }

  Tensor weight, bias, dweight, dbias, running_mean, running_var;
  float eps() const { return eps_; }

 private:
  float momentum_, eps_;
  bool last_training_ = false;
  std::int64_t macs_ = 0;
  std::vector<float> xhat_, rstd_;
};

OnnxValue to_onnx(const BatchNorm& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
