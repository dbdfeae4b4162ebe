#include "nn/layers/conv2d_kind.h"

namespace cnn {

OnnxValue to_onnx(const Conv2D& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const std::string& name = l.name();
  const json cfg = l.config();
  const OnnxValue x = g.as4d(in[0], name);
  std::vector<std::string> ins{x.name, g.add_tensor(name + ".weight", l.weight)};
  if (l.has_bias()) ins.push_back(g.add_tensor(name + ".bias", l.bias));
  const auto k = onnx_pair(cfg["kernel"]), st = onnx_pair(cfg["stride"]), p = onnx_pair(cfg["pad"]);
  return {
      g.add_node("Conv", ins, name,
                 {attr_ints("kernel_shape", k), attr_ints("strides", st), attr_ints("pads", {p[0], p[1], p[0], p[1]}),
                  attr_ints("dilations", {1, 1}), attr_i("group", l.groups())}),
      false};
}

BnFoldTarget bn_fold(Conv2D& l) { return {&l.weight, l.has_bias() ? &l.bias : nullptr}; }

}  // namespace cnn
