// One training step, written once. Trainer::step, the wasm binding Model.trainStep, the benchmark
// (bench/bench_nets.cpp) and the per-layer profile (profile.h) all call it:
//
//   zero the gradients -> forward (training mode) -> loss and dL/doutput -> backward
//   -> the regularization penalty and its gradient -> check -> the optimizer's update of `params`
//
// compute_gradients is the same step without the update (the wasm binding Model.backward): every
// gradient of `params` and every layer's dL/d(output) (Model::gradient) is left for reading. A
// training step leaves them too: nothing clears them until the next step's zero_grad (parameters)
// and backward (layers).
//
// The update is skipped, and the weights stay those of the last good step, when the loss or any
// gradient of `params` is not finite or the loss exceeds max_loss (the trainer reports divergence).
// Nothing is allocated once the model's scratch has grown (the first step).
#pragma once

#include <functional>
#include <limits>
#include <vector>

#include "nn/loss.h"
#include "nn/model.h"
#include "train/optim/optimizer.h"

namespace cnn {

// Seconds per phase, added to by each step that is given one.
struct StepTimes {
  double zero = 0, forward = 0, loss = 0, backward = 0, update = 0, total = 0;
};

struct StepOptions {
  LossKind loss = LossKind::softmax_cross_entropy;
  Regularization reg;
  bool training = true;  // the forward pass's mode (dropout, batch statistics); compute_gradients may turn it off
  float max_loss = std::numeric_limits<float>::infinity();
  // The model's output after the forward pass, before backward (the trainer counts right answers).
  std::function<void(const Tensor& output)> on_output;
  StepTimes* times = nullptr;  // when set, the phases' seconds are added (and Model's per-layer times)
};

struct StepResult {
  float loss = 0;        // the data loss plus the penalty
  bool finite = true;    // the loss and every gradient of params are finite
  bool updated = false;  // the optimizer stepped
};

StepResult train_step(Model& m, const Tensor& x, const std::vector<int>& labels, const std::vector<Param>& params,
                      Optimizer& opt, Tensor& grad, const StepOptions& o = {});

// train_step up to the check, without the update (r.updated is false). grad receives dL/doutput.
StepResult compute_gradients(Model& m, const Tensor& x, const std::vector<int>& labels,
                             const std::vector<Param>& params, Tensor& grad, const StepOptions& o = {});

}  // namespace cnn
