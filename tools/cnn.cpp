// The command-line program: cnn <command> [options]. Run from the repository with
// `npm run cnn -- <command> ...`. Bad arguments get a one-line error and exit code 2; failures
// (unreadable files, models that do not fit the data) exit with 1. Never a crash.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "data/dataset.h"
#include "gradcheck.h"
#include "loss.h"
#include "model.h"
#include "serialize.h"
#include "trainer.h"

using namespace cnn;

namespace {

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsage =
    "usage: cnn <command> [options]\n"
    "commands:\n"
    "  train     train a model on MNIST (or IDX files) and write a model file\n"
    "  eval      test accuracy of a model file; the last line is test_accuracy=<fraction>\n"
    "  summary   per-layer output shape, parameters and MACs\n"
    "  gradcheck compare back-propagation with central differences on a random batch\n"
    "run 'cnn <command> --help' for a command's options\n";

struct Command {
  const char* help;
  std::vector<std::string> options;  // each takes a value
};

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> c{
      {"summary", {"usage: cnn summary --model <zoo name | file.json | file.cnn>\n", {"--model"}}},
      {"gradcheck", {"usage: cnn gradcheck --model <zoo name | file> [--batch 2]\n", {"--model", "--batch"}}},
      {"eval",
       {"usage: cnn eval --model <file.cnn> [--data mnist | --images <idx> --labels <idx>] [--batch 256]\n",
        {"--model", "--data", "--images", "--labels", "--batch"}}},
      {"train",
       {"usage: cnn train --model <zoo name | file.json> [options]\n"
        "  --data mnist | --images <idx> --labels <idx>   training data (default mnist)\n"
        "  --epochs N (default 1) | --iterations N        length of training\n"
        "  --batch N (64)  --optimizer sgd|adam|... (sgd)  --lr X  --momentum X  --schedule constant|step|cosine|...\n"
        "  --warmup N (cosine)  --l1 X  --l2 X  --weight-decay X  --augment '<json>' | digits\n"
        "  --validation N (5000 images held out)  --patience N  --seed N\n"
        "  --out <file.cnn> (model.cnn)  --checkpoint <file.cnn> (written every epoch)  --resume <file.cnn>\n",
        {"--model", "--data",      "--images",       "--labels",   "--epochs",     "--iterations",
         "--batch", "--optimizer", "--lr",           "--momentum", "--schedule",   "--warmup",
         "--l1",    "--l2",        "--weight-decay", "--augment",  "--validation", "--patience",
         "--seed",  "--out",       "--checkpoint",   "--resume"}}},
  };
  return c;
}

using Args = std::map<std::string, std::string>;

Args parse(int argc, char** argv, const Command& cmd) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      a["--help"] = "1";
      continue;
    }
    if (std::find(cmd.options.begin(), cmd.options.end(), k) == cmd.options.end())
      throw Usage("unknown option '" + k + "'");
    if (i + 1 >= argc) throw Usage(k + " needs a value");
    a[k] = argv[++i];
  }
  return a;
}

double number(const Args& a, const std::string& k, double def, double lo, double hi) {
  auto it = a.find(k);
  if (it == a.end()) return def;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end || !(v >= lo && v <= hi))
    throw Usage(k + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
                it->second + "'");
  return v;
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
    try {
      return json::parse(read_text(path));
    } catch (const json::exception& e) {
      throw Error(path + " is not valid JSON: " + e.what());
    }
  }
  *is_file = true;
  const auto bytes = read_file_bytes(path);
  return decode_bundle(bytes.data(), bytes.size(), path);
}

