// The command-line program: cnn <command> [options]. Run from the repository with
// `npm run cnn -- <command> ...`.
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "loss.h"
#include "model.h"

using namespace cnn;

namespace {

const char* kUsage =
    "usage: cnn <command> [options]\n"
    "commands:\n"
    "  summary   --model <file.json>   per-layer output shape, parameters and MACs\n"
    "  gradcheck --model <file.json>   compare back-propagation with central differences\n"
    "run 'cnn <command> --help' for a command's options\n";

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Args {
  std::string model;
  int batch = 2;
  bool help = false;
};

Args parse(int argc, char** argv, const char* cmd) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--help" || k == "-h")
      a.help = true;
    else if (k == "--model")
      a.model = value();
    else if (k == "--batch") {
      const std::string v = value();
      char* end = nullptr;
      const long b = std::strtol(v.c_str(), &end, 10);
      if (*end || b < 1 || b > 4096) throw Error("--batch must be an integer in [1, 4096], got '" + v + "'");
      a.batch = static_cast<int>(b);
    } else
      throw Error(std::string("unknown option '") + k + "' for " + cmd);
  }
  if (!a.help && a.model.empty()) throw Error(std::string(cmd) + " needs --model <file.json>");
  return a;
}

int cmd_summary(const Args& a) {
  Model m = Model::from_string(read_file(a.model));
  std::cout << m.summary();
  return 0;
}

// Whole-model gradient check on a random batch: relative error of back-propagation against
// central differences for a sample of each parameter's entries.
int cmd_gradcheck(const Args& a) {
  Model m = Model::from_string(read_file(a.model));
  Rng rng(1);
  Tensor x = zeros(batch_shape(static_cast<std::size_t>(a.batch), m.input_shape()));
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  const std::size_t classes = shape_size(m.output_shape());
  std::vector<int> y(static_cast<std::size_t>(a.batch));
  for (int& v : y) v = static_cast<int>(rng.below(static_cast<std::uint32_t>(classes)));
  auto loss = [&](Tensor* g) { return softmax_cross_entropy(m.forward(x, false), y, g); };
  m.zero_grad();
  Tensor g;
  loss(&g);
  m.backward(g);
  double worst = 0.0;
  const float h = 1e-2f;
  std::printf("%-28s %10s %12s\n", "parameter", "checked", "max rel err");
  for (auto& p : m.params()) {
    const std::size_t n = p.value->size(), step = std::max<std::size_t>(1, n / 20);
    double mx = 0.0;
    std::size_t checked = 0;
    for (std::size_t i = 0; i < n; i += step, ++checked) {
      const float keep = p.value->data()[i];
      p.value->data()[i] = keep + h;
      const double fp = loss(nullptr);
      p.value->data()[i] = keep - h;
      const double fm = loss(nullptr);
      p.value->data()[i] = keep;
      const double num = (fp - fm) / (2 * h), an = p.grad->data()[i];
      mx = std::max(mx, std::fabs(num - an) / std::max(1e-3, std::fabs(num) + std::fabs(an)));
    }
    std::printf("%-28s %10zu %12.2e\n", p.name.c_str(), checked, mx);
    worst = std::max(worst, mx);
  }
  std::printf("max relative error %.2e: %s\n", worst, worst < 5e-2 ? "ok" : "FAILED");
  return worst < 5e-2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "summary" || cmd == "gradcheck") {
      Args a = parse(argc, argv, cmd.c_str());
      if (a.help) {
        std::cout << "usage: cnn " << cmd << " --model <file.json>" << (cmd == "gradcheck" ? " [--batch N]" : "")
                  << "\n";
        return 0;
      }
      return cmd == "summary" ? cmd_summary(a) : cmd_gradcheck(a);
    }
    std::cerr << "cnn: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cnn " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
