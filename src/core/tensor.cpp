#include "core/tensor.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <sstream>

#include "core/size_limits.h"

namespace cnn {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? "x" : "") << s[i];
  os << "]";
  return os.str();
}

std::string shapes_str(const std::vector<Shape>& s) {
  std::string r;
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + shape_str(s[i]);
  return r;
}

Shape shape_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end()); }

std::size_t shape_size(const Shape& s) {
  std::size_t n = 1;
  for (std::size_t d : s) n *= d;
  return n;
}

std::uint64_t shape_elements(const Shape& s) {
  std::uint64_t n = 1;
  for (std::size_t d : s) n = mul_sat(n, d);
  return n;
}

void check_tensor_size(const Shape& s) {
  const std::uint64_t n = shape_elements(s);
  if (n > kMaxTensorElements)
    throw Error("a tensor of shape " + shape_str(s) + " would need " + bytes_str(mul_sat(n, 4)) +
                "; this engine holds at most " + bytes_str(kMaxTensorElements * 4) + " in one tensor");
}

std::string bytes_str(std::uint64_t bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 6) v /= 1000.0, ++u;
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.*f %s", v < 10 ? 1 : 0, v, units[u]);
  return buf;
}

Shape batch_shape(std::size_t n, const Shape& sample) {
  Shape s{n};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

Tensor zeros(const Shape& s) {
  check_tensor_size(s);
  Tensor t;
  try {
    t = Tensor::from_shape(s);
  } catch (const std::bad_alloc&) {
    throw Error("out of memory: a tensor of shape " + shape_str(s) + " needs " +
                bytes_str(mul_sat(shape_elements(s), 4)) + " and the machine could not give it");
  }
  t.fill(0.0f);
  return t;
}

void ensure_shape(Tensor& t, const Shape& s) {
  if (t.dimension() == s.size() && std::equal(s.begin(), s.end(), t.shape().begin())) return;
  t = zeros(s);
}

bool same_shape(const Tensor& a, const Tensor& b) {
  return a.dimension() == b.dimension() && std::equal(a.shape().begin(), a.shape().end(), b.shape().begin());
}

bool has_shape(const Tensor& t, std::initializer_list<std::size_t> s) {
  return t.dimension() == s.size() && std::equal(s.begin(), s.end(), t.shape().begin());
}

void ensure_shape_of(Tensor& t, std::initializer_list<std::size_t> s) {
  if (!has_shape(t, s)) t = zeros(Shape(s));
}

void ensure_same_shape(Tensor& t, const Tensor& like) {
  if (!same_shape(t, like)) t = zeros(shape_of(like));
}

}  // namespace cnn
