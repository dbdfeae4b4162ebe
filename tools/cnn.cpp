// The command-line program: cnn <command> [options]. Run from the repository with
// `npm run cnn -- <command> ...`. Bad arguments get a one-line error and exit code 2; failures
// (unreadable files, models that do not fit the data) exit with 1. Never a crash.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <sstream>

#include "core/parallel.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "io/npy.h"
#include "io/onnx.h"
#include "io/serialize.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "train/ensemble.h"
#include "train/gradcheck.h"
#include "train/search.h"
#include "train/trainer.h"

using namespace cnn;

namespace {

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsage =
    "usage: cnn <command> [options]\n"
    "commands:\n"
    "  train        train a model on MNIST (or IDX files) and write a model file; fine-tune one (--from)\n"
    "  eval         test accuracy of a model file, an ensemble (several --model) and/or with --tta;\n"
    "               the last line is test_accuracy=<fraction>\n"
    "  predict      the model's outputs (logits) for images given as .npy or IDX, written as .npy\n"
    "  summary      per-layer output shape, parameters and MACs\n"
    "  gradcheck    compare back-propagation with central differences on a random batch\n"
    "  search       hyperparameter search (random or grid, coarse then fine) scored on the validation split\n"
    "  export-onnx  write the inference graph (with the preprocessing) as an ONNX file\n"
    "every command also takes --threads N (default: the number of cores, at most 8)\n"
    "run 'cnn <command> --help' for a command's options\n";

struct Command {
  const char* help;
  std::vector<std::string> options;     // each takes a value
  std::vector<std::string> flags = {};  // take no value
  std::vector<std::string> repeatable = {};
};

const char* kTrainOptionsHelp =
    "  --data mnist | --images <idx> --labels <idx>   data (default mnist)\n"
    "  --epochs N (default 1) | --iterations N        length of training\n"
    "  --batch N (64)  --optimizer sgd|adam|... (sgd)  --lr X  --momentum X  --schedule constant|step|cosine|...\n"
    "  --warmup N (cosine; default min(iterations/10, 500))  --l1 X  --l2 X  --weight-decay X\n"
    "  --augment none|digits|strong|'<json>'  --seed N\n"
    "  --validation N (5000 training images held out for validation)  --subset N (train on the first N\n"
    "    images of the training split only)\n";

const std::vector<std::string> kTrainOptions{
    "--data",      "--images",       "--labels",   "--epochs",     "--iterations", "--batch",
    "--optimizer", "--lr",           "--momentum", "--schedule",   "--warmup",     "--l1",
    "--l2",        "--weight-decay", "--augment",  "--validation", "--seed",       "--subset"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::map<std::string, Command>& commands() {
  static const std::string train_help =
      std::string("usage: cnn train --model <zoo name | file.json> [options]\n") + kTrainOptionsHelp +
      "  --patience N (early stopping)  --preprocess '<json>' (default {\"mean\":\"channel\",\"std\":true};\n"
      "    also \"pixel\" mean, \"whiten\": \"pca\"|\"zca\")\n"
      "  --out <file.cnn> (model.cnn)  --checkpoint <file.cnn> (written every epoch; {epoch} in the name keeps one\n"
      "    per epoch)  --checkpoint-every S (60: also every S seconds within an epoch, 0: epochs only; a run that\n"
      "    is killed loses at most this much)  --resume <file.cnn> (a checkpoint of this CLI or of the page)\n"
      "transfer learning:\n"
      "  --from <base.cnn>       start from a trained model (architecture, weights and preprocessing; a\n"
      "                          fresh optimizer) instead of --model\n"
      "  --freeze a,b,...        layers whose parameters are not updated (their names as in cnn summary)\n"
      "  --replace-head N        replace the last dense layer (or the last conv2d of a model without one)\n"
      "                          by a freshly initialised one with N outputs\n";
  static const std::string search_help =
      std::string(
          "usage: cnn search --model <zoo name | file> --space '<json>' [options]\n"
          "  --space '<json>'        named ranges, e.g. '{\"lr\": {\"log\": [1e-4, 1e-1]}, \"l2\": {\"log\": [1e-6, "
          "1e-2]},\n"
          "                          \"optimizer\": [\"adam\", \"sgd\"], \"batch\": [32, 64]}'; also {\"uniform\": [a, "
          "b]},\n"
          "                          {\"int\": [a, b]} and constants. Names: lr, momentum, weight_decay, optimizer,\n"
          "                          batch, l1, l2, epochs, iterations, seed, optimizer.<opt>, schedule(.<opt>),\n"
          "                          augment.<opt>, model.<layer>.<key>\n"
          "  --method random|grid    random (default): --trials points from --seed; grid: every combination,\n"
          "                          numeric ranges split into --steps points (default 3)\n"
          "  --trials N (8)          random trials per round\n"
          "  --refine K              coarse then fine: a second round narrowed around the best K trials\n"
          "  --out <file.json|file.csv>   write the results table\n"
          "every trial trains from the model's own initial weights (a model file: its architecture only) with\n"
          "the options below as the base configuration, and is scored on the validation split (never the\n"
          "test set)\n") +
      kTrainOptionsHelp;
  static const std::map<std::string, Command> c{
      {"summary", {"usage: cnn summary --model <zoo name | file.json | file.cnn>\n", {"--model"}}},
      {"gradcheck", {"usage: cnn gradcheck --model <zoo name | file> [--batch 2]\n", {"--model", "--batch"}}},
      {"eval",
       {"usage: cnn eval --model <file.cnn> [--model <file.cnn> ...] [--tta] [--data mnist | --images <idx> "
        "--labels <idx>] [--split test | validation] [--batch 256]\n"
        "  several --model: an ensemble, the average of the models' softmax probabilities\n"
        "  --tta: test-time augmentation, the average over 5 views of each image: itself and its shifts by\n"
        "         one pixel left, right, up and down (zero fill)\n"
        "  --split validation: score on the images cnn train held out for validation (the same 5,000 of\n"
        "         MNIST's training set, or --validation N), to choose members or TTA without the test set\n",
        {"--model", "--data", "--images", "--labels", "--batch", "--split", "--validation"},
        {"--tta"},
        {"--model"}}},
      {"predict",
       {"usage: cnn predict --model <file.cnn | zoo name | file.json> (--input <x.npy> | --images <idx>) [--out "
        "<logits.npy>] [--batch 256]\n"
        "  --input   float32 .npy of raw pixels in [0, 1], shape [N, C, H, W] (or [N, H, W] for one channel)\n"
        "  --images  an IDX file of uint8 images (read as pixel / 255)\n"
        "  the model file's preprocessing is applied, as in training; --out writes the outputs (logits) as a\n"
        "  float32 .npy [N, D]; without --out each image's class and probability are printed\n",
        {"--model", "--input", "--images", "--out", "--batch"}}},
      {"export-onnx",
       {"usage: cnn export-onnx --model <file.cnn | zoo name | file.json> [--out model.onnx] [--fold-batchnorm]\n"
        "  the inference graph in ONNX (opset 13): input \"input\" [N, C, H, W] raw pixels in [0, 1], output\n"
        "  \"logits\" [N, classes]; the model file's preprocessing is part of the graph; dropout is left out\n"
        "  --fold-batchnorm: fold batch norms that follow a conv/dense layer into its weights\n",
        {"--model", "--out"},
        {"--fold-batchnorm"}}},
      {"search",
       {search_help.c_str(),
        with(kTrainOptions, {"--model", "--space", "--method", "--trials", "--steps", "--refine", "--out"})}},
      {"train",
       {train_help.c_str(),
        with(kTrainOptions, {"--model", "--patience", "--preprocess", "--out", "--checkpoint", "--checkpoint-every",
                             "--resume", "--from", "--freeze", "--replace-head"})}},
  };
  return c;
}

// Options by name; an option given several times (only where allowed) keeps every value.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::size_t count(const std::string& k) const { return values.count(k); }
  const std::string& at(const std::string& k) const { return values.at(k).back(); }
  std::string get(const std::string& k, const std::string& def = "") const { return count(k) ? at(k) : def; }
  const std::vector<std::string>& all(const std::string& k) const {
    static const std::vector<std::string> none;
    auto it = values.find(k);
    return it == values.end() ? none : it->second;
  }
};

Args parse(int argc, char** argv, const Command& cmd) {
  Args a;
  auto in = [](const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      a.values["--help"] = {"1"};
      continue;
    }
    const bool flag = in(cmd.flags, k);
    if (!flag && !in(cmd.options, k) && k != "--threads") throw Usage("unknown option '" + k + "'");
    if (a.count(k) && !in(cmd.repeatable, k)) throw Usage(k + " is given twice");
    if (flag) {
      a.values[k].push_back("1");
      continue;
    }
    if (i + 1 >= argc) throw Usage(k + " needs a value");
    a.values[k].push_back(argv[++i]);
  }
  return a;
}

