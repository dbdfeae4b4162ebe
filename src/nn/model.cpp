#include "nn/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "nn/layers/batchnorm.h"
#include "nn/layers/registry.h"

namespace cnn {

InitScheme InitScheme::from_json(const json& j) {
  InitScheme s;
  if (j.is_null()) return s;
  if (j.is_string()) {
    s.scheme = j.get<std::string>();
  } else if (j.is_object()) {
    // an unknown key (e.g. "type" for "scheme") is refused, not silently replaced by the default
    for (const auto& item : j.items())
      if (item.key() != "scheme" && item.key() != "std")
        throw Error("init: unknown key '" + item.key().substr(0, 40) + "' (known: scheme, std)");
    s.scheme = j.value("scheme", std::string("kaiming"));
    s.std = static_cast<float>(json_num(j, "std", 0.01, "init"));
  } else {
    throw Error("init must be a scheme name or {\"scheme\": ..., \"std\": ...}");
  }
  if (s.scheme != "normal" && s.scheme != "xavier" && s.scheme != "kaiming")
    throw Error("unknown init scheme '" + s.scheme + "' (known: normal, xavier, kaiming)");
  if (!(s.std > 0.0f)) throw Error("init std must be positive");
  return s;
}

json InitScheme::to_json() const {
  if (scheme == "normal") return {{"scheme", scheme}, {"std", std}};
  return scheme;
}

Model Model::from_string(const std::string& text) { return Model(parse_json(text, "the model description")); }

// A function-try-block: a JSON value of an unexpected type anywhere in the description (a number where a
// name belongs) is a cnn::Error like every other refusal, never a library exception.
Model::Model(const json& desc) try : desc_(desc) {
  if (!desc.is_object()) throw Error("a model description must be a JSON object");
  if (desc.contains("name") && !desc["name"].is_string())
    throw Error("model: \"name\" must be a string, got " + desc["name"].dump().substr(0, 40));
  name_ = desc.value("name", std::string("model"));
  init_ = InitScheme::from_json(desc.contains("init") ? desc["init"] : json());
  seed_ = static_cast<std::uint32_t>(json_int(desc, "seed", 42, "model", 0, 0xFFFFFFFFll));
  auto in = desc.find("input");
  if (in == desc.end() || !in->is_array() || in->size() != 3)
    throw Error("model: \"input\" must be the per-sample shape [C, H, W], e.g. [1, 28, 28]");
  Node input;
  input.name = "input";
  for (auto& d : *in) {
    if (!d.is_number_integer() || d.get<long long>() < 1 || d.get<long long>() > kMaxDim ||
        (d.is_number_unsigned() && d.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxDim)))
      throw Error("model: input dimensions must be integers from 1 to " + std::to_string(kMaxDim) + ", got " +
                  in->dump());
    input.shape.push_back(d.get<std::size_t>());
  }
  try {
    check_tensor_size(input.shape);
  } catch (const Error& e) {
    throw Error(std::string("model: the input: ") + e.what());
  }
  nodes_.push_back(std::move(input));
  auto layers = desc.find("layers");
  if (layers == desc.end() || !layers->is_array() || layers->empty())
    throw Error("model: \"layers\" must be a non-empty array");
  std::map<std::string, int> index{{"input", 0}};
  int k = 0;
  for (const json& ld : *layers) {
    ++k;
    Node n;
    n.layer = make_layer(ld);
    n.name = ld.is_object() && ld.contains("name") && ld["name"].is_string()
                 ? ld["name"].get<std::string>()
                 : n.layer->type() + "_" + std::to_string(k);
    if (index.count(n.name)) throw Error("model: two layers are named '" + n.name + "'");
    n.layer->set_name(n.name);
    if (ld.contains("inputs")) {
      if (!ld["inputs"].is_array()) throw Error("layer '" + n.name + "': \"inputs\" must be an array of layer names");
      for (auto& r : ld["inputs"]) {
        if (!r.is_string() || !index.count(r.get<std::string>()))
          throw Error("layer '" + n.name + "': input " + r.dump() + " is not an earlier layer (or \"input\")");
        n.inputs.push_back(index[r.get<std::string>()]);
      }
    } else {
      n.inputs.push_back(static_cast<int>(nodes_.size()) - 1);
    }
    auto [lo, hi] = n.layer->arity();
    const int ni = static_cast<int>(n.inputs.size());
    if (ni < lo || ni > hi)
      throw Error("layer '" + n.name + "' (" + n.layer->type() + ") takes " + std::to_string(lo) +
                  (hi > lo ? " or more" : "") + " input(s), got " + std::to_string(ni));
    std::vector<Shape> shapes;
    for (int i : n.inputs) {
      shapes.push_back(nodes_[i].shape);
      nodes_[i].consumers++;
    }
    try {
      n.shape = n.layer->infer(shapes);
      check_tensor_size(n.shape);
    } catch (const Error& e) {
      // Layer::fail names the layer already; a size refused by check_tensor_size does not.
      const std::string msg = e.what();
      if (msg.rfind(n.layer->type() + " layer", 0) == 0) throw;
      throw Error(n.layer->type() + " layer '" + n.name + "': " + msg);
    }
    n.dx.resize(n.inputs.size());
    n.layer->set_seed(seed_ + static_cast<std::uint32_t>(k) * 7919u);
    index[n.name] = static_cast<int>(nodes_.size());
    nodes_.push_back(std::move(n));
  }
  for (auto& n : nodes_)
    if (n.layer)
      for (Param p : n.layer->params()) {
        p.name = n.name + "." + p.name;
        params_.push_back(p);
      }
  check_memory(1);
  init(init_, seed_);
} catch (const json::exception& e) {
  throw Error(std::string("the model description has a value of the wrong type: ") + e.what());
}

