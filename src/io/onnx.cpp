#include "io/onnx.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "data/preprocess.h"
#include "nn/layers/registry.h"

namespace cnn {

namespace pb {

void Writer::varint(std::uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::float32(int field, float v) {
  key(field, 5);
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
}

void Writer::bytes(int field, const void* data, std::size_t size) {
  key(field, 2);
  varint(size);
  const auto* p = static_cast<const std::uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + size);
}

}  // namespace pb

namespace {

// Field numbers of onnx/onnx.proto (message: field = number).
namespace field {
// ModelProto
constexpr int model_ir_version = 1;        // int64 ir_version = 1
constexpr int model_producer_name = 2;     // string producer_name = 2
constexpr int model_producer_version = 3;  // string producer_version = 3
constexpr int model_doc_string = 6;        // string doc_string = 6
constexpr int model_graph = 7;             // GraphProto graph = 7
constexpr int model_opset_import = 8;      // repeated OperatorSetIdProto opset_import = 8
constexpr int model_metadata_props = 14;   // repeated StringStringEntryProto metadata_props = 14
// OperatorSetIdProto
constexpr int opset_domain = 1;   // string domain = 1
constexpr int opset_version = 2;  // int64 version = 2
// StringStringEntryProto
constexpr int entry_key = 1;    // string key = 1
constexpr int entry_value = 2;  // string value = 2
// GraphProto
constexpr int graph_node = 1;         // repeated NodeProto node = 1
constexpr int graph_name = 2;         // string name = 2
constexpr int graph_initializer = 5;  // repeated TensorProto initializer = 5
constexpr int graph_doc_string = 10;  // string doc_string = 10
constexpr int graph_input = 11;       // repeated ValueInfoProto input = 11
constexpr int graph_output = 12;      // repeated ValueInfoProto output = 12
// NodeProto
constexpr int node_input = 1;      // repeated string input = 1
constexpr int node_output = 2;     // repeated string output = 2
constexpr int node_name = 3;       // string name = 3
constexpr int node_op_type = 4;    // string op_type = 4
constexpr int node_attribute = 5;  // repeated AttributeProto attribute = 5
// AttributeProto
constexpr int attr_name = 1;   // string name = 1
constexpr int attr_f = 2;      // float f = 2
constexpr int attr_i = 3;      // int64 i = 3
constexpr int attr_ints = 8;   // repeated int64 ints = 8
constexpr int attr_type = 20;  // AttributeType type = 20
// TensorProto
constexpr int tensor_dims = 1;       // repeated int64 dims = 1
constexpr int tensor_data_type = 2;  // int32 data_type = 2 (a TensorProto.DataType)
constexpr int tensor_name = 8;       // string name = 8
constexpr int tensor_raw_data = 9;   // bytes raw_data = 9 (little-endian)
// ValueInfoProto
constexpr int value_name = 1;  // string name = 1
constexpr int value_type = 2;  // TypeProto type = 2
// TypeProto
constexpr int type_tensor = 1;  // TypeProto.Tensor tensor_type = 1
// TypeProto.Tensor
constexpr int tensor_type_elem = 1;   // int32 elem_type = 1
constexpr int tensor_type_shape = 2;  // TensorShapeProto shape = 2
// TensorShapeProto
constexpr int shape_dim = 1;  // repeated Dimension dim = 1
// TensorShapeProto.Dimension
constexpr int dim_value = 1;  // int64 dim_value = 1
constexpr int dim_param = 2;  // string dim_param = 2
}  // namespace field

// AttributeProto.AttributeType
constexpr int kAttrFloat = 1, kAttrInt = 2, kAttrInts = 7;
// TensorProto.DataType
constexpr int kFloat = 1, kInt64 = 7;

struct Node {
  std::string op;
  std::vector<std::string> in, out;
  std::vector<OnnxAttr> attrs;
};

struct Init {
  std::string name;
  std::vector<std::int64_t> dims;
  int type;
  std::vector<std::uint8_t> raw;
};

using Val = OnnxValue;

// The graph being exported: nodes and initializers in the order they are added, names made unique.
// The layer kinds' export functions write into it through OnnxSink.
class Graph : public OnnxSink {
 public:
  // A fresh name: base itself when free, else base_1, base_2, ...
  std::string unique(const std::string& base) {
    std::string n = base;
    for (int k = 1; used_.count(n); ++k) n = base + "_" + std::to_string(k);
    used_.insert(n);
    return n;
  }
  // Adds a node; returns the name of its output (unique(out)).
  std::string op(const std::string& type, std::vector<std::string> in, const std::string& out,
                 std::vector<OnnxAttr> attrs = {}) {
    const std::string o = unique(out);
    nodes.push_back({type, std::move(in), {o}, std::move(attrs)});
    return o;
  }
  std::string floats(const std::string& base, std::vector<std::int64_t> dims, const float* data, std::size_t n) {
    std::int64_t count = 1;
    for (auto d : dims) count *= d;
    if (static_cast<std::size_t>(count) != n) throw Error("onnx export: initializer '" + base + "' has a bad size");
    Init t{unique(base), std::move(dims), kFloat, std::vector<std::uint8_t>(n * 4)};
    for (std::size_t i = 0; i < n; ++i) {  // little-endian, whatever the host
      std::uint32_t u;
      std::memcpy(&u, data + i, 4);
      for (int b = 0; b < 4; ++b) t.raw[i * 4 + b] = static_cast<std::uint8_t>(u >> (8 * b));
    }
    params += static_cast<std::int64_t>(n);
    inits.push_back(std::move(t));
    return inits.back().name;
  }
  std::string floats(const std::string& base, std::vector<std::int64_t> dims, const std::vector<float>& v) {
    return floats(base, std::move(dims), v.data(), v.size());
  }
  std::string scalar(const std::string& base, float v) { return floats(base, {}, &v, 1); }
  std::string int64s(const std::string& base, const std::vector<std::int64_t>& v) {
    Init t{unique(base), {static_cast<std::int64_t>(v.size())}, kInt64, std::vector<std::uint8_t>(v.size() * 8)};
    for (std::size_t i = 0; i < v.size(); ++i)
      for (int b = 0; b < 8; ++b)
        t.raw[i * 8 + b] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v[i]) >> (8 * b));
    inits.push_back(std::move(t));
    return inits.back().name;
  }

