// Export of a model's inference graph to ONNX (https://onnx.ai), written by hand: a tiny
// protocol-buffer writer (pb::Writer) and the few ONNX messages the graph needs, with their field
// numbers from onnx/onnx.proto (ONNX 1.x; the numbers are stable across releases). No library.
//
// The exported graph (opset 13, IR version 7):
//   input  "input"   float32 [N, C, H, W], N a symbolic batch dimension: raw pixels in [0, 1]
//                    (pixel / 255), exactly what the engine's batches hold before preprocessing.
//   output "logits"  float32 [N, D], the model's outputs (apply softmax for probabilities).
// The fitted preprocessing of a model file (Preprocess, saved under "preprocess") is part of the
// graph, so the ONNX model takes the same raw pixels as the engine:
//   mean:   Sub(x, mean)        mean [C, 1, 1] ("channel") or [C, H, W] ("pixel")
//   std:    Div(x, sigma)       sigma [C, 1, 1] (a constant channel, sigma < 1e-8, divides by 1)
//   whiten: Flatten -> Sub(whiten_mean) -> MatMul(W^T) -> Reshape [N, C, H, W]   (pca / zca)
//
// Layers, each to standard operators by its kind's export function (to_onnx, beside the layer; the
// kind table nn/layers/registry.h names it; it writes through nn/onnx_sink.h):
//   conv2d, depthwise_conv2d   Conv (group = groups; depthwise: group = C), weight/bias as is
//   maxpool2d, avgpool2d       MaxPool / AveragePool (no padding, floor mode)
//   global_avgpool             GlobalAveragePool
//   dense                      Flatten (when the input is 4-D) + Gemm(transB = 1)
//   flatten                    Flatten(axis 1)
//   relu, sigmoid, tanh        Relu, Sigmoid, Tanh
//   leaky_relu, elu            LeakyRelu(alpha = slope), Elu(alpha)
//   gelu                       x * 0.5 * (1 + Erf(x / sqrt 2))   (the exact form; opset 13 has no Gelu)
//   prelu                      PRelu, slope [C, 1, 1] (or [C] after a dense layer)
//   batchnorm                  BatchNormalization (inference: running averages), or folded into
//                              the preceding conv/dense when fold_batchnorm is set (Model::fold_batchnorm)
//   dropout                    nothing (the identity at inference)
//   add, concat                Add (Sum for 3 or more inputs), Concat(axis 1)
//   layernorm, groupnorm       ReduceMean / Sub / Mul / Sqrt / Div subgraphs (opset 13 has neither
//                              LayerNormalization nor GroupNormalization); groupnorm via Reshape
//                              [N, G, -1] and back
//   lrn                        LRN (odd sizes only: ONNX centres an even window differently from
//                              PyTorch and this engine, so an even size is refused)
//   maxout                     Reshape [N, C/k, k, H, W] + ReduceMax(axis 2)
// Vectors (outputs of dense and flatten, engine shape {F, 1, 1}) stay 2-D [N, F] in the graph
// while the consumers allow it, as a PyTorch export would; Unsqueeze makes them 4-D where needed.
// Parameter initializers keep the engine's names ("<layer>.weight", "<layer>.bias", ...), so the
// state can be matched to a PyTorch module of the same layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"

namespace cnn {

class Preprocess;

// Protocol-buffer wire format (https://protobuf.dev/programming-guides/encoding/): a message is a
// sequence of fields, each a key varint (field_number << 3 | wire_type) then the value:
//   wire type 0 (VARINT)  integers and enums, base-128 little-endian groups of 7 bits, the high bit
//                         set on every byte but the last; negative int32/int64 take 10 bytes
//                         (two's complement as uint64)
//   wire type 2 (LEN)     a varint length, then that many bytes: strings, bytes, nested messages
//   wire type 5 (I32)     4 bytes little-endian: float
// Repeated fields are written one element per key (onnx.proto is proto2, where repeated scalars
// are unpacked unless declared [packed = true]; parsers accept either).
namespace pb {
class Writer {
 public:
  void varint(std::uint64_t v);
  void key(int field, int wire_type) {
    varint(static_cast<std::uint64_t>(field) << 3 | static_cast<unsigned>(wire_type));
  }
  void int64(int field, std::int64_t v) {  // int32 fields are encoded the same way
    key(field, 0);
    varint(static_cast<std::uint64_t>(v));
  }
  void float32(int field, float v);
  void bytes(int field, const void* data, std::size_t size);
  void string(int field, const std::string& s) { bytes(field, s.data(), s.size()); }
  void message(int field, const Writer& m) { bytes(field, m.data().data(), m.data().size()); }
  const std::vector<std::uint8_t>& data() const { return buf_; }

 private:
  std::vector<std::uint8_t> buf_;
};
}  // namespace pb

struct OnnxOptions {
  bool fold_batchnorm = false;  // fold batch norms that follow a conv/dense into its weights
};

struct OnnxInfo {
  std::size_t nodes = 0, initializers = 0;
  std::int64_t parameters = 0;             // floats in the initializers
  std::vector<std::string> preprocessing;  // the preprocessing steps baked in ("mean", "std", "zca", ...)
  std::size_t outputs = 0;                 // D of "logits" [N, D]
  std::vector<std::string> ops;            // distinct operator types, sorted
};

constexpr int kOnnxOpset = 13;
constexpr int kOnnxIrVersion = 7;

// The ONNX ModelProto bytes of m's inference graph with the preprocessing `pre` (the identity when
// not fitted / not configured) in front. Throws cnn::Error naming the layer for a layer kind or
// configuration that has no ONNX form here.
std::vector<std::uint8_t> export_onnx(Model& m, const Preprocess& pre, const OnnxOptions& opt = {},
                                      OnnxInfo* info = nullptr);

}  // namespace cnn
