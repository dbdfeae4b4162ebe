// The layer interface. One file per layer kind in src/nn/layers/; each declares its shapes,
// keeps forward and backward side by side, accumulates parameter gradients and calls kernels
// from src/kernels/ for the heavy loops.
//
// Contract (every layer):
//   infer(in)            per-sample input shapes {C,H,W} -> per-sample output shape; allocates the
//                        parameters; throws cnn::Error naming the layer and the shapes if they do not fit.
//   forward(x, y, train) y = f(x); y is resized as needed.
//   backward(x, y, dy, dx)
//                        writes dL/dx_i into *dx[i] (overwrites; dx[i] may be null when not needed)
//                        and ADDS dL/dparam into each parameter's gradient.
//   params()             learnable parameters with their gradients.
//   macs()               multiply-accumulates per sample for forward, known after infer.
//   note()               after infer, a remark on how the layer fits its input ("" if none), e.g. a
//                        convolution whose windows leave rows unread (nn/layers/window.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/size_limits.h"
#include "core/tensor.h"

namespace cnn {

using json = nlohmann::json;

enum class ParamRole {
  weight,  // randomly initialized from fan_in; regularized
  bias,    // zero; not regularized
  other,   // layer-defined constant (BN gamma/beta, PReLU slope); not regularized
};

struct Param {
  std::string name;
  Tensor* value;
  Tensor* grad;
  ParamRole role;
  std::size_t fan_in;  // for weights: inputs per output unit (F*F*C_in/groups for convolutions)
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string type() const = 0;
  virtual Shape infer(const std::vector<Shape>& in) = 0;
  virtual void forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) = 0;
  virtual void backward(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                        const std::vector<Tensor*>& dx) = 0;
  virtual std::vector<Param> params() { return {}; }
  // Non-learned state that is saved with the model (batch-norm running averages).
  virtual std::vector<std::pair<std::string, Tensor*>> buffers() { return {}; }
  virtual std::int64_t macs() const { return 0; }
  virtual std::string note() const { return ""; }
  // The layer's hyperparameters as its JSON description (without "name"/"inputs").
  virtual json config() const { return json{{"type", type()}}; }
  // Number of inputs this layer accepts: [min, max].
  virtual std::pair<int, int> arity() const { return {1, 1}; }
  // For layers with randomness (dropout): seeding, and the generator's state for checkpoints.
  virtual void set_seed(std::uint32_t) {}
  virtual std::string rng_state() const { return ""; }
  virtual void set_rng_state(const std::string&) {}

  std::int64_t param_count();
  const std::string& name() const { return name_; }
  void set_name(const std::string& n) { name_ = n; }

 protected:
  // Throws cnn::Error("<type> layer '<name>': <msg>").
  [[noreturn]] void fail(const std::string& msg) const;
  // The single input shape, checked to be 3-D.
  const Shape& single_input(const std::vector<Shape>& in) const;
  std::string name_;
};

// Reads optional hyperparameters with a clear error on a wrong type. Integers are checked conversions:
// a value outside [lo, hi], a fraction (28.5) or a non-number is refused with the range in the message,
// never truncated (4294967306 is not 10). Limits for sizes: kMaxDim (size_limits.h).
std::int64_t json_int(const json& j, const char* key, std::int64_t def, const std::string& where, std::int64_t lo,
                      std::int64_t hi);
double json_num(const json& j, const char* key, double def, const std::string& where);
bool json_bool(const json& j, const char* key, bool def, const std::string& where);
// A scalar or a [h, w] pair, each in [lo, hi].
std::pair<int, int> json_pair(const json& j, const char* key, std::pair<int, int> def, const std::string& where, int lo,
                              int hi);

// Parses JSON read from outside (a model description, a file header, a training configuration). Refuses
// nesting deeper than kMaxJsonDepth before parsing (the code that walks documents recurses per level).
// Errors are cnn::Error("<what> is not valid JSON: ...").
json parse_json(const std::string& text, const std::string& what);
json parse_json(const char* first, const char* last, const std::string& what);

// Builds a layer from its JSON description ({"type": ..., hyperparameters...}); the one table
// of layer kinds (layers/registry.cpp). Throws cnn::Error for an unknown type or bad values.
std::unique_ptr<Layer> make_layer(const json& desc);
std::vector<std::string> layer_types();

}  // namespace cnn
