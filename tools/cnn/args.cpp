#include "args.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "data/augment.h"

namespace cnn::cli {

const std::vector<std::string>& Args::all(const std::string& k) const {
  static const std::vector<std::string> none;
  auto it = values.find(k);
  return it == values.end() ? none : it->second;
}

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

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

const char* const kTrainOptionsHelp =
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

}  // namespace cnn::cli