Model load_any(const std::string& m, json* doc_out = nullptr) {
  bool file = false;
  json j = model_source(m, &file);
  if (doc_out) *doc_out = file ? j : json();
  return file ? model_from_document(j, m) : Model(j);
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
  const std::string name = a.count("--data") ? a.at("--data") : "mnist";
  if (name != "mnist") throw Usage("--data must be 'mnist' (or give --images and --labels)");
  const char* env = std::getenv("CNN_MNIST_DIR");
  Mnist m = load_mnist(env ? env : CNN_MNIST_DIR);
  return {std::move(m.train), std::move(m.test)};
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

int cmd_summary(const Args& a) {
  Model m = load_any(a.count("--model") ? a.at("--model") : "");
  std::cout << m.summary();
  return 0;
}

int cmd_gradcheck(const Args& a) {
  Model m = load_any(a.count("--model") ? a.at("--model") : "");
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

int cmd_eval(const Args& a) {
  json doc;
  Model m = load_any(a.count("--model") ? a.at("--model") : "", &doc);
  const Preprocess pre = doc.contains("preprocess") ? Preprocess::from_json(doc["preprocess"]) : Preprocess();
  Data d = load_data(a);
  const auto t0 = std::chrono::steady_clock::now();
  const Evaluation e = evaluate(m, d.test, pre, static_cast<int>(number(a, "--batch", 256, 1, 65536)));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("evaluated %zu images in %.1f s (%.0f img/s)\n", e.count, s, e.count / std::max(s, 1e-9));
  std::printf("loss %.4f\nper-class accuracy:", e.loss);
  for (std::size_t c = 0; c < e.per_class.size(); ++c) std::printf(" %zu:%.4f", c, e.per_class[c]);
  std::printf("\nconfusion matrix (rows: true class, columns: predicted):\n");
  for (auto& row : e.confusion) {
    for (int v : row) std::printf("%6d", v);
    std::printf("\n");
  }
  std::printf("test_accuracy=%.4f\n", e.accuracy);
  return 0;
}

int cmd_train(const Args& a) {
  json tc = json::object();
  auto num = [&](const char* k, double def, double lo, double hi) { return number(a, k, def, lo, hi); };
  tc["epochs"] = static_cast<int>(num("--epochs", 1, 1, 100000));
  tc["iterations"] = static_cast<long>(num("--iterations", 0, 0, 1e9));
  tc["batch"] = static_cast<int>(num("--batch", 64, 1, 65536));
  json opt{{"type", a.count("--optimizer") ? a.at("--optimizer") : "sgd"}};
  if (a.count("--lr")) opt["lr"] = num("--lr", 0, 1e-12, 1e6);
  if (a.count("--momentum")) opt["momentum"] = num("--momentum", 0, 0, 1);
  if (a.count("--weight-decay")) opt["weight_decay"] = num("--weight-decay", 0, 0, 1e3);
  tc["optimizer"] = opt;
  tc["l1"] = num("--l1", 0, 0, 1e3);
  tc["l2"] = num("--l2", 0, 0, 1e3);
  tc["seed"] = static_cast<int>(num("--seed", 1, 0, 2147483647));
  tc["patience"] = static_cast<int>(num("--patience", 0, 0, 100000));
  if (a.count("--augment")) {
    const std::string s = a.at("--augment");
    try {
      tc["augment"] = s == "digits" ? json{{"translate", 2}, {"rotate", 10}, {"scale", 0.1}} : json::parse(s);
    } catch (const json::exception&) {
      throw Usage("--augment must be 'digits' or a JSON object such as '{\"translate\":2}'");
    }
  }
  Data d = load_data(a);
  json resume_doc;
  Model m = a.count("--resume") ? load_any(a.at("--resume"), &resume_doc)
                                : load_any(a.count("--model") ? a.at("--model") : "");
  const auto [train, val] = split(d.train, static_cast<std::size_t>(num("--validation", 5000, 0, d.train.n - 1)), 7);
  Preprocess pre(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  if (resume_doc.contains("preprocess"))
    pre = Preprocess::from_json(resume_doc["preprocess"]);
  else
    pre.fit(train);
  TrainConfig cfg;
  if (resume_doc.contains("training")) {
    cfg = TrainConfig::from_json(resume_doc["training"]["config"]);
  } else {
    const long iters_hint = tc["iterations"].get<long>() > 0
                                ? tc["iterations"].get<long>()
                                : tc["epochs"].get<int>() * static_cast<long>(train.n / tc["batch"].get<int>());
    if (a.count("--schedule")) {
      json sc{{"type", a.at("--schedule")}};
      if (sc["type"] == "cosine")
        sc["total"] = iters_hint, sc["warmup"] = static_cast<long>(num("--warmup", 0, 0, 1e9));
      if (sc["type"] == "step") sc["step_size"] = std::max<long>(1, iters_hint / 3);
      if (sc["type"] == "exponential") sc["gamma"] = std::pow(0.01, 1.0 / std::max<long>(1, iters_hint));
      if (sc["type"] == "inverse_time") sc["k"] = 10.0 / std::max<long>(1, iters_hint);
      tc["schedule"] = sc;
    }
    cfg = TrainConfig::from_json(tc);
  }
  std::cout << m.summary() << "\n";
  Trainer t(m, train, &val, pre, cfg);
  if (resume_doc.contains("training")) {
    t.restore(resume_doc["training"]);
    std::printf("resumed at iteration %ld of %ld\n", t.iteration(), t.total_iterations());
  }
  const std::string out = a.count("--out") ? a.at("--out") : "model.cnn";
  const std::string ckpt = a.count("--checkpoint") ? a.at("--checkpoint") : "";
  auto document = [&](bool with_training) {
    json doc = model_document(m);
    doc["preprocess"] = pre.to_json();
    json h = json::array();
    for (auto& r : t.history()) h.push_back(r.to_json());
    doc["metrics"] = {{"history", h}};
    if (with_training) doc["training"] = t.checkpoint();
    return doc;
  };
  const bool tty = isatty(fileno(stderr));
  double last_draw = 0;
  t.on_progress = [&](const Progress& p) {
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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
    if (!ckpt.empty()) write_file(ckpt, encode_bundle(document(true)));
  };
  t.run();
  if (t.status() == Trainer::Status::diverged) {
    std::fprintf(stderr, "\n%s\n", t.message().c_str());
    if (!ckpt.empty()) write_file(ckpt, encode_bundle(document(true)));
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
    std::cerr << "cnn: unknown command '" << cmd << "' (commands: train, eval, summary, gradcheck; see cnn --help)\n";
    return 2;
  }
  try {
    const Args a = parse(argc, argv, it->second);
    if (a.count("--help")) {
      std::cout << it->second.help;
      return 0;
    }
    if (cmd == "summary") return cmd_summary(a);
    if (cmd == "gradcheck") return cmd_gradcheck(a);
    if (cmd == "eval") return cmd_eval(a);
    return cmd_train(a);
  } catch (const Usage& e) {
    std::cerr << "cnn " << cmd << ": " << e.what() << " (see cnn " << cmd << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cnn " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
