// Internal: reads the options of an optimizer or schedule configuration with clear errors.
//   Options o(cfg, "optimizer 'adam'");
//   double lr = o.num("lr", 1e-3);          // absent or null -> default; not a number -> Error
//   o.done();                               // any key not read -> Error naming it
// Every message starts with the `where` given, e.g.
//   "optimizer 'adam': option 'beta1' must be in [0, 1), got 1.5".
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/tensor.h"

namespace cnn::optim_detail {

using json = nlohmann::json;

class Options {
 public:
  Options(const json& cfg, std::string where);

  double num(const char* key, double def);
  // A required number (no default).
  double num(const char* key);
  long integer(const char* key, long def);
  long integer(const char* key);
  bool flag(const char* key, bool def);
  // A nested object (e.g. lookahead's "inner"); throws when absent or not an object/string.
  const json& sub(const char* key);
  bool has(const char* key) const;
  // Throws for any key other than "type" that was never read.
  void done() const;

  const std::string& where() const { return where_; }

 private:
  const json* find(const char* key);
  [[noreturn]] void bad(const char* key, const std::string& what) const;

  const json& cfg_;
  std::string where_;
  std::set<std::string> used_;
};

// Formats a number for messages (shortest form that reads back).
std::string num_str(double v);
// Throws cnn::Error("<where>: option '<key>' must be <requirement>, got <value>") unless ok.
void require(bool ok, const std::string& where, const char* key, const char* requirement, double value);

}  // namespace cnn::optim_detail
