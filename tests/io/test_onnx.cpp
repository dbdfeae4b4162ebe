// ONNX export: the protocol-buffer writer's encodings, and the structure of an exported model read
// back by a minimal decoder (the numerical check against ONNX Runtime is tests/js/onnx.test.js).
#include <cstring>
#include <map>

#include "data/dataset.h"
#include "io/onnx.h"
#include "test_util.h"

namespace cnn::test {

using Bytes = std::vector<std::uint8_t>;

TEST(Protobuf, Encodings) {
  pb::Writer w;
  w.varint(1);
  w.varint(300);  // the example of the protobuf documentation: ac 02
  w.varint(0);
  EXPECT_EQ(w.data(), (Bytes{0x01, 0xac, 0x02, 0x00}));
  pb::Writer i;
  i.int64(1, 150);  // 08 96 01
  i.int64(2, -1);   // negative: ten bytes
  EXPECT_EQ(i.data(), (Bytes{0x08, 0x96, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  pb::Writer s;
  s.string(2, "testing");  // 12 07 74 65 73 74 69 6e 67
  EXPECT_EQ(s.data(), (Bytes{0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}));
  pb::Writer f;
  f.float32(2, 1.0f);  // key 15, then 0x3f800000 little-endian
  EXPECT_EQ(f.data(), (Bytes{0x15, 0x00, 0x00, 0x80, 0x3f}));
  pb::Writer m;
  m.message(3, i);
  EXPECT_EQ(m.data()[0], 0x1a);
  EXPECT_EQ(m.data()[1], i.data().size());
  EXPECT_EQ(m.data().size(), 2 + i.data().size());
}

// A minimal protobuf reader: the fields of one message.
struct Field {
  int number, wire;
  std::uint64_t value;  // varint / fixed32
  Bytes bytes;          // length-delimited
};
static std::uint64_t read_varint(const Bytes& b, std::size_t& p) {
  std::uint64_t v = 0;
  for (int shift = 0; p < b.size(); shift += 7) {
    const std::uint8_t c = b[p++];
    v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) return v;
  }
  ADD_FAILURE() << "truncated varint";
  return v;
}
static std::vector<Field> fields(const Bytes& b) {
  std::vector<Field> out;
  std::size_t p = 0;
  while (p < b.size()) {
    const std::uint64_t key = read_varint(b, p);
    Field f{static_cast<int>(key >> 3), static_cast<int>(key & 7), 0, {}};
    if (f.wire == 0) {
      f.value = read_varint(b, p);
    } else if (f.wire == 2) {
      const std::uint64_t n = read_varint(b, p);
      if (p + n > b.size()) {
        ADD_FAILURE() << "truncated field";
        return out;
      }
      f.bytes.assign(b.begin() + static_cast<long>(p), b.begin() + static_cast<long>(p + n));
      p += n;
    } else if (f.wire == 5) {
      if (p + 4 > b.size()) return out;
      f.value = b[p] | b[p + 1] << 8 | b[p + 2] << 16 | static_cast<std::uint64_t>(b[p + 3]) << 24;
      p += 4;
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire;
      return out;
    }
    out.push_back(std::move(f));
  }
  return out;
}
static std::vector<Field> get(const std::vector<Field>& fs, int number) {
  std::vector<Field> out;
  for (const Field& f : fs)
    if (f.number == number) out.push_back(f);
  return out;
}
static std::string str(const Field& f) { return {f.bytes.begin(), f.bytes.end()}; }

static const char* kNet = R"({"name":"tiny","input":[1,6,6],"seed":3,"layers":[
  {"type":"conv2d","name":"conv","filters":4,"kernel":3,"pad":1},{"type":"batchnorm","name":"bn"},
  {"type":"relu","name":"relu"},{"type":"maxpool2d","name":"pool","size":2},{"type":"dropout","name":"drop","p":0.5},
  {"type":"dense","name":"fc","units":3}]})";

