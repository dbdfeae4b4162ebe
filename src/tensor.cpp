#include "tensor.h"

#include <algorithm>
#include <sstream>

namespace cnn {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? "x" : "") << s[i];
  os << "]";
  return os.str();
}

Shape shape_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end()); }

std::size_t shape_size(const Shape& s) {
  std::size_t n = 1;
  for (std::size_t d : s) n *= d;
  return n;
}

Shape batch_shape(std::size_t n, const Shape& sample) {
  Shape s{n};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

Tensor zeros(const Shape& s) {
  Tensor t = Tensor::from_shape(s);
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
