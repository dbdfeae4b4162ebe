// The one table of layer kinds: JSON "type" -> constructor. Serialization, the model builder
// and the network diagram all go through it.
#include <functional>
#include <map>

#include "nn/layers/activation.h"
#include "nn/layers/batchnorm.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/dense.h"
#include "nn/layers/dropout.h"
#include "nn/layers/merge.h"
#include "nn/layers/norm.h"
#include "nn/layers/pool.h"

namespace cnn {

namespace {
using Factory = std::function<std::unique_ptr<Layer>(const json&)>;
template <class T>
Factory make() {
  return [](const json& j) { return std::make_unique<T>(j); };
}
const std::map<std::string, Factory>& table() {
  static const std::map<std::string, Factory> t{
      {"conv2d", make<Conv2D>()},
      {"depthwise_conv2d", make<Conv2D>()},
      {"maxpool2d", make<Pool2D>()},
      {"avgpool2d", make<Pool2D>()},
      {"global_avgpool", make<GlobalAvgPool>()},
      {"dense", make<Dense>()},
      {"flatten", make<Flatten>()},
      {"relu", make<Activation>()},
      {"sigmoid", make<Activation>()},
      {"tanh", make<Activation>()},
      {"leaky_relu", make<Activation>()},
      {"elu", make<Activation>()},
      {"gelu", make<Activation>()},
      {"prelu", make<PReLU>()},
      {"maxout", make<Maxout>()},
      {"batchnorm", make<BatchNorm>()},
      {"layernorm", make<GroupedNorm>()},
      {"groupnorm", make<GroupedNorm>()},
      {"lrn", make<LRN>()},
      {"dropout", make<Dropout>()},
      {"add", make<Add>()},
      {"concat", make<Concat>()},
  };
  return t;
}
}  // namespace

std::unique_ptr<Layer> make_layer(const json& desc) {
  if (!desc.is_object()) throw Error("a layer description must be a JSON object, got " + desc.dump());
  auto it = desc.find("type");
  if (it == desc.end() || !it->is_string()) throw Error("a layer description needs a \"type\": " + desc.dump());
  const std::string t = it->get<std::string>();
  auto f = table().find(t);
  if (f == table().end()) {
    std::string known;
    for (auto& [k, v] : table()) known += (known.empty() ? "" : ", ") + k;
    throw Error("unknown layer type '" + t + "' (known: " + known + ")");
  }
  return f->second(desc);
}

std::vector<std::string> layer_types() {
  std::vector<std::string> v;
  for (auto& [k, f] : table()) v.push_back(k);
  return v;
}

}  // namespace cnn