void Model::check_memory(std::size_t batch) {
  if (batch <= checked_batch_) return;
  // Parameters: value, gradient and up to two optimizer moments. Activations: each node's output
  // and its gradient, for the whole batch.
  std::uint64_t params = 0, acts = 0, largest = 0;
  std::size_t largest_at = 0;
  for (const Param& p : params_) params = add_sat(params, p.value->size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const std::uint64_t n = mul_sat(shape_elements(nodes_[i].shape), batch);
    acts = add_sat(acts, n);
    if (n > largest) largest = n, largest_at = i;
  }
  const std::string for_batch = " for a batch of " + std::to_string(batch);
  if (largest > kMaxTensorElements)
    throw Error("layer '" + nodes_[largest_at].name + "' would need " + bytes_str(mul_sat(largest, 4)) +
                " for its output" + for_batch + "; this engine holds at most " + bytes_str(kMaxTensorElements * 4) +
                " in one tensor");
  const std::uint64_t param_bytes = mul_sat(params, 16), act_bytes = mul_sat(acts, 8);
  if (add_sat(param_bytes, act_bytes) > kMemoryBytes)
    throw Error(name_ + " would need " + bytes_str(act_bytes) + " of activations" + for_batch + " (the largest, '" +
                nodes_[largest_at].name + "', " + bytes_str(mul_sat(largest, 4)) + ") and " + bytes_str(param_bytes) +
                " for its " + std::to_string(params) +
                " parameters with their gradients and optimizer state; this engine can use at most " +
                bytes_str(kMemoryBytes));
  checked_batch_ = batch;
}

int Model::find(const std::string& name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<int>(i);
  return -1;
}

const Tensor& Model::activation(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw Error("no layer named '" + name + "'");
  return nodes_[i].out;
}

const Tensor& Model::gradient(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw Error("no layer named '" + name + "'");
  if (i == 0) throw Error("'" + name + "' is the model input: no gradient flows back to the data");
  // has_ is backward's record of the nodes it reached (empty before the first backward).
  if (has_.size() != nodes_.size()) throw Error("layer '" + name + "' has no gradient yet: run a backward pass first");
  if (!has_[i])
    throw Error("layer '" + name +
                "' has no gradient: it does not lead to the output, so the last backward did not reach it");
  return nodes_[i].grad;
}

