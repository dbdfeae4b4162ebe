// An optimizer of the engine on one flat vector of numbers instead of a model's parameters: the Lab's
// 2-D loss surfaces, (x, y) <- step((x, y), grad f(x, y)), and the wasm class Optimizer.
//
// The vector is one param named "params" with role weight (so "weight_decay" applies to it), updated
// by make_optimizer's optimizer: the same configuration, checks, messages, update and state as in
// training. N steps on a vector equal N steps of the same optimizer on a model parameter holding the
// same values with the same gradients, bit for bit (tests/train/test_optim.cpp).
#pragma once

#include <memory>

#include "core/tensor.h"
#include "train/optim/optimizer.h"

namespace cnn {

class VectorOptimizer {
 public:
  // config: an optimizer configuration (optimizer.h); throws cnn::Error as make_optimizer does.
  explicit VectorOptimizer(const json& config);

  // One update of params (n values, in place) from grads (n values); the optimizer's state persists
  // between calls. The first call fixes the size: a later call with another n throws cnn::Error,
  // as does n == 0, before anything changes. Values need not be finite (a diverging run diverges).
  void step(float* params, const float* grads, std::size_t n);

  // The current learning rate (the configured one until set_lr). set_lr throws cnn::Error unless
  // lr is a finite number >= 0.
  void set_lr(double lr);
  float lr() const { return opt_->lr(); }
  // The configuration, every option filled in (Optimizer::config: "lr" is the configured rate).
  json config() const { return opt_->config(); }
  long steps() const { return opt_->steps(); }
  // The vector's size fixed by the first step, 0 before it.
  std::size_t size() const { return params_.empty() ? 0 : value_.size(); }

 private:
  std::unique_ptr<Optimizer> opt_;
  Tensor value_, grad_;
  std::vector<Param> params_;  // the one param, pointing at value_ and grad_
};

}  // namespace cnn
