#include "nn/layers/add.h"

#include <algorithm>

namespace cnn {

Shape Add::infer(const std::vector<Shape>& in) {
  if (in.size() < 2) fail("needs at least 2 inputs, got " + std::to_string(in.size()));
  for (const Shape& s : in)
    if (s != in[0]) fail("inputs must have the same shape, got " + shapes_str(in));
  macs_ = static_cast<std::int64_t>(shape_size(in[0])) * static_cast<std::int64_t>(in.size() - 1);
  return in[0];
}

void Add::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  ensure_same_shape(y, *x[0]);
  std::copy(x[0]->data(), x[0]->data() + x[0]->size(), y.data());
  for (std::size_t k = 1; k < x.size(); ++k)
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] += x[k]->data()[i];
}

void Add::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                   const std::vector<Tensor*>& dx) {
  for (std::size_t k = 0; k < dx.size(); ++k)
    if (dx[k]) {
      ensure_same_shape(*dx[k], *x[k]);
      std::copy(dy.data(), dy.data() + dy.size(), dx[k]->data());
    }
}

OnnxValue to_onnx(const Add& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  std::vector<std::string> names;
  bool any4d = false;
  for (auto& x : in) any4d = any4d || !x.flat;
  for (auto& x : in) names.push_back(any4d ? g.as4d(x, l.name()).name : x.name);
  return {g.add_node(names.size() == 2 ? "Add" : "Sum", names, l.name()), !any4d};
}

}  // namespace cnn
