#include "train/optim/options.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace cnn::optim_detail {

Options::Options(const json& cfg, std::string where) : cfg_(cfg), where_(std::move(where)) {
  if (!cfg_.is_object()) throw Error(where_ + ": the configuration must be a JSON object, got " + cfg_.dump());
}

const json* Options::find(const char* key) {
  used_.insert(key);
  auto it = cfg_.find(key);
  return it == cfg_.end() || it->is_null() ? nullptr : &*it;
}

bool Options::has(const char* key) const {
  auto it = cfg_.find(key);
  return it != cfg_.end() && !it->is_null();
}

void Options::bad(const char* key, const std::string& what) const {
  throw Error(where_ + ": option '" + key + "' must be " + what);
}

double Options::num(const char* key, double def) {
  const json* v = find(key);
  if (!v) return def;
  if (!v->is_number()) bad(key, "a number, got " + v->dump());
  const double d = v->get<double>();
  // Anything that is not a finite float32 would poison every parameter it touches.
  if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max())
    bad(key, "a finite number, got " + num_str(d));
  return d;
}

double Options::num(const char* key) {
  if (!has(key)) bad(key, "given (it has no default)");
  return num(key, 0.0);
}

long Options::integer(const char* key, long def) {
  const json* v = find(key);
  if (!v) return def;
  if (v->is_number_integer()) return v->get<long>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && std::fabs(d) < 9e15 && d == std::floor(d)) return static_cast<long>(d);
  }
  bad(key, "an integer, got " + v->dump());
}

long Options::integer(const char* key) {
  if (!has(key)) bad(key, "given (it has no default)");
  return integer(key, 0);
}

bool Options::flag(const char* key, bool def) {
  const json* v = find(key);
  if (!v) return def;
  if (!v->is_boolean()) bad(key, "true or false, got " + v->dump());
  return v->get<bool>();
}

const json& Options::sub(const char* key) {
  const json* v = find(key);
  if (!v) bad(key, "given");
  if (!v->is_object() && !v->is_string()) bad(key, "a JSON object, got " + v->dump());
  return *v;
}

void Options::done() const {
  std::string unknown, known;
  for (auto it = cfg_.begin(); it != cfg_.end(); ++it) {
    if (it.key() == "type") continue;
    if (!used_.count(it.key())) unknown += (unknown.empty() ? "'" : ", '") + it.key() + "'";
  }
  if (unknown.empty()) return;
  for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
  throw Error(where_ + ": unknown option " + unknown + " (options: " + (known.empty() ? "none" : known) + ")");
}

std::string num_str(double v) {
  std::ostringstream s;
  s.precision(std::numeric_limits<double>::max_digits10);
  s << v;
  // Prefer the short form when it reads back exactly (0.1 rather than 0.10000000000000001).
  for (int p = 1; p < std::numeric_limits<double>::max_digits10; ++p) {
    std::ostringstream t;
    t.precision(p);
    t << v;
    try {
      if (std::stod(t.str()) == v) return t.str();
    } catch (const std::exception&) {  // out of range (subnormal): keep the long form
      break;
    }
  }
  return s.str();
}

void require(bool ok, const std::string& where, const char* key, const char* requirement, double value) {
  if (!ok) throw Error(where + ": option '" + key + "' must be " + requirement + ", got " + num_str(value));
}

}  // namespace cnn::optim_detail
