// Hyperparameter search: random or grid over named ranges, coarse then fine.
//
// A search space is a JSON object; each key names a hyperparameter and its value says how it varies:
//   {"lr":        {"log": [1e-4, 1e-1]},      log-uniform: lo * (hi/lo)^u, u ~ U[0, 1)
//    "momentum":  {"uniform": [0.5, 0.99]},   uniform: lo + (hi - lo) u
//    "units":     {"int": [32, 256]},         an integer, uniform over lo..hi
//    "optimizer": ["adam", "sgd"],            a choice among the listed JSON values
//    "seed":      3}                          a constant (any other JSON value)
// Names and what they set in a trial (apply_trial):
//   epochs, iterations, batch, l1, l2, seed, patience, loss    the training configuration's keys
//   optimizer                                 the optimizer's "type"
//   lr, momentum, weight_decay                shorthands for optimizer.lr, ...
//   optimizer.<option>                        any optimizer option (beta1, nesterov, rho, ...); an option
//                                             that the trial's optimizer does not have is left out
//                                             (momentum in a trial of adam)
//   schedule                                  the schedule's "type"; schedule.<option> its options
//   augment.<option>                          an augmentation option (translate, rotate, cutout, ...)
//   model.<layer>.<key>                       a layer's hyperparameter in the model description
//                                             (model.drop1.p, model.fc1.units)
// Any other name is refused before the first trial.
//
// Methods:
//   random  `trials` points, every dimension drawn independently (in the order of the names,
//           sorted) from one cnn::Rng seeded with `seed`: the same seed gives the same trials.
//   grid    every combination: numeric ranges are split into `steps` points including both ends
//           (geometric spacing for "log", rounded and deduplicated for "int"); the first name varies
//           slowest.
// Coarse then fine (refine = K > 0): after the first round, each dimension is narrowed around the
// best K trials (by validation accuracy, then loss) and a second round of the same method and size
// runs in the narrowed space (refine_space):
//   numeric: in the dimension's own scale (log10 for "log"), [min - w/4, max + w/4] of the K best
//            values, w the width of the coarse range, clipped to the coarse range (so with K = 1
//            the range is at most half as wide); "int" rounds outward.
//   choice:  only the values that occur among the K best (in the original order).
// Every trial trains a fresh model (the description's own init and seed: the same initial weights
// for all trials) on the training split and is scored on the validation split; the test set is
// never used.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "train/trainer.h"

namespace cnn {

struct SearchDim {
  enum class Kind { log, uniform, integer, choice, constant };
  std::string name;
  Kind kind = Kind::constant;
  double lo = 0, hi = 0;      // log, uniform, integer
  std::vector<json> choices;  // choice: the values; constant: the one value
  bool numeric() const { return kind == Kind::log || kind == Kind::uniform || kind == Kind::integer; }
};

struct SearchSpace {
  std::vector<SearchDim> dims;  // sorted by name
  // Throws cnn::Error naming the dimension for a malformed range (lo > hi, lo <= 0 for "log", ...).
  static SearchSpace from_json(const json& j);
  json to_json() const;
  const SearchDim* find(const std::string& name) const;
};

// `n` random points (JSON objects name -> value), drawn from rng.
std::vector<json> sample_random(const SearchSpace& s, int n, Rng& rng);
// Every combination, numeric ranges split into `steps` >= 1 points (1: the middle of the range).
std::vector<json> grid_points(const SearchSpace& s, int steps);
// Number of grid points without building them.
std::size_t grid_size(const SearchSpace& s, int steps);

struct Trial {
  int index = 0;  // 1-based, over both rounds
  int round = 1;  // 1 coarse, 2 fine
  json params = json::object();
  std::string status = "ok";  // "ok", "diverged", or "failed: <message>"
  double val_accuracy = 0, val_loss = 0, train_loss = 0, seconds = 0;
  long iterations = 0;
  bool ok() const { return status == "ok"; }
  json to_json() const;
};

// Best first: ok trials by validation accuracy (descending), then validation loss, then index;
// the others after them.
std::vector<Trial> ranked(const std::vector<Trial>& trials);

// The space narrowed around the best k trials (see above). Trials that are not ok are ignored;
// with none ok, the space is returned unchanged.
SearchSpace refine_space(const SearchSpace& s, const std::vector<Trial>& trials, int k);

// The model description and training configuration (TrainConfig JSON) of one trial. Throws
// cnn::Error for an unknown name or a value the configuration refuses.
void apply_trial(const json& params, json& model_desc, json& train_config);
// Checks every name of the space before any training (apply_trial of the space's first point).
void validate_space(const SearchSpace& s, const json& model_desc, const json& train_config);

struct SearchOptions {
  std::string method = "random";  // "random" | "grid"
  int trials = 8;                 // random: points per round
  int steps = 3;                  // grid: points per numeric range
  int refine = 0;                 // K: a second, narrowed round around the best K (0 = none)
  std::uint32_t seed = 1;         // random sampling
};

// Runs the search: each trial builds Model(model_desc') and trains it with TrainConfig
// train_config' (after apply_trial) on `train`, then evaluates on `validation` with `pre`.
// on_trial is called after each trial; `fine` (when given) receives the narrowed space.
// A trial that diverges or whose configuration is refused is recorded, not fatal.
std::vector<Trial> run_search(const json& model_desc, const json& train_config, const SearchSpace& space,
                              const SearchOptions& opt, const Dataset& train, const Dataset& validation,
                              const Preprocess& pre, const std::function<void(const Trial&)>& on_trial = {},
                              SearchSpace* fine = nullptr);

// Results, best first: a text table (trial, round, each hyperparameter, val_acc, val_loss, time),
// CSV with the same columns, and JSON {"space":..., "trials": [...]}.
std::string search_table(const std::vector<Trial>& trials, const SearchSpace& space);
std::string search_csv(const std::vector<Trial>& trials, const SearchSpace& space);
json search_json(const std::vector<Trial>& trials, const SearchSpace& space, const SearchSpace* fine = nullptr);

}  // namespace cnn
