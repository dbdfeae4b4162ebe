#include "nn/layers/pool_kind.h"

namespace cnn {

OnnxValue to_onnx(const Pool2D& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const std::string& name = l.name();
  const json cfg = l.config();
  const OnnxValue x = g.as4d(in[0], name);
  return {
      g.add_node(l.type() == "maxpool2d" ? "MaxPool" : "AveragePool", {x.name}, name,
                 {attr_ints("kernel_shape", onnx_pair(cfg["size"])), attr_ints("strides", onnx_pair(cfg["stride"]))}),
      false};
}

}  // namespace cnn
