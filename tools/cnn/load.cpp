#include "load.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "io/serialize.h"

namespace cnn::cli {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The path --model names, and whether it is a JSON description (else a model file).
std::string model_path(const std::string& m, bool* is_json) {
  if (m.empty()) throw Usage("--model is required");
  std::string path = m;
  if (m.find('/') == std::string::npos && m.find('.') == std::string::npos)
    path = std::string(CNN_MODELS_DIR) + "/" + m + ".json";
  *is_json = ends_with(path, ".json");
  if (*is_json && !std::ifstream(path)) throw Error("no model '" + m + "' (looked for " + path + ")");
  return path;
}

}  // namespace

ModelFile load_model(const std::string& m, bool* is_file) {
  bool is_json = false;
  const std::string path = model_path(m, &is_json);
  if (is_file) *is_file = !is_json;
  if (is_json) return ModelFile(Model(parse_json(read_text(path), path)));
  return ModelFile::load(path);
}

json load_architecture(const std::string& m) {
  bool is_json = false;
  const std::string path = model_path(m, &is_json);
  if (is_json) return parse_json(read_text(path), path);
  const auto bytes = read_file_bytes(path);
  return decode_bundle(bytes.data(), bytes.size(), path).at("architecture");
}

Data load_data(const Args& a) {
  if (a.count("--images") || a.count("--labels")) {
    if (!a.count("--images") || !a.count("--labels")) throw Usage("--images and --labels go together");
    Dataset d = load_idx_dataset(a.at("--images"), a.at("--labels"));
    return {d, d};
  }
  const std::string name = a.get("--data", "mnist");
  if (name != "mnist") throw Usage("--data must be 'mnist' (or give --images and --labels)");
  const char* env = std::getenv("CNN_MNIST_DIR");
  Mnist m = load_mnist(env ? env : CNN_MNIST_DIR);
  return {std::move(m.train), std::move(m.test)};
}

std::pair<Dataset, Dataset> train_split(const Args& a, const Dataset& all) {
  if (all.n < 2) throw Error("the training data needs at least 2 images");
  const double def = std::min<double>(5000, static_cast<double>(all.n / 10));  // 5000 of MNIST's 60,000
  auto [train, val] = split(all, static_cast<std::size_t>(number(a, "--validation", def, 0, all.n - 1)), 7);
  if (a.count("--subset")) {
    const auto n = static_cast<std::size_t>(number(a, "--subset", 0, 1, 1e9));
    if (n < train.n) {
      std::vector<std::size_t> idx(n);
      for (std::size_t i = 0; i < n; ++i) idx[i] = i;
      train = subset(train, idx);
    }
  }
  return {std::move(train), std::move(val)};
}

}  // namespace cnn::cli