void Model::init(const InitScheme& scheme, std::uint32_t seed) {
  Rng rng(seed);
  for (auto& p : params()) {
    if (p.role == ParamRole::bias) p.value->fill(0.0f);
    if (p.role != ParamRole::weight) continue;
    const float fan = static_cast<float>(std::max<std::size_t>(p.fan_in, 1));
    const float sd = scheme.scheme == "normal"   ? scheme.std
                     : scheme.scheme == "xavier" ? 1.0f / std::sqrt(fan)
                                                 : std::sqrt(2.0f / fan);
    for (std::size_t i = 0; i < p.value->size(); ++i) p.value->data()[i] = sd * rng.normal();
  }
}

const Tensor& Model::forward(const Tensor& x, bool training) {
  const auto& xs = x.shape();
  if (xs.size() != 4 || !std::equal(input_shape().begin(), input_shape().end(), xs.begin() + 1) || xs[0] == 0)
    throw Error("model input: expected a batch {N, " + shape_str(input_shape()).substr(1) + " with N >= 1, got " +
                shape_str(shape_of(x)));
  check_memory(xs[0]);
  ensure_same_shape(nodes_[0].out, x);
  std::copy(x.data(), x.data() + x.size(), nodes_[0].out.data());
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    in_.clear();
    for (int j : n.inputs) in_.push_back(&nodes_[j].out);
    if (forward_s_) {
      const auto t0 = std::chrono::steady_clock::now();
      n.layer->forward(in_, n.out, training);
      (*forward_s_)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } else {
      n.layer->forward(in_, n.out, training);
    }
  }
  return nodes_.back().out;
}

void Model::time_layers(std::vector<double>* forward_s, std::vector<double>* backward_s) {
  forward_s_ = forward_s;
  backward_s_ = backward_s;
  if (forward_s_) forward_s_->resize(nodes_.size(), 0.0);
  if (backward_s_) backward_s_->resize(nodes_.size(), 0.0);
}

void Model::backward(const Tensor& dout) {
  Node& last = nodes_.back();
  if (!same_shape(dout, last.out))
    throw Error("backward: gradient " + shape_str(shape_of(dout)) + " does not match the output " +
                shape_str(shape_of(last.out)));
  std::vector<char>& has = has_;
  has.assign(nodes_.size(), 0);
  ensure_same_shape(last.grad, dout);
  std::copy(dout.data(), dout.data() + dout.size(), last.grad.data());
  has.back() = 1;
  std::vector<const Tensor*>& in = in_;
  std::vector<Tensor*>& dx = dx_;
  for (std::size_t i = nodes_.size() - 1; i >= 1; --i) {
    Node& n = nodes_[i];
    if (!has[i]) continue;  // does not reach the output
    in.clear();
    dx.clear();
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      in.push_back(&nodes_[n.inputs[k]].out);
      dx.push_back(n.inputs[k] == 0 ? nullptr : &n.dx[k]);  // no gradient for the data
    }
    if (backward_s_) {
      const auto t0 = std::chrono::steady_clock::now();
      n.layer->backward(in, n.out, n.grad, dx);
      (*backward_s_)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } else {
      n.layer->backward(in, n.out, n.grad, dx);
    }
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      const int j = n.inputs[k];
      if (j == 0) continue;
      Node& src = nodes_[j];
      if (!has[j]) {
        ensure_same_shape(src.grad, n.dx[k]);
        std::copy(n.dx[k].data(), n.dx[k].data() + n.dx[k].size(), src.grad.data());
        has[j] = 1;
      } else {
        for (std::size_t e = 0; e < src.grad.size(); ++e) src.grad.data()[e] += n.dx[k].data()[e];
      }
    }
  }
}

void Model::zero_grad() {
  for (auto& p : params()) p.grad->fill(0.0f);
}

std::vector<std::pair<std::string, Tensor*>> Model::buffers() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& n : nodes_)
    if (n.layer)
      for (auto& [k, t] : n.layer->buffers()) out.emplace_back(n.name + "." + k, t);
  return out;
}

