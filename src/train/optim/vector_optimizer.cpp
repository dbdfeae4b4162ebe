#include "train/optim/vector_optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "train/optim/options.h"

namespace cnn {

VectorOptimizer::VectorOptimizer(const json& config) : opt_(make_optimizer(config)) {}

void VectorOptimizer::step(float* params, const float* grads, std::size_t n) {
  if (n == 0) throw Error(opt_->name() + " optimizer: step needs at least one value");
  if (params_.empty()) {
    value_ = zeros({n});
    grad_ = zeros({n});
    params_.push_back({"params", &value_, &grad_, ParamRole::weight, n});
  } else if (n != value_.size()) {
    throw Error(opt_->name() + " optimizer: step got " + std::to_string(n) + " values, but its state is for " +
                std::to_string(value_.size()) + " (the first step's size); use a new optimizer for another size");
  }
  std::copy(params, params + n, value_.data());
  std::copy(grads, grads + n, grad_.data());
  opt_->step(params_);
  std::copy(value_.data(), value_.data() + n, params);
}

void VectorOptimizer::set_lr(double lr) {
  optim_detail::require(std::isfinite(lr) && lr >= 0.0 && lr <= std::numeric_limits<float>::max(),
                        opt_->name() + " optimizer", "lr", "a finite number >= 0", lr);
  opt_->set_lr(static_cast<float>(lr));
}

}  // namespace cnn