double number(const Args& a, const std::string& k, double def, double lo, double hi) {
  if (!a.count(k)) return def;
  const std::string& s = a.at(k);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !(v >= lo && v <= hi)) {
    std::ostringstream m;
    m << k << " must be a number in [" << lo << ", " << hi << "], got '" << s << "'";
    throw Usage(m.str());
  }
  return v;
}

json json_arg(const Args& a, const std::string& k, const char* example) {
  try {
    return parse_json(a.at(k), k);
  } catch (const Error& e) {
    throw Usage(k + " must be JSON, e.g. '" + example + "' (" + e.what() + ")");
  }
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// A zoo name (web/models/<name>.json), a JSON description, or a model file.
json model_source(const std::string& m, bool* is_file) {
  *is_file = false;
  if (m.empty()) throw Usage("--model is required");
  std::string path = m;
  if (m.find('/') == std::string::npos && m.find('.') == std::string::npos)
    path = std::string(CNN_MODELS_DIR) + "/" + m + ".json";
  if (ends_with(path, ".json")) {
    std::ifstream probe(path);
    if (!probe) throw Error("no model '" + m + "' (looked for " + path + ")");
    return parse_json(read_text(path), path);
  }
  *is_file = true;
  const auto bytes = read_file_bytes(path);
  return decode_bundle(bytes.data(), bytes.size(), path);
}

// The model; *doc_out receives the model file's document (null for a JSON description).
Model load_any(const std::string& m, json* doc_out = nullptr) {
  bool file = false;
  json j = model_source(m, &file);
  if (doc_out) *doc_out = file ? j : json();
  return file ? model_from_document(j, m) : Model(j);
}

// The preprocessing saved in a model file (the identity for a JSON description).
Preprocess preprocess_of(const json& doc) {
  return doc.is_object() && doc.contains("preprocess") ? Preprocess::from_json(doc["preprocess"]) : Preprocess();
}

struct Data {
  Dataset train, test;
};
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

// The training and validation splits (--validation, --subset), as cnn train makes them.
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

std::string duration(double s) {
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(b, sizeof b, "%ld:%02ld", t / 60, t % 60);
  return b;
}

// The training configuration (TrainConfig JSON) of the common options; the engine resolves the presets.
json train_config(const Args& a) {
  json tc = json::object();
  auto num = [&](const char* k, double def, double lo, double hi) { return number(a, k, def, lo, hi); };
  tc["epochs"] = static_cast<int>(num("--epochs", 1, 1, 100000));
  tc["iterations"] = static_cast<long>(num("--iterations", 0, 0, 1e9));
  tc["batch"] = static_cast<int>(num("--batch", 64, 1, 65536));
  json opt{{"type", a.get("--optimizer", "sgd")}};
  if (a.count("--lr")) opt["lr"] = num("--lr", 0, 1e-12, 1e6);
  if (a.count("--momentum")) opt["momentum"] = num("--momentum", 0, 0, 1);
  if (a.count("--weight-decay")) opt["weight_decay"] = num("--weight-decay", 0, 0, 1e3);
  tc["optimizer"] = opt;
  tc["l1"] = num("--l1", 0, 0, 1e3);
  tc["l2"] = num("--l2", 0, 0, 1e3);
  tc["seed"] = static_cast<int>(num("--seed", 1, 0, 2147483647));
  tc["patience"] = static_cast<int>(num("--patience", 0, 0, 100000));
  if (a.count("--augment")) {
    // A preset's name (the engine owns them: augment.h) or a JSON object.
    const std::string s = a.at("--augment");
    try {
      tc["augment"] = !s.empty() && s[0] == '{' ? parse_json(s, "--augment") : json(s);
      AugmentConfig::from_json(tc["augment"]);
    } catch (const Error& e) {
      throw Usage(std::string("--augment must be none, digits, strong or a JSON object such as '{\"translate\":2}' (") +
                  e.what() + ")");
    }
  }
  if (a.count("--schedule")) {
    // The sizes come from the run's length in the engine (schedule.h resolve_schedule); --warmup overrides.
    json sc{{"type", a.at("--schedule")}};
    if (a.count("--warmup")) sc["warmup"] = static_cast<long>(num("--warmup", 0, 0, 1e9));
    tc["schedule"] = sc;
  }
  return tc;
}

// --- commands ---------------------------------------------------------------------------------------

int cmd_summary(const Args& a) {
  Model m = load_any(a.get("--model"));
  std::cout << m.summary();
  return 0;
}

int cmd_gradcheck(const Args& a) {
  Model m = load_any(a.get("--model"));
  const int batch = static_cast<int>(number(a, "--batch", 2, 1, 256));
  Rng rng(1);
  Tensor x = zeros(batch_shape(static_cast<std::size_t>(batch), m.input_shape()));
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  const std::size_t classes = shape_size(m.output_shape());
  std::vector<int> y(static_cast<std::size_t>(batch));
  for (int& v : y) v = static_cast<int>(rng.below(static_cast<std::uint32_t>(classes)));
  const GradCheckResult r = gradient_check(m, x, y, LossKind::softmax_cross_entropy);
  std::printf("%-28s %8s %8s %12s %10s\n", "parameter", "checked", "on kink", "max abs err", "err/tol");
  for (const auto& row : r.rows)
    std::printf("%-28s %8zu %8zu %12.2e %10.3f\n", row.param.c_str(), row.checked, row.skipped, row.max_abs,
                row.max_error);
  std::printf("%zu entries checked, %zu on a kink skipped: %s\n", r.checked, r.skipped, r.ok() ? "ok" : "FAILED");
  return r.ok() ? 0 : 1;
}

void print_evaluation(const Evaluation& e, const char* key = "test_accuracy") {
  std::printf("loss %.4f\nper-class accuracy:", e.loss);
  for (std::size_t c = 0; c < e.per_class.size(); ++c) std::printf(" %zu:%.4f", c, e.per_class[c]);
  std::printf("\nconfusion matrix (rows: true class, columns: predicted):\n");
  for (auto& row : e.confusion) {
    for (int v : row) std::printf("%6d", v);
    std::printf("\n");
  }
  std::printf("%s=%.4f\n", key, e.accuracy);
}

int cmd_eval(const Args& a) {
  const int batch = static_cast<int>(number(a, "--batch", 256, 1, 65536));
  const bool tta = a.count("--tta") > 0;
  const std::string split_name = a.get("--split", "test");
  if (split_name != "test" && split_name != "validation") throw Usage("--split must be 'test' or 'validation'");
  if (a.count("--validation") && split_name != "validation") throw Usage("--validation goes with --split validation");
  const std::vector<std::string>& names = a.all("--model");
  if (names.empty()) throw Usage("--model is required");
  std::vector<Model> models;
  std::vector<Preprocess> pres;
  for (const std::string& n : names) {
    json doc;
    models.push_back(load_any(n, &doc));
    pres.push_back(preprocess_of(doc));
  }
  Data d = load_data(a);
  if (split_name == "validation") d.test = train_split(a, d.train).second;
  if (d.test.n == 0) throw Error("the " + split_name + " split has no images");
  const char* key = split_name == "test" ? "test_accuracy" : "validation_accuracy";
  const auto t0 = std::chrono::steady_clock::now();
  if (models.size() == 1 && !tta) {
    const Evaluation e = evaluate(models[0], d.test, pres[0], batch);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("evaluated %zu images in %.1f s (%.0f img/s)\n", e.count, s, e.count / std::max(s, 1e-9));
    print_evaluation(e, key);
    return 0;
  }
  std::vector<EnsembleMember> members;
  for (std::size_t i = 0; i < models.size(); ++i) members.push_back({&models[i], &pres[i]});
  const std::vector<View> views = tta_views(tta);
  const EnsembleEvaluation r = evaluate_ensemble(members, d.test, views, batch);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("evaluated %zu images with %zu model(s) x %zu view(s)%s in %.1f s\n", r.combined.count, models.size(),
              views.size(), tta ? " (TTA: identity and +-1 pixel shifts in x and y)" : "", s);
  for (std::size_t i = 0; i < models.size(); ++i)
    std::printf("model %zu (%s): accuracy %.4f%s\n", i + 1, names[i].c_str(), r.member_accuracy[i],
                tta ? " with TTA" : "");
  std::printf("%s: average of the softmax probabilities\n", models.size() > 1 ? "ensemble" : "model");
  print_evaluation(r.combined, key);
  return 0;
}

int cmd_predict(const Args& a) {
  const int batch = static_cast<int>(number(a, "--batch", 256, 1, 65536));
  if (a.count("--input") == a.count("--images")) throw Usage("give one of --input <x.npy> and --images <idx>");
  if (a.count("--out") && !ends_with(a.at("--out"), ".npy")) throw Usage("--out must name a .npy file");
  json doc;
  Model m = load_any(a.get("--model"), &doc);
  const Preprocess pre = preprocess_of(doc);
  const Shape& in = m.input_shape();
  const std::size_t sz = shape_size(in);
  std::vector<float> x;
  std::size_t n = 0;
  if (a.count("--input")) {
    Npy npy = read_npy(a.at("--input"));
    Shape s = npy.shape;
    if (s.size() == 3 && in[0] == 1) s.insert(s.begin() + 1, 1);
    if (s.size() != 4 || !std::equal(in.begin(), in.end(), s.begin() + 1))
      throw Error(a.at("--input") + ": the array is " + shape_str(npy.shape) + ", the model takes [N, " +
                  shape_str(in).substr(1));
    n = s[0];
    x = std::move(npy.data);
  } else {
    const Idx idx = read_idx(a.at("--images"));
    Shape s = idx.dims;
    if (s.size() == 3 && in[0] == 1) s.insert(s.begin() + 1, 1);
    if (s.size() != 4 || !std::equal(in.begin(), in.end(), s.begin() + 1))
      throw Error(a.at("--images") + ": the images are " + idx_dims_str(idx.dims) + ", the model takes " +
                  shape_str(in));
    n = s[0];
    x.resize(idx.data.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(idx.data[i]) / 255.0f;
  }
  if (n == 0) throw Error("no images to predict");
  const std::size_t D = shape_size(m.output_shape());
  std::vector<float> logits(n * D);
  Tensor xb;
  for (std::size_t s = 0; s < n; s += static_cast<std::size_t>(batch)) {
    const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(batch), n - s);
    ensure_shape(xb, batch_shape(b, in));
    std::copy(x.data() + s * sz, x.data() + (s + b) * sz, xb.data());
    if (!pre.is_identity()) pre.apply(xb);
    const Tensor& out = m.forward(xb, false);
    std::copy(out.data(), out.data() + b * D, logits.data() + s * D);
  }
  if (a.count("--out")) {
    write_npy(a.at("--out"), {n, D}, logits.data());
    std::printf("wrote %s: the outputs (logits) of %zu images, float32 [%zu, %zu]%s\n", a.at("--out").c_str(), n, n, D,
                pre.is_identity() ? "" : " (the model's preprocessing applied)");
    return 0;
  }
  std::printf("%8s %6s %12s\n", "image", "class", "probability");
  for (std::size_t i = 0; i < n; ++i) {
    const float* l = logits.data() + i * D;
    const std::size_t k = static_cast<std::size_t>(std::max_element(l, l + D) - l);
    double sum = 0;
    for (std::size_t j = 0; j < D; ++j) sum += std::exp(static_cast<double>(l[j]) - l[k]);
    std::printf("%8zu %6zu %12.4f\n", i, k, 1.0 / sum);
  }
  return 0;
}

int cmd_export_onnx(const Args& a) {
  const std::string out = a.get("--out", "model.onnx");
  json doc;
  Model m = load_any(a.get("--model"), &doc);
  const Preprocess pre = preprocess_of(doc);
  OnnxOptions opt;
  opt.fold_batchnorm = a.count("--fold-batchnorm") > 0;
  OnnxInfo info;
  const auto bytes = export_onnx(m, pre, opt, &info);
  write_file(out, bytes);
  const Shape& in = m.input_shape();
  std::string pre_desc, ops;
  for (auto& s : info.preprocessing) pre_desc += (pre_desc.empty() ? "" : ", ") + s;
  for (auto& s : info.ops) ops += (ops.empty() ? "" : " ") + s;
  std::printf("wrote %s (%zu bytes, ONNX opset %d): %zu nodes, %zu initializers (%lld floats)\n", out.c_str(),
              bytes.size(), kOnnxOpset, info.nodes, info.initializers, static_cast<long long>(info.parameters));
  std::printf("input  \"input\"  float32 [N, %zu, %zu, %zu], raw pixels in [0, 1]\n", in[0], in[1], in[2]);
  std::printf("output \"logits\" float32 [N, %zu]\n", info.outputs);
  std::printf("preprocessing in the graph: %s\n", pre_desc.empty() ? "none" : pre_desc.c_str());
  std::printf("operators: %s\n", ops.c_str());
  return 0;
}

int cmd_search(const Args& a) {
  if (!a.count("--space")) throw Usage("--space is required, e.g. --space '{\"lr\": {\"log\": [1e-4, 1e-1]}}'");
  SearchSpace space;
  try {
    space = SearchSpace::from_json(json_arg(a, "--space", "{\"lr\": {\"log\": [1e-4, 1e-1]}}"));
  } catch (const Error& e) {
    throw Usage(e.what());
  }
  SearchOptions opt;
  opt.method = a.get("--method", "random");
  if (opt.method != "random" && opt.method != "grid") throw Usage("--method must be 'random' or 'grid'");
  if (opt.method == "grid" && a.count("--trials"))
    throw Usage("--trials is for --method random (a grid runs every combination; see --steps)");
  if (opt.method == "random" && a.count("--steps")) throw Usage("--steps is for --method grid");
  opt.trials = static_cast<int>(number(a, "--trials", 8, 1, 100000));
  opt.steps = static_cast<int>(number(a, "--steps", 3, 1, 1000));
  opt.refine = static_cast<int>(number(a, "--refine", 0, 0, 100000));
  opt.seed = static_cast<std::uint32_t>(number(a, "--seed", 1, 0, 2147483647));
  const std::string out = a.get("--out");
  if (!out.empty() && !ends_with(out, ".json") && !ends_with(out, ".csv"))
    throw Usage("--out must name a .json or .csv file");
  if (opt.method == "grid" && grid_size(space, opt.steps) > 100000) throw Usage("the grid has over 100000 points");
  bool file = false;
  json src = model_source(a.get("--model"), &file);
  const json desc = file ? src.at("architecture") : src;
  Model probe(desc);  // a clear error now rather than in every trial
  (void)probe;
  Data d = load_data(a);
  const auto [train, val] = train_split(a, d.train);
  if (val.n == 0) throw Usage("--validation must be at least 1: trials are scored on the validation split");
  const json tc = train_config(a);
  try {
    validate_space(space, desc, tc);
  } catch (const Error& e) {
    throw Usage(e.what());
  }
  Preprocess pre(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  pre.fit(train);
  const std::size_t planned =
      (opt.method == "grid" ? grid_size(space, opt.steps) : static_cast<std::size_t>(opt.trials)) *
      (opt.refine > 0 ? 2 : 1);
  std::printf("search: %s, %s%zu trials%s; %zu training images, %zu validation images\n", opt.method.c_str(),
              opt.refine > 0 && opt.method == "grid" ? "up to " : "", planned,
              opt.refine > 0 ? (" (coarse, then fine around the best " + std::to_string(opt.refine) + ")").c_str() : "",
              train.n, val.n);
  std::fflush(stdout);
  SearchSpace fine;
  const auto trials = run_search(
      desc, tc, space, opt, train, val, pre,
      [&](const Trial& t) {
        std::string ps;
        for (auto it = t.params.begin(); it != t.params.end(); ++it) {
          if (space.find(it.key()) && space.find(it.key())->kind == SearchDim::Kind::constant) continue;
          std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
          if (it.value().is_number_float()) {
            char b[32];
            std::snprintf(b, sizeof b, "%.3g", it.value().get<double>());
            v = b;
          }
          ps += (ps.empty() ? "" : " ") + it.key() + "=" + v;
        }
        if (t.ok())
          std::printf("trial %d (round %d): %s -> val_acc %.4f val_loss %.4f (%.1f s)\n", t.index, t.round, ps.c_str(),
                      t.val_accuracy, t.val_loss, t.seconds);
        else
          std::printf("trial %d (round %d): %s -> %s (%.1f s)\n", t.index, t.round, ps.c_str(), t.status.c_str(),
                      t.seconds);
        std::fflush(stdout);
      },
      &fine);
  if (opt.refine > 0) std::printf("fine round space: %s\n", fine.to_json().dump().c_str());
  std::printf("\nresults (best first, scored on %zu validation images):\n%s", val.n,
              search_table(trials, space).c_str());
  const auto best = ranked(trials);
  if (best.empty() || !best[0].ok()) {
    std::fprintf(stderr, "cnn search: no trial finished\n");
    return 1;
  }
  std::printf("best: trial %d %s val_acc=%.4f\n", best[0].index, best[0].params.dump().c_str(), best[0].val_accuracy);
  if (!out.empty()) {
    std::ofstream f(out, std::ios::binary);
    if (!f) throw Error("cannot write '" + out + "'");
    f << (ends_with(out, ".csv") ? search_csv(trials, space)
                                 : search_json(trials, space, opt.refine > 0 ? &fine : nullptr).dump(2) + "\n");
    if (!f) throw Error("cannot write '" + out + "'");
    std::printf("wrote %s\n", out.c_str());
  }
  return 0;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// --checkpoint's path for an epoch: "{epoch}" in it is replaced by the epoch's number (keeps one file per epoch).
std::string checkpoint_path(std::string path, int epoch) {
  const std::size_t at = path.find("{epoch}");
  if (at != std::string::npos) path.replace(at, 7, std::to_string(epoch));
  return path;
}

int cmd_train(const Args& a) {
  const bool from = a.count("--from") > 0, resume = a.count("--resume") > 0;
  if (from && (a.count("--model") || resume)) throw Usage("--from goes without --model and --resume");
  if (resume && (a.count("--freeze") || a.count("--replace-head")))
    throw Usage("--freeze and --replace-head are not for --resume (the checkpoint has its configuration)");
  const int new_head = static_cast<int>(number(a, "--replace-head", 0, 1, 1e6));
  json pre_cfg{{"mean", "channel"}, {"std", true}};
  if (a.count("--preprocess")) {
    pre_cfg = json_arg(a, "--preprocess", "{\"mean\":\"channel\",\"std\":true}");
    try {
      PreprocessConfig::from_json(pre_cfg);
    } catch (const Error& e) {
      throw Usage(std::string("--preprocess: ") + e.what());
    }
  }
  Data d = load_data(a);
  json source_doc;  // the --resume checkpoint or the --from base model
  Model m = resume ? load_any(a.at("--resume"), &source_doc)
            : from ? load_any(a.at("--from"), &source_doc)
                   : load_any(a.get("--model"));
  if (from && source_doc.is_null()) throw Usage("--from needs a model file (.cnn), not a description");
  if (new_head) {
    const std::string head = m.head_name();
    const std::size_t before = shape_size(m.output_shape());
    m = m.replace_head(new_head);
    std::printf("replaced the head '%s' (%zu outputs) by a new one with %d outputs\n", head.c_str(), before, new_head);
  }
  const std::vector<std::string> freeze = split_names(a.get("--freeze"));
  for (const std::string& f : freeze) {
    if (m.find(f) >= 1) continue;
    std::string names;
    for (std::size_t i = 1; i < m.size(); ++i)
      if (!m.node(i).layer->params().empty()) names += (names.empty() ? "" : ", ") + m.node(i).name;
    throw Usage("--freeze: the model has no layer named '" + f + "' (layers with parameters: " + names + ")");
  }
  const auto [train, val] = train_split(a, d.train);
  Preprocess pre(PreprocessConfig::from_json(pre_cfg));
  if (source_doc.contains("preprocess") && !a.count("--preprocess"))
    pre = Preprocess::from_json(source_doc["preprocess"]);
  else if (resume && source_doc.contains("training"))
    pre = Preprocess();  // a checkpoint without the section was trained without preprocessing (the page's "none")
  else
    pre.fit(train);
  TrainConfig cfg;
  if (resume && source_doc.contains("training")) {
    cfg = TrainConfig::from_json(source_doc["training"]["config"]);
  } else {
    json tc = train_config(a);
    if (!freeze.empty()) tc["freeze"] = freeze;
    cfg = TrainConfig::from_json(tc);
  }
  std::cout << m.summary() << "\n";
  if (!cfg.freeze.empty()) {
    std::int64_t frozen = 0;
    for (const std::string& f : cfg.freeze) frozen += m.node(static_cast<std::size_t>(m.find(f))).layer->param_count();
    std::printf("frozen: %lld of %lld parameters (layers %s)\n", static_cast<long long>(frozen),
                static_cast<long long>(m.param_count()), a.get("--freeze").c_str());
  }
  Trainer t(m, train, &val, pre, cfg);
  if (resume && source_doc.contains("training")) {
    t.restore(source_doc["training"]);
    std::printf("resumed at iteration %ld of %ld\n", t.iteration(), t.total_iterations());
  }
  const std::string out = a.get("--out", "model.cnn");
  const std::string ckpt = a.get("--checkpoint");
  const double ckpt_every = number(a, "--checkpoint-every", 60, 0, 1e6);
  auto document = [&](bool with_training) {
    json doc = model_document(m);
    doc["preprocess"] = pre.to_json();
    json h = json::array();
    for (auto& r : t.history()) h.push_back(r.to_json());
    doc["metrics"] = {{"history", h}};
    if (with_training) doc["training"] = t.checkpoint();
    return doc;
  };
  const auto now_s = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  const bool tty = isatty(fileno(stderr));
  double last_draw = 0;
  double last_ckpt = now_s();
  t.on_progress = [&](const Progress& p) {
    const double now = now_s();
    // Within an epoch every --checkpoint-every seconds; at an epoch's end on_epoch writes it (with the
    // epoch's record), so not here.
    if (!ckpt.empty() && ckpt_every > 0 && now - last_ckpt >= ckpt_every && p.iteration % p.iterations_per_epoch != 0 &&
        p.iteration < p.total_iterations) {
      write_file(checkpoint_path(ckpt, p.epoch), encode_bundle(document(true)));
      last_ckpt = now;
    }
    if (now - last_draw < 0.2 && p.iteration != p.total_iterations) return;
    last_draw = now;
    const int width = 30, fill = static_cast<int>(width * p.iteration / std::max<long>(1, p.total_iterations));
    std::fprintf(stderr, "%sepoch %d/%d [%s%s] %3ld%% %7.0f img/s  left %s  loss %.4f%s", tty ? "\r" : "", p.epoch,
                 p.epochs, std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                 100 * p.iteration / std::max<long>(1, p.total_iterations), p.images_per_s,
                 duration(p.eta_seconds).c_str(), p.smoothed_loss, tty ? "" : "\n");
  };
  std::printf("%6s %11s %10s %10s %9s %9s %10s\n", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "img/s",
              "time");
  t.on_epoch = [&](const EpochRecord& r) {
    if (tty) std::fprintf(stderr, "\n");
    std::printf("%6d %11.4f %10.4f %10.4f %9.4f %9.0f %10s\n", r.epoch, r.train_loss, r.train_accuracy, r.val_loss,
                r.val_accuracy, r.images_per_s, duration(r.seconds).c_str());
    std::fflush(stdout);
    if (!ckpt.empty()) write_file(checkpoint_path(ckpt, r.epoch), encode_bundle(document(true)));
    last_ckpt = now_s();
  };
  t.run();
  if (t.status() == Trainer::Status::diverged) {
    std::fprintf(stderr, "\n%s\n", t.message().c_str());
    if (!ckpt.empty()) write_file(checkpoint_path(ckpt, t.epoch()), encode_bundle(document(true)));
    return 1;
  }
  if (!t.message().empty()) std::printf("%s\n", t.message().c_str());
  const Evaluation e = evaluate(m, d.test, pre);
  json doc = document(false);
  doc["metrics"]["test_accuracy"] = e.accuracy;
  write_file(out, encode_bundle(doc));
  std::printf("wrote %s\ntest_accuracy=%.4f\n", out.c_str(), e.accuracy);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  auto it = commands().find(cmd);
  if (it == commands().end()) {
    std::cerr << "cnn: unknown command '" << cmd
              << "' (commands: train, eval, predict, summary, gradcheck, search, export-onnx; see cnn --help)\n";
    return 2;
  }
  try {
    const Args a = parse(argc, argv, it->second);
    if (a.count("--help")) {
      std::cout << it->second.help << "  --threads N (default: the number of cores, at most 8)\n";
      return 0;
    }
    if (a.count("--threads")) set_num_threads(static_cast<int>(number(a, "--threads", 0, 1, 64)));
    if (cmd == "summary") return cmd_summary(a);
    if (cmd == "gradcheck") return cmd_gradcheck(a);
    if (cmd == "eval") return cmd_eval(a);
    if (cmd == "predict") return cmd_predict(a);
    if (cmd == "export-onnx") return cmd_export_onnx(a);
    if (cmd == "search") return cmd_search(a);
    return cmd_train(a);
  } catch (const Usage& e) {
    std::cerr << "cnn " << cmd << ": " << e.what() << " (see cnn " << cmd << " --help)\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // Tensors say what they were allocating (tensor.cpp); this is the rest: datasets, workspaces.
    std::cerr << "cnn " << cmd << ": out of memory (the machine could not give more; try a smaller model, batch or "
              << "--subset)\n";
    return 1;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::cerr << "cnn " << cmd << ": " << msg << "\n";
    return 1;
  }
}