  // OnnxSink
  using OnnxSink::add_node;
  std::string add_node(const std::string& type, std::vector<std::string> in, const std::string& out,
                       std::vector<OnnxAttr> attrs) override {
    return op(type, std::move(in), out, std::move(attrs));
  }
  std::string add_floats(const std::string& base, std::vector<std::int64_t> dims, const float* data,
                         std::size_t n) override {
    return floats(base, std::move(dims), data, n);
  }
  std::string add_int64s(const std::string& base, const std::vector<std::int64_t>& v) override {
    return int64s(base, v);
  }
  Val as2d(const Val& x, const std::string& base) override {
    if (x.flat) return x;
    return {op("Flatten", {x.name}, base + "/flatten", {attr_i("axis", 1)}), true};
  }
  // A vector [N, F] back to the engine's {N, F, 1, 1}.
  Val as4d(const Val& x, const std::string& base) override {
    if (!x.flat) return x;
    if (axes23_.empty()) axes23_ = int64s("axes_2_3", {2, 3});
    return {op("Unsqueeze", {x.name, axes23_}, base + "/unsqueeze"), false};
  }

  std::vector<Node> nodes;
  std::vector<Init> inits;
  std::int64_t params = 0;

 private:
  std::set<std::string> used_;
  std::string axes23_;
};

// Writes a ValueInfoProto of a float tensor; a negative dimension is the symbolic batch "N".
pb::Writer value_info(const std::string& name, const std::vector<std::int64_t>& dims) {
  pb::Writer shape;
  for (auto d : dims) {
    pb::Writer dim;
    if (d < 0)
      dim.string(field::dim_param, "N");
    else
      dim.int64(field::dim_value, d);
    shape.message(field::shape_dim, dim);
  }
  pb::Writer tensor;
  tensor.int64(field::tensor_type_elem, kFloat);
  tensor.message(field::tensor_type_shape, shape);
  pb::Writer type;
  type.message(field::type_tensor, tensor);
  pb::Writer v;
  v.string(field::value_name, name);
  v.message(field::value_type, type);
  return v;
}

