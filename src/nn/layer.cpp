#include "nn/layer.h"

#include <cmath>

#include "core/size_limits.h"

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
[[noreturn]] void bad(const std::string& where, const char* key, const std::string& what, const std::string& got = "") {
  throw Error(where + ": '" + key + "' must be " + what + (got.empty() ? "" : ", got " + got.substr(0, 40)));
}

// Skips a JSON string starting at the opening quote; returns the position after the closing one.
std::size_t skip_string(const char* p, std::size_t i, std::size_t n) {
  for (++i; i < n; ++i) {
    if (p[i] == '\\')
      ++i;
    else if (p[i] == '"')
      return i + 1;
  }
  return n;
}

// Refuses nesting deeper than kMaxJsonDepth before the parser (and the code walking documents) recurse.
void check_json_depth(const char* p, std::size_t n, const std::string& what) {
  int depth = 0;
  for (std::size_t i = 0; i < n;) {
    const char c = p[i];
    if (c == '"') {
      i = skip_string(p, i, n);
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw Error(what + " nests deeper than " + std::to_string(kMaxJsonDepth) +
                    " levels of arrays and objects; it is not a file this engine wrote or reads");
    } else if (c == ']' || c == '}') {
      --depth;
    }
    ++i;
  }
}
}  // namespace

std::int64_t json_int(const json& j, const char* key, std::int64_t def, const std::string& where, std::int64_t lo,
                      std::int64_t hi) {
  const json* v = find(j, key);
  if (!v) return def;
  const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    const std::uint64_t u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi)) bad(where, key, range, v->dump());
    n = static_cast<std::int64_t>(u);
  } else if (v->is_number_integer()) {
    n = v->get<std::int64_t>();
  } else if (v->is_number_float()) {
    // 3.0 is 3; 28.5, 1e30 and NaN are refused (checked in double before any conversion).
    const double d = v->get<double>();
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi))) bad(where, key, range, v->dump());
    if (d != std::floor(d)) bad(where, key, range, v->dump());
    n = static_cast<std::int64_t>(d);
  } else {
    bad(where, key, range, v->dump());
  }
  if (n < lo || n > hi) bad(where, key, range, v->dump());
  return n;
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

std::pair<int, int> json_pair(const json& j, const char* key, std::pair<int, int> def, const std::string& where, int lo,
                              int hi) {
  const json* v = find(j, key);
  if (!v) return def;
  const std::string what =
      "an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + " or a pair [h, w] of such integers";
  const auto one = [&](const json& e) {
    if (!e.is_number_integer() || (e.is_number_unsigned() && e.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)))
      bad(where, key, what, v->dump());
    const std::int64_t n = e.get<std::int64_t>();
    if (n < lo || n > hi) bad(where, key, what, v->dump());
    return static_cast<int>(n);
  };
  if (v->is_number()) return {one(*v), one(*v)};
  if (v->is_array() && v->size() == 2) return {one((*v)[0]), one((*v)[1])};
  bad(where, key, what, v->dump());
}

json parse_json(const char* first, const char* last, const std::string& what) {
  check_json_depth(first, static_cast<std::size_t>(last - first), what);
  try {
    return json::parse(first, last);
  } catch (const json::exception& e) {
    throw Error(what + " is not valid JSON: " + e.what());
  }
}

json parse_json(const std::string& text, const std::string& what) {
  return parse_json(text.data(), text.data() + text.size(), what);
}

}  // namespace cnn
