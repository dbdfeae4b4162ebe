// The command line's options: one table of commands (main.cpp) whose rows are {name, summary, help,
// options, run}; one parser for every command; the checked readers of option values.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/layer.h"  // json

namespace cnn::cli {

// A bad argument: a one-line message and exit code 2 (main.cpp).
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Options by name; an option given several times (only where allowed) keeps every value.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::size_t count(const std::string& k) const { return values.count(k); }
  const std::string& at(const std::string& k) const { return values.at(k).back(); }
  std::string get(const std::string& k, const std::string& def = "") const { return count(k) ? at(k) : def; }
  const std::vector<std::string>& all(const std::string& k) const;
};

struct Command {
  const char* name;
  std::string summary;                  // its line in `cnn --help`
  std::string help;                     // `cnn <name> --help`
  std::vector<std::string> options;     // each takes a value
  std::vector<std::string> flags;       // take no value
  std::vector<std::string> repeatable;  // may be given several times
  int (*run)(const Args&);              // the exit code
};

// The rows of the command table, one per file (cmd_*.cpp).
Command train_command();
Command eval_command();
Command predict_command();
Command summary_command();
Command gradcheck_command();
Command search_command();
Command export_onnx_command();

// argv[2..] checked against the command's options (--help and --threads are always accepted).
Args parse(int argc, char** argv, const Command& cmd);
// The number given for option k, or def when it is absent; Usage unless it is in [lo, hi].
double number(const Args& a, const std::string& k, double def, double lo, double hi);
// Option k parsed as JSON; Usage, showing `example`, when it is not.
json json_arg(const Args& a, const std::string& k, const char* example);
bool ends_with(const std::string& s, const std::string& t);

// The training options shared by train and search: their help lines and names.
extern const char* const kTrainOptionsHelp;
extern const std::vector<std::string> kTrainOptions;
std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b);
// The training configuration (TrainConfig JSON) of the training options: the flags mapped to keys;
// the engine resolves the presets (augmentation by name, schedule sizes from the run's length).
json train_config(const Args& a);

}  // namespace cnn::cli
