#include "train/profile.h"

#include <chrono>

#include "train/train_step.h"

namespace cnn {

StepProfile profile_training(Model& m, const BatchSource& batch, int warmup, int min_steps, double seconds) {
  auto now = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  StepProfile p;
  // The engine's one training step (train_step.h) with plain SGD, timed per phase and per layer.
  const std::unique_ptr<Optimizer> sgd = make_optimizer({{"type", "sgd"}, {"lr", 0.01}});
  const std::vector<Param>& params = m.params();
  Tensor grad;
  StepTimes times;
  StepOptions timed;
  timed.times = &times;
  std::vector<double> forward_s, backward_s;
  auto step = [&](int k, bool measure) {
    const Tensor* x = nullptr;
    const std::vector<int>* labels = nullptr;
    batch(k, x, labels);
    train_step(m, *x, *labels, params, *sgd, grad, measure ? timed : StepOptions{});
  };
  int k = 0;
  for (; k < warmup; ++k) step(k, false);
  m.time_layers(&forward_s, &backward_s);
  const double start = now();
  try {
    while (p.steps < min_steps || now() - start < seconds) step(k++, true), ++p.steps;
  } catch (...) {
    m.time_layers(nullptr, nullptr);
    throw;
  }
  m.time_layers(nullptr, nullptr);
  p.forward_s = forward_s;
  p.backward_s = backward_s;
  p.zero_s = times.zero;
  p.loss_s = times.loss;
  p.update_s = times.update;
  p.total_s = times.total;
  return p;
}

}  // namespace cnn
