#include "layer.h"

namespace cnn {

std::int64_t Layer::param_count() {
  std::int64_t n = 0;
  for (auto& p : params()) n += static_cast<std::int64_t>(p.value->size());
  return n;
}

void Layer::fail(const std::string& msg) const {
  std::string who = type() + " layer";
  if (!name_.empty()) who += " '" + name_ + "'";
  throw Error(who + ": " + msg);
}

const Shape& Layer::single_input(const std::vector<Shape>& in) const {
  if (in.size() != 1) fail("expects 1 input, got " + std::to_string(in.size()));
  if (in[0].size() != 3) fail("expects a {C,H,W} input, got " + shape_str(in[0]));
  return in[0];
}

namespace {
const json* find(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}
[[noreturn]] void bad(const std::string& where, const char* key, const char* what) {
  throw Error(where + ": '" + key + "' must be " + what);
}
}  // namespace

int json_int(const json& j, const char* key, int def, const std::string& where) {
  const json* v = find(j, key);
  if (!v) return def;
  if (v->is_number_integer()) return v->get<int>();
  if (v->is_number_float() && v->get<double>() == static_cast<int>(v->get<double>()))
    return static_cast<int>(v->get<double>());
  bad(where, key, "an integer");
}

double json_num(const json& j, const char* key, double def, const std::string& where) {
  const json* v = find(j, key);
  if (!v) return def;
  if (!v->is_number()) bad(where, key, "a number");
  return v->get<double>();
}

bool json_bool(const json& j, const char* key, bool def, const std::string& where) {
  const json* v = find(j, key);
  if (!v) return def;
  if (!v->is_boolean()) bad(where, key, "true or false");
  return v->get<bool>();
}

std::pair<int, int> json_pair(const json& j, const char* key, std::pair<int, int> def,
                              const std::string& where) {
  const json* v = find(j, key);
  if (!v) return def;
  if (v->is_number_integer()) return {v->get<int>(), v->get<int>()};
  if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() &&
      (*v)[1].is_number_integer())
    return {(*v)[0].get<int>(), (*v)[1].get<int>()};
  bad(where, key, "an integer or a pair [h, w] of integers");
}

}  // namespace cnn
