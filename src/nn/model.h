// A model: a directed acyclic graph of layers, built from a JSON description.
//
//   {
//     "name": "convnetjs-mnist",
//     "input": [1, 28, 28],                        // per-sample {C, H, W}
//     "init": "kaiming" | "xavier" | {"scheme": "normal", "std": 0.01},   (default kaiming)
//     "seed": 42,                                  // weights and dropout masks (default 42)
//     "layers": [
//       {"type": "conv2d", "name": "conv1", "filters": 8, "kernel": 5, "pad": 2},
//       {"type": "relu"},                          // input: the previous layer
//       {"type": "add", "inputs": ["conv1", "relu_2"]}   // explicit inputs; "input" is the model input
//     ]
//   }
// Unnamed layers are called <type>_<index> (1-based). The last layer is the output.
// Shapes are checked layer by layer when the model is built; an error names the layer.
//
// Initializers (weights only; biases start at 0, normalization and PReLU at their own defaults):
//   normal:  N(0, std^2), e.g. std 0.01 ("small random numbers" of the notes)
//   xavier:  N(0, 1/fan_in)       (the notes' Xavier/Glorot: std 1/sqrt(fan_in))
//   kaiming: N(0, 2/fan_in)       (He et al.; std sqrt(2/fan_in))
// with fan_in = F*F*C_in/groups for convolutions and the input features for dense layers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"
#include "nn/loss.h"

namespace cnn {

struct InitScheme {
  std::string scheme = "kaiming";
  float std = 0.01f;  // for "normal"
  static InitScheme from_json(const json& j);
  json to_json() const;
};

class Model {
 public:
  struct Node {
    std::string name;
    std::unique_ptr<Layer> layer;  // null for the input node
    std::vector<int> inputs;
    Shape shape;  // per-sample output shape
    Tensor out, grad;
    std::vector<Tensor> dx;  // scratch for the gradient of each input
    int consumers = 0;
  };

  // Builds and initializes the model; throws cnn::Error with a clear message on any problem.
  explicit Model(const json& desc);
  static Model from_string(const std::string& text);

  const Shape& input_shape() const { return nodes_[0].shape; }
  const Shape& output_shape() const { return nodes_.back().shape; }
  const std::string& name() const { return name_; }

  // x {N, C, H, W}; returns the output {N, ...}. The reference stays valid until the next call.
  const Tensor& forward(const Tensor& x, bool training);
  // Throws cnn::Error, naming the largest layer and the sizes, when a batch of this many images would
  // not fit the engine's limits (kMaxTensorElements, kMemoryBytes in size_limits.h). Called when the model is
  // built (batch 1) and by forward for each larger batch than checked before.
  void check_memory(std::size_t batch);
  // Per-layer timing (the profile): when set, forward and backward add each node's seconds at its
  // index (the vectors are resized to size()). Null pointers switch it off.
  void time_layers(std::vector<double>* forward_s, std::vector<double>* backward_s);
  // Back-propagates dL/doutput; parameter gradients are ADDED (call zero_grad first).
  void backward(const Tensor& dout);
  void zero_grad();

  // Parameters with qualified names "<layer>.<param>" (listed once, when the model is built, so a
  // training step that walks them allocates nothing).
  const std::vector<Param>& params() const { return params_; }
  std::vector<std::pair<std::string, Tensor*>> buffers();
  std::int64_t param_count();
  std::int64_t macs() const;
  void init(const InitScheme& scheme, std::uint32_t seed);

  // Layers by name; outputs of the last forward.
  std::size_t size() const { return nodes_.size(); }
  Node& node(std::size_t i) { return nodes_[i]; }
  const Node& node(std::size_t i) const { return nodes_[i]; }
  int find(const std::string& name) const;  // -1 when absent
  const Tensor& activation(const std::string& name) const;
  // dL/d(output) of a layer from the last backward ({N, ...}, the batch of that backward; a later
  // forward leaves it as it is). Throws cnn::Error when there is no such layer, for the model input
  // (no gradient flows back to the data), before any backward, and for a layer the last backward did
  // not reach (one that does not lead to the output).
  const Tensor& gradient(const std::string& name) const;

  // The architecture as a JSON description (rebuilds the same model).
  json description() const;
  // Keras-style table: layer, type, output shape, parameters, MACs, with totals.
  std::string summary();
  json summary_json();

  // A copy for inference with every batch-norm that directly follows a conv2d or dense layer
  // (and is its only consumer) folded into that layer's weights and bias:
  //   w' = w * gamma / sqrt(var + eps),  b' = (b - mean) * gamma / sqrt(var + eps) + beta.
  Model fold_batchnorm();
  // Copies parameters and buffers from another model with the same layer names and shapes.
  void copy_state_from(Model& other);

  // Transfer learning. The head is the last dense layer, or for a model without one (a
  // Network-in-Network head of 1x1 convolutions and global average pooling) the last conv2d;
  // head_name() is "" when there is neither.
  std::string head_name() const;
  // A copy whose head has `outputs` units (filters) and fresh weights (initialized as a new model
  // of this description would be: the init scheme and seed); every other parameter and buffer is
  // copied. A layer after the head whose parameters change shape with it (a batch norm, a PReLU)
  // starts fresh as well. Throws cnn::Error when there is no head or outputs < 1.
  Model replace_head(int outputs);

  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

 private:
  std::string name_;
  json desc_;
  InitScheme init_;
  std::uint32_t seed_ = 42;
  std::vector<Node> nodes_;
  std::vector<Param> params_;
  // Scratch of forward/backward, kept so that a training step allocates nothing after the first.
  std::vector<const Tensor*> in_;
  std::vector<Tensor*> dx_;
  std::vector<char> has_;          // also the record of the nodes the last backward reached (gradient() reads it)
  std::size_t checked_batch_ = 0;  // the largest batch check_memory accepted
  std::vector<double>*forward_s_ = nullptr, *backward_s_ = nullptr;
};

}  // namespace cnn