std::int64_t Model::param_count() {
  std::int64_t s = 0;
  for (auto& p : params()) s += static_cast<std::int64_t>(p.value->size());
  return s;
}

std::int64_t Model::macs() const {
  std::int64_t s = 0;
  for (auto& n : nodes_)
    if (n.layer) s += n.layer->macs();
  return s;
}

json Model::description() const {
  json layers = json::array();
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    json l = n.layer->config();
    l["name"] = n.name;
    if (!(n.inputs.size() == 1 && n.inputs[0] == static_cast<int>(i) - 1)) {
      l["inputs"] = json::array();
      for (int j : n.inputs) l["inputs"].push_back(nodes_[j].name);
    }
    layers.push_back(l);
  }
  return {{"name", name_}, {"input", input_shape()}, {"init", init_.to_json()}, {"seed", seed_}, {"layers", layers}};
}

json Model::summary_json() {
  json rows = json::array();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    json r{{"name", n.name},
           {"type", n.layer ? n.layer->type() : "input"},
           {"shape", n.shape},
           {"params", n.layer ? n.layer->param_count() : 0},
           {"macs", n.layer ? n.layer->macs() : 0}};
    r["inputs"] = json::array();
    for (int j : n.inputs) r["inputs"].push_back(nodes_[j].name);
    if (n.layer) r["config"] = n.layer->config();
    if (n.layer && !n.layer->note().empty()) r["note"] = n.layer->note();
    rows.push_back(r);
  }
  return {{"name", name_}, {"layers", rows}, {"total_params", param_count()}, {"total_macs", macs()}};
}

static std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v), out;
  int c = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (c && c % 3 == 0 && *it != '-') out.push_back(',');
    out.push_back(*it);
    ++c;
  }
  return {out.rbegin(), out.rend()};
}

std::string Model::summary() {
  std::ostringstream os;
  const int w1 = 22, w2 = 18, w3 = 16, w4 = 12, w5 = 14;
  const std::string rule(w1 + w2 + w3 + w4 + w5, '-');
  os << "Model: " << name_ << "\n" << rule << "\n";
  os << std::left << std::setw(w1) << "Layer" << std::setw(w2) << "Type" << std::setw(w3) << "Output shape"
     << std::right << std::setw(w4) << "Params" << std::setw(w5) << "MACs"
     << "\n"
     << rule << "\n";
  for (auto& n : nodes_) {
    os << std::left << std::setw(w1) << n.name << std::setw(w2) << (n.layer ? n.layer->type() : "input")
       << std::setw(w3) << shape_str(n.shape) << std::right << std::setw(w4)
       << with_commas(n.layer ? n.layer->param_count() : 0) << std::setw(w5)
       << with_commas(n.layer ? n.layer->macs() : 0) << "\n";
  }
  os << rule << "\nTotal params: " << with_commas(param_count()) << "\nTotal MACs per image: " << with_commas(macs())
     << "\n";
  for (auto& n : nodes_)
    if (n.layer && !n.layer->note().empty()) os << "Note: " << n.name << " " << n.layer->note() << "\n";
  return os.str();
}

void Model::copy_state_from(Model& other) {
  auto mine = params();
  auto theirs = other.params();
  auto mb = buffers();
  auto tb = other.buffers();
  auto copy = [](const std::string& name, Tensor* dst, const Tensor* src) {
    if (shape_of(*dst) != shape_of(*src))
      throw Error("parameter '" + name + "': shape " + shape_str(shape_of(*src)) + " does not fit " +
                  shape_str(shape_of(*dst)));
    std::copy(src->data(), src->data() + src->size(), dst->data());
  };
  for (auto& p : mine)
    for (auto& q : theirs)
      if (p.name == q.name) copy(p.name, p.value, q.value);
  for (auto& p : mb)
    for (auto& q : tb)
      if (p.first == q.first) copy(p.first, p.second, q.second);
}

std::string Model::head_name() const {
  for (const char* type : {"dense", "conv2d"})
    for (std::size_t i = nodes_.size(); i-- > 1;)
      if (nodes_[i].layer->type() == type) return nodes_[i].name;
  return "";
}

