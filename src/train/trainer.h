// The mini-batch training loop of the notes:
//   loop: sample a batch, forward, loss (+ regularization), backward, update.
// By epochs (iterations_per_epoch = floor(num_train / batch_size), the remainder of a shuffled
// epoch is left for the next shuffle) or by a fixed number of iterations. Validation after every
// epoch; early stopping on validation accuracy (the best weights are restored); progress and epoch
// events for the command line and the web page; checkpoints that resume bit for bit.
//
// A loss or gradient that becomes NaN or infinite stops training before the update is applied:
// the weights stay those of the last good iteration, and message() says what happened.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "train/optim/optimizer.h"
#include "train/optim/schedule.h"
#include "train/train_step.h"

namespace cnn {

struct TrainConfig {
  int epochs = 1;
  long iterations = 0;  // > 0: exactly this many mini-batches (epochs is then ignored)
  int batch = 64;
  json optimizer = {{"type", "sgd"}, {"lr", 0.01}};
  json schedule = {{"type", "constant"}};
  LossKind loss = LossKind::softmax_cross_entropy;
  Regularization reg;
  AugmentConfig augment;
  std::uint32_t seed = 1;  // shuffling and augmentation
  int patience = 0;        // early stopping after this many epochs without a better validation accuracy; 0 = off
  // Transfer learning: names of layers whose parameters are not updated (the optimizer and the
  // regularization never see them; their gradients are still computed). Batch-norm running
  // averages of a frozen layer still move in training mode, as in PyTorch with requires_grad off.
  std::vector<std::string> freeze;

  // {"epochs", "iterations", "batch", "optimizer", "schedule", "loss", "l1", "l2", "augment", "seed", "patience",
  //  "freeze" (an array of layer names; written only when not empty)}
  static TrainConfig from_json(const json& j);
  json to_json() const;
};

struct Evaluation {
  std::size_t count = 0;
  double loss = 0.0, accuracy = 0.0;
  std::vector<std::vector<int>> confusion;  // [true class][predicted class]
  std::vector<double> per_class;            // accuracy of each true class
  std::vector<std::size_t> wrong;           // indices of misclassified samples
  std::vector<int> predicted;               // prediction of every sample
  json to_json(bool with_predictions = false) const;
};
// Inference-mode evaluation of a whole dataset.
Evaluation evaluate(Model& m, const Dataset& d, const Preprocess& pre, int batch = 256,
                    LossKind loss = LossKind::softmax_cross_entropy);

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0, val_loss = 0, val_accuracy = 0;
  bool has_validation = false;
  double seconds = 0, images_per_s = 0, lr = 0;
  json to_json() const;
};

struct Progress {
  long iteration = 0, total_iterations = 0;  // completed, planned
  int epoch = 1, epochs = 1;
  long iterations_per_epoch = 0;
  float loss = 0, lr = 0;
  double smoothed_loss = 0, images_per_s = 0, eta_seconds = 0;
  // {"iteration", "total_iterations", "epoch", "epochs", "iterations_per_epoch", "loss", "smoothed_loss",
  //  "lr", "images_per_s", "eta_seconds"}
  json to_json() const;
};

class Trainer {
 public:
  enum class Status { running, finished, early_stopped, diverged };

  // The model, data and preprocessing must outlive the trainer. validation may be null or empty.
  Trainer(Model& model, const Dataset& train, const Dataset* validation, const Preprocess& pre, TrainConfig cfg);
  ~Trainer();

  std::function<void(const Progress&)> on_progress;  // after every iteration
  std::function<void(const EpochRecord&)> on_epoch;  // after every epoch (with validation)

  // Runs up to max_steps iterations (all remaining when < 0). Returns true while work remains.
  bool run(long max_steps = -1);
  // The same, also stopping once max_seconds have passed (checked after each iteration; no limit
  // when <= 0): a time slice for a caller that must stay responsive (the web page's worker).
  bool run_for(double max_seconds, long max_steps = -1);
  Status status() const { return status_; }
  // "running", "finished", "early_stopped" or "diverged".
  static const char* status_name(Status s);
  // As of the last iteration (what on_progress last got); before any, the position and plan.
  const Progress& progress() const { return progress_; }
  const std::string& message() const { return message_; }
  long iteration() const { return iteration_; }
  long total_iterations() const { return total_; }
  int epoch() const { return epoch_; }
  const std::vector<EpochRecord>& history() const { return history_; }
  const TrainConfig& config() const { return cfg_; }
  Optimizer& optimizer() { return *opt_; }

  // Everything needed to continue exactly: position, optimizer state, RNG states, history, best
  // weights for early stopping. Goes under "training" in a model file (serialize.h).
  json checkpoint() const;
  // Restores a checkpoint taken from a trainer with the same configuration and data.
  void restore(const json& training);

 private:
  void start_epoch();
  void end_epoch();
  bool step();
  Model& model_;
  const Dataset& train_;
  const Dataset* val_;
  const Preprocess& pre_;
  TrainConfig cfg_;
  std::unique_ptr<Optimizer> opt_;
  std::vector<Param> trainable_;  // what the optimizer updates: all but the frozen layers' parameters
  std::unique_ptr<Schedule> sched_;
  Rng shuffle_rng_, augment_rng_;
  std::string epoch_rng_state_;  // shuffle_rng_ before this epoch's shuffle
  std::vector<std::size_t> order_;
  long per_epoch_ = 0, total_ = 0, iteration_ = 0, in_epoch_ = 0;
  int epoch_ = 1, epochs_ = 1;
  Status status_ = Status::running;
  std::string message_;
  Progress progress_;
  // Running sums for the epoch.
  double loss_sum_ = 0, correct_ = 0, seen_ = 0, smoothed_ = 0, epoch_seconds_ = 0;
  std::vector<EpochRecord> history_;
  double best_val_ = -1;
  int since_best_ = 0;
  json best_params_;
  Tensor x_, grad_;
  StepOptions step_options_;  // train_step's options, kept so that a step allocates nothing
  std::vector<int> y_;
};

}  // namespace cnn
