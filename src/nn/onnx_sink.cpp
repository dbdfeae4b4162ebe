#include "nn/onnx_sink.h"

namespace cnn {

void onnx_refuse(const Layer& l, const std::string& why) {
  throw Error("onnx export: " + l.type() + " layer '" + l.name() + "': " + why);
}

std::vector<std::int64_t> onnx_pair(const json& j) {
  if (j.is_array() && j.size() == 2) return {j[0].get<std::int64_t>(), j[1].get<std::int64_t>()};
  const auto v = j.get<std::int64_t>();
  return {v, v};
}

}  // namespace cnn