Model Model::replace_head(int outputs) {
  const std::string head = head_name();
  if (head.empty()) throw Error("replace head: the model has no dense or conv2d layer to replace");
  if (outputs < 1) throw Error("replace head: the number of outputs must be at least 1");
  json d = description();
  for (json& l : d["layers"])
    if (l["name"] == head) l[l["type"] == "dense" ? "units" : "filters"] = outputs;
  Model out(d);
  auto copy = [&](const std::string& name, Tensor* dst, Tensor* src) {
    if (name.compare(0, head.size() + 1, head + ".") == 0 || shape_of(*dst) != shape_of(*src)) return;
    std::copy(src->data(), src->data() + src->size(), dst->data());
  };
  auto mine = params();
  for (auto& p : out.params())
    for (auto& q : mine)
      if (p.name == q.name) copy(p.name, p.value, q.value);
  auto mb = buffers();
  for (auto& p : out.buffers())
    for (auto& q : mb)
      if (p.first == q.first) copy(p.first, p.second, q.second);
  return out;
}

Model Model::fold_batchnorm() {
  json d = description();
  json& layers = d["layers"];
  // Which nodes does each node feed?
  std::vector<int> consumers(nodes_.size(), 0);
  for (auto& n : nodes_)
    for (int j : n.inputs) consumers[j]++;
  struct Fold {
    int bn, host;
  };
  std::vector<Fold> folds;
  std::map<std::string, std::string> rename;  // bn name -> host name
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (n.layer->type() != "batchnorm") continue;
    const int h = n.inputs[0];
    if (h == 0 || consumers[h] != 1) continue;
    if (!layer_kind(nodes_[h].layer->type()).bn_fold) continue;  // the kind cannot absorb a batch norm
    folds.push_back({static_cast<int>(i), h});
    rename[n.name] = nodes_[h].name;
  }
  json kept = json::array();
  for (auto& l : layers) {
    const std::string nm = l["name"];
    if (rename.count(nm)) continue;
    for (const Fold& f : folds)  // every kind with a fold rule takes "bias"
      if (nodes_[f.host].name == nm) l["bias"] = true;
    kept.push_back(l);
  }
  // References to a removed batch-norm now point at its host; implicit "previous layer" inputs
  // must become explicit, since removing a layer shifts what "previous" means.
  for (std::size_t i = 1, k = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (rename.count(n.name)) continue;
    json& l = kept[k++];
    l["inputs"] = json::array();
    for (int j : n.inputs) {
      std::string src = nodes_[j].name;
      if (rename.count(src)) src = rename[src];
      l["inputs"].push_back(src);
    }
  }
  d["layers"] = kept;
  Model out(d);
  out.copy_state_from(*this);
  for (const Fold& f : folds) {
    auto* bn = static_cast<BatchNorm*>(nodes_[f.bn].layer.get());
    Layer* host = out.nodes_[out.find(nodes_[f.host].name)].layer.get();
    const BnFoldTarget to = layer_kind(host->type()).bn_fold(*host);
    if (!to.bias) throw Error("fold_batchnorm: layer '" + host->name() + "' has no bias to fold into");
    Tensor *w = to.weight, *b = to.bias;
    // The host's own bias before folding (zero when it had none).
    Layer* orig = nodes_[f.host].layer.get();
    const Tensor* ob = layer_kind(orig->type()).bn_fold(*orig).bias;
    const std::size_t K = w->shape()[0], per = w->size() / K;
    for (std::size_t k = 0; k < K; ++k) {
      const float s = bn->weight.data()[k] / std::sqrt(bn->running_var.data()[k] + bn->eps());
      for (std::size_t e = 0; e < per; ++e) w->data()[k * per + e] *= s;
      const float b0 = ob ? ob->data()[k] : 0.0f;
      b->data()[k] = (b0 - bn->running_mean.data()[k]) * s + bn->bias.data()[k];
    }
  }
  return out;
}

}  // namespace cnn
