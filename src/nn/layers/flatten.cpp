#include "nn/layers/flatten.h"

#include <algorithm>

namespace cnn {

Shape Flatten::infer(const std::vector<Shape>& in) { return {shape_size(single_input(in)), 1, 1}; }

void Flatten::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_shape_of(y, {in.shape()[0], in.size() / in.shape()[0], 1, 1});
  std::copy(in.data(), in.data() + in.size(), y.data());
}

void Flatten::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                       const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  ensure_same_shape(*dx[0], *x[0]);
  std::copy(dy.data(), dy.data() + dy.size(), dx[0]->data());
}

OnnxValue to_onnx(const Flatten& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  if (in[0].flat) return in[0];
  return {g.add_node("Flatten", {in[0].name}, l.name(), {attr_i("axis", 1)}), true};
}

}  // namespace cnn