class Exporter {
 public:
  Exporter(Model& m, const Preprocess& pre) : m_(m), pre_(pre) {}

  std::vector<std::uint8_t> run(OnnxInfo* info) {
    g_.unique("input");
    g_.unique("logits");
    const Shape& in = m_.input_shape();
    std::vector<Val> v(m_.size());
    v[0] = preprocess({"input", false});
    for (std::size_t i = 1; i < m_.size(); ++i) {
      Model::Node& n = m_.node(i);
      std::vector<Val> ins;
      for (int j : n.inputs) ins.push_back(v[static_cast<std::size_t>(j)]);
      v[i] = layer(n, ins);
    }
    // The output: [N, D], named "logits".
    Val out = g_.as2d(v.back(), "output");
    if (out.name == "input") {
      g_.op("Identity", {out.name}, "logits");
    } else {
      for (Node& nd : g_.nodes) {
        for (auto& s : nd.out)
          if (s == out.name) s = "logits";
        for (auto& s : nd.in)
          if (s == out.name) s = "logits";
      }
    }
    const auto D = static_cast<std::int64_t>(shape_size(m_.output_shape()));

    pb::Writer graph;
    std::set<std::string> ops;
    for (const Node& nd : g_.nodes) {
      pb::Writer w;
      for (auto& s : nd.in) w.string(field::node_input, s);
      for (auto& s : nd.out) w.string(field::node_output, s);
      w.string(field::node_name, nd.out[0]);
      w.string(field::node_op_type, nd.op);
      for (const OnnxAttr& a : nd.attrs) {
        pb::Writer aw;
        aw.string(field::attr_name, a.name);
        if (a.kind == OnnxAttr::Kind::f) aw.float32(field::attr_f, a.f);
        if (a.kind == OnnxAttr::Kind::i) aw.int64(field::attr_i, a.i);
        if (a.kind == OnnxAttr::Kind::ints)
          for (auto x : a.ints) aw.int64(field::attr_ints, x);
        aw.int64(field::attr_type, a.kind == OnnxAttr::Kind::f   ? kAttrFloat
                                   : a.kind == OnnxAttr::Kind::i ? kAttrInt
                                                                 : kAttrInts);
        w.message(field::node_attribute, aw);
      }
      graph.message(field::graph_node, w);
      ops.insert(nd.op);
    }
    graph.string(field::graph_name, m_.name());
    for (const Init& t : g_.inits) {
      pb::Writer w;
      for (auto d : t.dims) w.int64(field::tensor_dims, d);
      w.int64(field::tensor_data_type, t.type);
      w.string(field::tensor_name, t.name);
      w.bytes(field::tensor_raw_data, t.raw.data(), t.raw.size());
      graph.message(field::graph_initializer, w);
    }
    std::string pre_desc = steps_.empty() ? "none" : "";
    for (auto& s : steps_) pre_desc += (pre_desc.empty() ? "" : ", ") + s;
    graph.string(field::graph_doc_string,
                 "Inference graph of '" + m_.name() +
                     "'. Input: raw pixels in [0, 1] (pixel / 255), NCHW. Preprocessing in the graph: " + pre_desc +
                     ". Output: logits (softmax gives the class probabilities).");
    graph.message(field::graph_input,
                  value_info("input", {-1, static_cast<std::int64_t>(in[0]), static_cast<std::int64_t>(in[1]),
                                       static_cast<std::int64_t>(in[2])}));
    graph.message(field::graph_output, value_info("logits", {-1, D}));

    pb::Writer model;
    model.int64(field::model_ir_version, kOnnxIrVersion);
    model.string(field::model_producer_name, "cnn");
    model.string(field::model_producer_version, "0.1.0");
    model.string(field::model_doc_string, "Exported by cnn export-onnx.");
    model.message(field::model_graph, graph);
    pb::Writer opset;
    opset.string(field::opset_domain, "");
    opset.int64(field::opset_version, kOnnxOpset);
    model.message(field::model_opset_import, opset);
    auto meta = [&](const std::string& k, const std::string& val) {
      pb::Writer e;
      e.string(field::entry_key, k);
      e.string(field::entry_value, val);
      model.message(field::model_metadata_props, e);
    };
    meta("preprocessing", pre_desc);
    meta("classes", std::to_string(D));

    if (info) {
      info->nodes = g_.nodes.size();
      info->initializers = g_.inits.size();
      info->parameters = g_.params;
      info->preprocessing = steps_;
      info->outputs = static_cast<std::size_t>(D);
      info->ops.assign(ops.begin(), ops.end());
    }
    return model.data();
  }

