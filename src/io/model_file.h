// What a .cnn file holds, and the one place that puts its sections together and takes them apart:
// the command line (tools/cnn/) and the wasm bindings (wasm_build/bindings.cpp) both read and write
// models and checkpoints through this module. The byte format (a JSON header plus float32 data) is
// serialize.h's.
//
//   section          written                         read back as
//   architecture,    always (serialize.h             `model`: the architecture built, every parameter and
//   params, buffers  model_document)                 buffer loaded and checked (names, shapes)
//   "preprocess"     when `preprocess` is set        `preprocess` (checked: fitted, the model's image shape);
//                                                    absent or null: none
//   "metrics"        when `metrics` is not null      `metrics` as it is ({"history": [EpochRecord], ...})
//   "training"       a checkpoint: Trainer::checkpoint()       `training`
//   "train_config"   a checkpoint of the page: the training    `train_config`
//                    configuration as the page gave it
// Keys are written sorted (JSON objects), so the same model and sections always give the same bytes.
// Anything wrong in a file is a cnn::Error naming the file and what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/preprocess.h"
#include "nn/model.h"
#include "train/trainer.h"

namespace cnn {

struct ModelFile {
  explicit ModelFile(Model m) : model(std::move(m)) {}

  Model model;
  // The fitted preprocessing the model expects of raw pixels in [0, 1]; none: the file has no section.
  std::optional<Preprocess> preprocess;
  json metrics = nullptr;       // {"history": [EpochRecord JSON], "test_accuracy"?, ...}
  json training = nullptr;      // a checkpoint's training state (Trainer::checkpoint()); null in a saved model
  json train_config = nullptr;  // the page's training configuration as given ("preprocess" included)

  // The preprocessing to apply: the identity when there is none.
  const Preprocess& preprocessing() const;
  bool is_checkpoint() const { return !training.is_null(); }

  // The file's bytes, with the keys of `more` (a JSON object) added as sections last (they win).
  std::vector<std::uint8_t> encode(const json& more = json::object());
  // A checkpoint of run `t` of this model: the file with "metrics" = training_metrics(t), "training" =
  // t.checkpoint() and "train_config" (when not null); the ModelFile itself is left as it is.
  std::vector<std::uint8_t> encode_checkpoint(const Trainer& t, const json& train_config = nullptr);
  void save(const std::string& path, const json& more = json::object());  // atomically (serialize.h write_file)

  static ModelFile decode(const std::uint8_t* bytes, std::size_t size, const std::string& name = "model file");
  static ModelFile load(const std::string& path);
};

// What a training run saves as a model's "metrics": {"history": [EpochRecord JSON]}.
json training_metrics(const Trainer& t);

// The keys of TrainConfig::to_json() whose values differ between a and b, comma-separated in key order
// ("batch, epochs"); "" when the configurations are the same. A checkpoint resumes only the configuration
// it was made with.
std::string config_difference(const TrainConfig& a, const TrainConfig& b);

// A checkpoint read to continue a run of `model` (the page's Training.restore). The weights are loaded
// into a fresh model of `model`'s architecture, so the run changes only once the whole file has been
// read and checked. Throws cnn::Error when the file is not a checkpoint ("no \"training\" section"),
// when its parameters do not fit the model, or when its configuration is malformed.
struct Checkpoint {
  Model weights;
  std::optional<Preprocess> preprocess;
  TrainConfig config;
  json training;  // Trainer::restore's input
};
Checkpoint read_checkpoint(const std::uint8_t* bytes, std::size_t size, const Model& model,
                           const std::string& name = "checkpoint");

}  // namespace cnn
