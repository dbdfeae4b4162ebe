// Where a training step's time goes, layer by layer: for the benchmarks (cnn_bench_nets --profile,
// and the browser benchmark's per-layer figures through the wasm binding Model.profile).
#pragma once

#include <functional>
#include <vector>

#include "nn/model.h"

namespace cnn {

struct StepProfile {
  std::vector<double> forward_s, backward_s;  // per node, summed over the timed steps (node 0: 0)
  double loss_s = 0, zero_s = 0, update_s = 0, total_s = 0;
  int steps = 0;  // timed steps
};

// The images and labels of training step k (both stay valid until the next call).
using BatchSource = std::function<void(int step, const Tensor*& x, const std::vector<int>*& labels)>;

// Runs the engine's training step (train_step.h: softmax cross-entropy, plain SGD with lr 0.01) with
// its phases timed and each layer's forward and backward timed by the model (Model::time_layers).
// `warmup` untimed steps first, then timed steps until both `min_steps` and `seconds` are reached.
// Any model, graphs included. Nothing is allocated per step once the layers' scratch has grown.
StepProfile profile_training(Model& m, const BatchSource& batch, int warmup, int min_steps, double seconds);

}  // namespace cnn