 private:
  [[noreturn]] void refuse(const Model::Node& n, const std::string& why) const {
    throw Error("onnx export: " + n.layer->type() + " layer '" + n.name + "': " + why);
  }

  Val preprocess(Val x) {
    const PreprocessConfig& c = pre_.config();
    if (pre_.is_identity()) return x;
    if (!pre_.fitted()) throw Error("onnx export: the model's preprocessing is not fitted");
    const Shape& s = pre_.shape();
    if (s != m_.input_shape())
      throw Error("onnx export: the preprocessing was fitted on " + shape_str(s) + " images, the model takes " +
                  shape_str(m_.input_shape()));
    const auto C = static_cast<std::int64_t>(s[0]), H = static_cast<std::int64_t>(s[1]),
               W = static_cast<std::int64_t>(s[2]);
    if (c.mean == PreprocessConfig::Mean::channel) {
      std::vector<float> mu(pre_.channel_mean().begin(), pre_.channel_mean().end());
      x.name = g_.op("Sub", {x.name, g_.floats("preprocess.mean", {C, 1, 1}, mu)}, "preprocess/sub_mean");
      steps_.push_back("subtract the channel mean");
    } else if (c.mean == PreprocessConfig::Mean::pixel) {
      x.name =
          g_.op("Sub", {x.name, g_.floats("preprocess.mean", {C, H, W}, pre_.pixel_mean())}, "preprocess/sub_mean");
      steps_.push_back("subtract the mean image");
    }
    if (c.std) {
      std::vector<float> sd;
      for (double v : pre_.channel_std()) sd.push_back(v > 1e-8 ? static_cast<float>(v) : 1.0f);
      x.name = g_.op("Div", {x.name, g_.floats("preprocess.std", {C, 1, 1}, sd)}, "preprocess/div_std");
      steps_.push_back("divide by the channel std");
    }
    if (c.whiten != PreprocessConfig::Whiten::none) {
      const std::size_t D = shape_size(s);
      const auto& Wm = pre_.whiten_matrix();
      std::vector<float> wt(D * D);  // z = y W^T: MatMul with W^T [D, D]
      for (std::size_t r = 0; r < D; ++r)
        for (std::size_t k = 0; k < D; ++k) wt[k * D + r] = Wm[r * D + k];
      const auto Di = static_cast<std::int64_t>(D);
      const std::string flat = g_.op("Flatten", {x.name}, "preprocess/flatten", {attr_i("axis", 1)});
      const std::string cen =
          g_.op("Sub", {flat, g_.floats("preprocess.whiten_mean", {Di}, pre_.whiten_mean())}, "preprocess/center");
      const std::string z =
          g_.op("MatMul", {cen, g_.floats("preprocess.whiten_matrix_t", {Di, Di}, wt)}, "preprocess/whiten");
      x.name = g_.op("Reshape", {z, g_.int64s("preprocess.shape", {-1, C, H, W})}, "preprocess/reshape");
      steps_.push_back(c.whiten == PreprocessConfig::Whiten::zca ? "ZCA whitening" : "PCA whitening");
    }
    return x;
  }

  // The node's layer, written by its kind's export function (nn/layers/registry.h).
  Val layer(const Model::Node& n, const std::vector<Val>& in) {
    const LayerKind& k = layer_kind(n.layer->type());
    if (!k.to_onnx) refuse(n, "this layer kind has no ONNX export");
    return k.to_onnx(*n.layer, g_, in, n.shape);
  }

  Model& m_;
  const Preprocess& pre_;
  Graph g_;
  std::vector<std::string> steps_;
};

}  // namespace

std::vector<std::uint8_t> export_onnx(Model& m, const Preprocess& pre, const OnnxOptions& opt, OnnxInfo* info) {
  if (opt.fold_batchnorm) {
    Model folded = m.fold_batchnorm();
    return Exporter(folded, pre).run(info);
  }
  return Exporter(m, pre).run(info);
}

}  // namespace cnn
