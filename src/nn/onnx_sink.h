// The graph a layer kind writes its ONNX form into. Each kind's export function (beside the layer,
// named in the kind table, nn/layers/registry.h) adds operators and initializers through this
// interface; io/onnx.cpp implements it and encodes the result as an ONNX ModelProto. nn/ knows
// ONNX's operators and attributes, not its wire format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace cnn {

// A value of the graph: its name, and whether it is a 2-D [N, F] vector (the output of dense or
// flatten, engine shape {F, 1, 1}) rather than [N, C, H, W].
struct OnnxValue {
  std::string name;
  bool flat = false;
};

// A node attribute: a float, an int or a list of ints.
struct OnnxAttr {
  enum class Kind { f, i, ints };
  std::string name;
  Kind kind;
  float f = 0;
  std::int64_t i = 0;
  std::vector<std::int64_t> ints;
};
inline OnnxAttr attr_f(const std::string& n, float v) { return {n, OnnxAttr::Kind::f, v, 0, {}}; }
inline OnnxAttr attr_i(const std::string& n, std::int64_t v) { return {n, OnnxAttr::Kind::i, 0, v, {}}; }
inline OnnxAttr attr_ints(const std::string& n, std::vector<std::int64_t> v) {
  return {n, OnnxAttr::Kind::ints, 0, 0, std::move(v)};
}

class OnnxSink {
 public:
  virtual ~OnnxSink() = default;
  // Adds a node with one output, named `out` when that name is free (else out_1, out_2, ...);
  // returns the output's name.
  virtual std::string add_node(const std::string& op, std::vector<std::string> inputs, const std::string& out,
                               std::vector<OnnxAttr> attrs) = 0;
  // Adds a float32 initializer of shape dims holding data[0, n) (the name made unique likewise);
  // returns its name. Its floats count as the graph's parameters.
  virtual std::string add_floats(const std::string& name, std::vector<std::int64_t> dims, const float* data,
                                 std::size_t n) = 0;
  // Adds a 1-D int64 initializer (shapes, axes); returns its name.
  virtual std::string add_int64s(const std::string& name, const std::vector<std::int64_t>& v) = 0;
  // x as [N, F] (Flatten when it is 4-D), or as [N, F, 1, 1] (Unsqueeze when it is a vector).
  virtual OnnxValue as2d(const OnnxValue& x, const std::string& base) = 0;
  virtual OnnxValue as4d(const OnnxValue& x, const std::string& base) = 0;

  std::string add_node(const std::string& op, std::vector<std::string> inputs, const std::string& out) {
    return add_node(op, std::move(inputs), out, {});
  }
  std::string add_scalar(const std::string& name, float v) { return add_floats(name, {}, &v, 1); }
  // A tensor with its own shape.
  std::string add_tensor(const std::string& name, const Tensor& t) {
    std::vector<std::int64_t> dims;
    for (auto s : t.shape()) dims.push_back(static_cast<std::int64_t>(s));
    return add_floats(name, std::move(dims), t.data(), t.size());
  }
};

// Throws cnn::Error("onnx export: <type> layer '<name>': <why>") for a configuration with no ONNX form.
[[noreturn]] void onnx_refuse(const Layer& l, const std::string& why);

// A JSON size that is a scalar or an [h, w] pair, as the two ints of an ONNX attribute.
std::vector<std::int64_t> onnx_pair(const json& j);

}  // namespace cnn
