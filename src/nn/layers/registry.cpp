// The one table of layer kinds (registry.h): one row per JSON "type", {name, factory, ONNX export,
// batch-norm fold rule}. A new kind is its file(s) in this folder and one row here.
#include "nn/layers/registry.h"

#include <algorithm>

#include "nn/layers/activation.h"
#include "nn/layers/add.h"
#include "nn/layers/batchnorm.h"
#include "nn/layers/concat.h"
#include "nn/layers/conv2d_kind.h"
#include "nn/layers/dense.h"
#include "nn/layers/dropout.h"
#include "nn/layers/flatten.h"
#include "nn/layers/global_avgpool.h"
#include "nn/layers/grouped_norm.h"
#include "nn/layers/lrn.h"
#include "nn/layers/maxout.h"
#include "nn/layers/pool_kind.h"
#include "nn/layers/prelu.h"

namespace cnn {

namespace {

// The row's functions for class T: its constructor, and its own to_onnx / bn_fold overloads
// (declared beside the class). The table pairs each name with the class its factory makes, so
// the layer handed to to_onnx / bn_fold (looked up by its type()) is a T.
template <class T>
std::unique_ptr<Layer> make(const json& desc) {
  return std::make_unique<T>(desc);
}
template <class T>
OnnxValue onnx(const Layer& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out) {
  return to_onnx(static_cast<const T&>(l), g, in, out);
}
template <class T>
BnFoldTarget fold(Layer& l) {
  return bn_fold(static_cast<T&>(l));
}
constexpr auto kNoFold = nullptr;  // cannot absorb a following batch norm

}  // namespace

// A function-local table: make_layer may run during static initialization elsewhere.
const std::vector<LayerKind>& layer_kinds() {
  // clang-format off
  static const std::vector<LayerKind> kinds{
      // name              factory               ONNX export           batch-norm fold
      {"conv2d",           make<Conv2D>,         onnx<Conv2D>,         fold<Conv2D>},
      {"depthwise_conv2d", make<Conv2D>,         onnx<Conv2D>,         fold<Conv2D>},
      {"maxpool2d",        make<Pool2D>,         onnx<Pool2D>,         kNoFold},
      {"avgpool2d",        make<Pool2D>,         onnx<Pool2D>,         kNoFold},
      {"global_avgpool",   make<GlobalAvgPool>,  onnx<GlobalAvgPool>,  kNoFold},
      {"dense",            make<Dense>,          onnx<Dense>,          fold<Dense>},
      {"flatten",          make<Flatten>,        onnx<Flatten>,        kNoFold},
      {"relu",             make<Activation>,     onnx<Activation>,     kNoFold},
      {"sigmoid",          make<Activation>,     onnx<Activation>,     kNoFold},
      {"tanh",             make<Activation>,     onnx<Activation>,     kNoFold},
      {"leaky_relu",       make<Activation>,     onnx<Activation>,     kNoFold},
      {"elu",              make<Activation>,     onnx<Activation>,     kNoFold},
      {"gelu",             make<Activation>,     onnx<Activation>,     kNoFold},
      {"prelu",            make<PReLU>,          onnx<PReLU>,          kNoFold},
      {"maxout",           make<Maxout>,         onnx<Maxout>,         kNoFold},
      {"batchnorm",        make<BatchNorm>,      onnx<BatchNorm>,      kNoFold},
      {"layernorm",        make<GroupedNorm>,    onnx<GroupedNorm>,    kNoFold},
      {"groupnorm",        make<GroupedNorm>,    onnx<GroupedNorm>,    kNoFold},
      {"lrn",              make<LRN>,            onnx<LRN>,            kNoFold},
      {"dropout",          make<Dropout>,        onnx<Dropout>,        kNoFold},
      {"add",              make<Add>,            onnx<Add>,            kNoFold},
      {"concat",           make<Concat>,         onnx<Concat>,         kNoFold},
  };
  // clang-format on
  return kinds;
}

std::vector<std::string> layer_types() {
  std::vector<std::string> v;
  for (const LayerKind& k : layer_kinds()) v.push_back(k.name);
  std::sort(v.begin(), v.end());
  return v;
}

const LayerKind& layer_kind(const std::string& type) {
  for (const LayerKind& k : layer_kinds())
    if (type == k.name) return k;
  std::string known;
  for (const std::string& n : layer_types()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown layer type '" + type + "' (known: " + known + ")");
}

std::unique_ptr<Layer> make_layer(const json& desc) {
  if (!desc.is_object()) throw Error("a layer description must be a JSON object, got " + desc.dump());
  auto it = desc.find("type");
  if (it == desc.end() || !it->is_string()) throw Error("a layer description needs a \"type\": " + desc.dump());
  return layer_kind(it->get<std::string>()).make(desc);
}

}  // namespace cnn
