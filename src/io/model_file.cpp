#include "io/model_file.h"

#include "io/serialize.h"

namespace cnn {

namespace {

// The header document of a file: the model, then the sections that are set, then `more` (which wins).
json document(Model& m, const std::optional<Preprocess>& pre, const json& metrics, const json& training,
              const json& train_config, const json& more) {
  if (!more.is_object()) throw Error("the extra sections of a model file must be a JSON object, got " + more.dump());
  json d = model_document(m);
  if (pre) d["preprocess"] = pre->to_json();
  if (!metrics.is_null()) d["metrics"] = metrics;
  if (!training.is_null()) d["training"] = training;
  if (!train_config.is_null()) d["train_config"] = train_config;
  for (auto it = more.begin(); it != more.end(); ++it) d[it.key()] = it.value();
  return d;
}

std::optional<Preprocess> preprocess_section(const json& doc, const Shape& input) {
  if (!doc.contains("preprocess") || doc["preprocess"].is_null()) return std::nullopt;
  return preprocess_for(doc["preprocess"], input);
}

}  // namespace

const Preprocess& ModelFile::preprocessing() const {
  static const Preprocess none;
  return preprocess ? *preprocess : none;
}

std::vector<std::uint8_t> ModelFile::encode(const json& more) {
  return encode_bundle(document(model, preprocess, metrics, training, train_config, more));
}

std::vector<std::uint8_t> ModelFile::encode_checkpoint(const Trainer& t, const json& config) {
  return encode_bundle(document(model, preprocess, training_metrics(t), t.checkpoint(), config, json::object()));
}

void ModelFile::save(const std::string& path, const json& more) { write_file(path, encode(more)); }

ModelFile ModelFile::decode(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  const json doc = decode_bundle(bytes, size, name);
  ModelFile f(model_from_document(doc, name));
  f.preprocess = preprocess_section(doc, f.model.input_shape());
  if (doc.contains("metrics")) f.metrics = doc["metrics"];
  if (doc.contains("training")) f.training = doc["training"];
  if (doc.contains("train_config")) f.train_config = doc["train_config"];
  return f;
}

ModelFile ModelFile::load(const std::string& path) {
  const auto bytes = read_file_bytes(path);
  return decode(bytes.data(), bytes.size(), path);
}

json training_metrics(const Trainer& t) {
  json h = json::array();
  for (const EpochRecord& r : t.history()) h.push_back(r.to_json());
  return {{"history", h}};
}

std::string config_difference(const TrainConfig& a, const TrainConfig& b) {
  const json x = a.to_json(), y = b.to_json();
  std::string keys;
  if (x == y) return keys;
  for (auto it = x.begin(); it != x.end(); ++it)
    if (!y.contains(it.key()) || y[it.key()] != it.value()) keys += (keys.empty() ? "" : ", ") + it.key();
  for (auto it = y.begin(); it != y.end(); ++it)
    if (!x.contains(it.key())) keys += (keys.empty() ? "" : ", ") + it.key();
  return keys;
}

Checkpoint read_checkpoint(const std::uint8_t* bytes, std::size_t size, const Model& model, const std::string& name) {
  const json doc = decode_bundle(bytes, size, name);
  if (!doc.contains("training") || !doc["training"].is_object() || !doc["training"].contains("config"))
    throw Error(name + ": the file has no \"training\" section (a saved model, not a checkpoint)");
  Checkpoint c{Model(model.description()), std::nullopt, TrainConfig(), doc["training"]};
  load_state_into(c.weights, doc, name);
  c.config = TrainConfig::from_json(c.training["config"]);
  c.preprocess = preprocess_section(doc, model.input_shape());
  return c;
}

}  // namespace cnn