TEST(Onnx, ModelStructure) {
  Model m = Model::from_string(kNet);
  OnnxInfo info;
  const Bytes bytes = export_onnx(m, Preprocess(), {}, &info);
  const auto model = fields(bytes);
  // ModelProto: ir_version = 1, opset_import = 8 {domain = 1, version = 2}, graph = 7.
  ASSERT_EQ(get(model, 1).size(), 1u);
  EXPECT_EQ(get(model, 1)[0].value, static_cast<std::uint64_t>(kOnnxIrVersion));
  const auto opset = fields(get(model, 8).at(0).bytes);
  EXPECT_EQ(get(opset, 2).at(0).value, static_cast<std::uint64_t>(kOnnxOpset));
  const auto graph = fields(get(model, 7).at(0).bytes);
  EXPECT_EQ(str(get(graph, 2).at(0)), "tiny");
  // Nodes (GraphProto.node = 1; NodeProto op_type = 4, input = 1, output = 2).
  std::vector<std::string> ops;
  std::string last_out;
  for (const Field& n : get(graph, 1)) {
    const auto nf = fields(n.bytes);
    ops.push_back(str(get(nf, 4).at(0)));
    last_out = str(get(nf, 2).at(0));
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm"}));
  EXPECT_EQ(last_out, "logits");
  EXPECT_EQ(info.nodes, 6u);
  EXPECT_EQ(info.outputs, 3u);
  // Initializers (GraphProto.initializer = 5; TensorProto dims = 1, data_type = 2, name = 8, raw_data = 9)
  // carry the engine's parameter names and values.
  std::map<std::string, std::vector<Field>> inits;
  for (const Field& t : get(graph, 5)) {
    const auto tf = fields(t.bytes);
    inits[str(get(tf, 8).at(0))] = tf;
  }
  ASSERT_TRUE(inits.count("conv.weight"));
  ASSERT_TRUE(inits.count("bn.running_var"));
  ASSERT_TRUE(inits.count("fc.bias"));
  const auto& w = inits["conv.weight"];
  std::vector<std::uint64_t> dims;
  for (const Field& d : get(w, 1)) dims.push_back(d.value);
  EXPECT_EQ(dims, (std::vector<std::uint64_t>{4, 1, 3, 3}));
  EXPECT_EQ(get(w, 2).at(0).value, 1u);  // FLOAT
  const Bytes raw = get(w, 9).at(0).bytes;
  ASSERT_EQ(raw.size(), 36u * 4);
  for (auto& p : m.params())
    if (p.name == "conv.weight") EXPECT_EQ(std::memcmp(raw.data(), p.value->data(), raw.size()), 0);
  EXPECT_EQ(info.initializers, inits.size());
  // Input "input" [N, 1, 6, 6] (ValueInfoProto name = 1, type = 2 -> tensor_type = 1 -> shape = 2 -> dim = 1).
  const auto in = fields(get(graph, 11).at(0).bytes);
  EXPECT_EQ(str(get(in, 1).at(0)), "input");
  const auto shape = fields(get(fields(get(fields(get(in, 2).at(0).bytes), 1).at(0).bytes), 2).at(0).bytes);
  const auto dim = get(shape, 1);
  ASSERT_EQ(dim.size(), 4u);
  EXPECT_EQ(str(get(fields(dim[0].bytes), 2).at(0)), "N");  // dim_param: the dynamic batch
  EXPECT_EQ(get(fields(dim[3].bytes), 1).at(0).value, 6u);  // dim_value
  EXPECT_EQ(str(get(fields(get(graph, 12).at(0).bytes), 1).at(0)), "logits");
}

TEST(Onnx, FoldedBatchNormAndPreprocessing) {
  Model m = Model::from_string(kNet);
  Dataset d;
  d.n = 4, d.c = 1, d.h = 6, d.w = 6, d.num_classes = 3;
  for (std::size_t i = 0; i < 4 * 36; ++i) d.pixels.push_back(static_cast<std::uint8_t>(i * 7 % 256));
  d.labels = {0, 1, 2, 0};
  Preprocess pre(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  pre.fit(d);
  OnnxInfo info;
  OnnxOptions opt;
  opt.fold_batchnorm = true;
  export_onnx(m, pre, opt, &info);
  EXPECT_EQ(info.ops, (std::vector<std::string>{"Conv", "Div", "Flatten", "Gemm", "MaxPool", "Relu", "Sub"}));
  EXPECT_EQ(info.preprocessing, (std::vector<std::string>{"subtract the channel mean", "divide by the channel std"}));
  // A preprocessing fitted on other images is refused.
  Model other = Model::from_string(R"({"input":[1,5,5],"layers":[{"type":"dense","units":2}]})");
  EXPECT_THROW(export_onnx(other, pre), Error);
}

TEST(Onnx, EveryLayerKindExportsOrIsRefusedClearly) {
  // Each registered kind in a small graph; only an even LRN window has no ONNX form.
  for (const std::string& t : layer_types()) {
    json layer{{"type", t}, {"name", "x"}};
    json pre = json::array();
    if (t == "conv2d") layer["filters"] = 4, layer["kernel"] = 3;
    if (t == "depthwise_conv2d") layer["kernel"] = 3;
    if (t == "maxpool2d" || t == "avgpool2d") layer["size"] = 2;
    if (t == "dense") layer["units"] = 4;
    if (t == "maxout") layer["k"] = 2;
    if (t == "groupnorm") layer["groups"] = 2;
    if (t == "add" || t == "concat") {
      pre.push_back({{"type", "conv2d"}, {"name", "a"}, {"filters", 4}, {"kernel", 1}});
      pre.push_back({{"type", "conv2d"}, {"name", "b"}, {"filters", 4}, {"kernel", 1}, {"inputs", {"input"}}});
      layer["inputs"] = {"a", "b"};
    }
    json layers = pre;
    layers.push_back(layer);
    Model m(json{{"input", {4, 6, 6}}, {"layers", layers}});
    OnnxInfo info;
    EXPECT_NO_THROW(export_onnx(m, Preprocess(), {}, &info)) << t;
    EXPECT_GT(info.nodes, 0u) << t;
  }
  Model lrn = Model::from_string(R"({"input":[4,6,6],"layers":[{"type":"lrn","name":"n","size":4}]})");
  try {
    export_onnx(lrn, Preprocess());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lrn layer 'n': an even window size"), std::string::npos) << e.what();
  }
}

}  // namespace cnn::test
