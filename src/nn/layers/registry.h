// The one table of layer kinds (layers/registry.cpp). One row per JSON "type" carries everything
// the engine does with a kind besides running it:
//   make     the constructor from the JSON description (the model builder, serialization and
//            the network diagram go through make_layer, nn/layer.h)
//   to_onnx  its ONNX form (io/onnx.cpp walks the model and calls it); null: none
//   bn_fold  where a batch norm that follows it folds in (Model::fold_batchnorm); null: it
//            cannot absorb one
// Each kind's functions live beside its class, in its own file. The tests iterate over the table:
// a kind without a gradient check (tests/nn/test_gradcheck.cpp) or a PyTorch golden file
// (tests/golden/<kind>.json) fails a test that names it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"
#include "nn/onnx_sink.h"

namespace cnn {

// The tensors a following batch norm folds into: weight with the output channel as its first
// dimension ({K, ...}), and bias {K}, null when the layer has none. Folding scales each weight row
// k by gamma_k / sqrt(var_k + eps) and sets bias_k = (bias_k - mean_k) * that + beta_k.
struct BnFoldTarget {
  Tensor* weight;
  Tensor* bias;
};

struct LayerKind {
  const char* name;
  std::unique_ptr<Layer> (*make)(const json& desc);
  // Writes the layer (inputs `in`, per-sample output shape `out`) into g; returns its output.
  OnnxValue (*to_onnx)(const Layer& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);
  BnFoldTarget (*bn_fold)(Layer& l);
};

// Every kind, in the table's order.
const std::vector<LayerKind>& layer_kinds();
// The row of a type; throws cnn::Error("unknown layer type ... (known: ...)").
const LayerKind& layer_kind(const std::string& type);

}  // namespace cnn
