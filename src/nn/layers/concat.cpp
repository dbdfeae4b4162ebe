#include "nn/layers/concat.h"

#include <algorithm>

namespace cnn {

Shape Concat::infer(const std::vector<Shape>& in) {
  if (in.size() < 2) fail("needs at least 2 inputs, got " + std::to_string(in.size()));
  std::size_t C = 0;
  for (const Shape& s : in) {
    if (s.size() != 3 || s[1] != in[0][1] || s[2] != in[0][2])
      fail("inputs must have the same height and width, got " + shapes_str(in));
    C += s[0];
  }
  return {C, in[0][1], in[0][2]};
}

void Concat::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const std::size_t N = x[0]->shape()[0], HW = x[0]->shape()[2] * x[0]->shape()[3];
  std::size_t C = 0;
  for (auto* t : x) C += t->shape()[1];
  ensure_shape_of(y, {N, C, x[0]->shape()[2], x[0]->shape()[3]});
  for (std::size_t n = 0; n < N; ++n) {
    float* out = y.data() + n * C * HW;
    for (auto* t : x) {
      const std::size_t len = t->shape()[1] * HW;
      std::copy(t->data() + n * len, t->data() + (n + 1) * len, out);
      out += len;
    }
  }
}

void Concat::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  const std::size_t N = x[0]->shape()[0], HW = x[0]->shape()[2] * x[0]->shape()[3];
  const std::size_t C = dy.shape()[1];
  std::size_t c0 = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const std::size_t len = x[k]->shape()[1] * HW;
    if (k < dx.size() && dx[k]) {
      ensure_same_shape(*dx[k], *x[k]);
      for (std::size_t n = 0; n < N; ++n) {
        const float* src = dy.data() + n * C * HW + c0 * HW;
        std::copy(src, src + len, dx[k]->data() + n * len);
      }
    }
    c0 += x[k]->shape()[1];
  }
}

OnnxValue to_onnx(const Concat& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  std::vector<std::string> names;
  bool any4d = false;
  for (auto& x : in) any4d = any4d || !x.flat;
  for (auto& x : in) names.push_back(any4d ? g.as4d(x, l.name()).name : x.name);
  return {g.add_node("Concat", names, l.name(), {attr_i("axis", 1)}), !any4d};
}

}  // namespace cnn
