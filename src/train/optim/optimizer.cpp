// The optimizer base classes (step loop, checks, state) and the factory.
#include "train/optim/optimizer.h"

#include <algorithm>

#include "train/optim/optimizers.h"
#include "train/optim/options.h"

namespace cnn {

using optim_detail::Options;

void Optimizer::set_lr(float lr) {
  if (!(lr >= 0.0f)) optim_detail::require(false, name() + " optimizer", "lr", "a number >= 0", lr);
  lr_ = lr;
}

// ----------------------------------------------------------------------------- SlotOptimizer

void SlotOptimizer::step(const std::vector<Param>& params) {
  // Check everything first so a bad call changes nothing.
  for (const Param& p : params) {
    // The message is built only on failure: a training step allocates nothing.
    auto who = [&] { return name() + " optimizer: param '" + p.name + "'"; };
    if (!p.value || !p.grad) throw Error(who() + " has no " + (p.value ? "gradient" : "value"));
    const std::size_t n = p.value->size();
    if (p.grad->size() != n)
      throw Error(who() + " has a gradient of size " + std::to_string(p.grad->size()) + " for a value of size " +
                  std::to_string(n));
    auto it = slots_.find(p.name);
    if (it != slots_.end())
      for (const auto& b : it->second.buf)
        if (b.size() != n)
          throw Error(who() + " has size " + std::to_string(n) + " but its optimizer state has size " +
                      std::to_string(b.size()) + " (state from another model?)");
  }
  for (const Param& p : params) {
    const std::size_t n = p.value->size();
    auto it = slots_.find(p.name);
    if (it == slots_.end()) {  // first step of this param: allocate its buffers once
      Slot s;
      s.buf.reserve(buffer_names_.size());
      for (std::size_t k = 0; k < buffer_names_.size(); ++k) s.buf.emplace_back(n, buffer_init(k));
      it = slots_.emplace(p.name, std::move(s)).first;
    }
    Slot& s = it->second;
    ++s.step;
    update(p.value->data(), p.grad->data(), n, p.role == ParamRole::weight ? weight_decay_ : 0.0f, s);
  }
  ++steps_;
}

json SlotOptimizer::state() const {
  json params = json::object();
  for (const auto& [pname, s] : slots_) {
    json j = {{"step", s.step}};
    for (std::size_t k = 0; k < buffer_names_.size(); ++k) j[buffer_names_[k]] = s.buf[k];
    params[pname] = std::move(j);
  }
  return {{"type", name()}, {"step", steps_}, {"params", std::move(params)}};
}

namespace {

// Checks the envelope {"type", "step", "params"} shared by every kind's state; returns the step.
long check_state(const json& st, const std::string& kind) {
  const std::string who = kind + " optimizer: load_state";
  if (!st.is_object() || !st.contains("type") || !st["type"].is_string())
    throw Error(who + ": expected an object with \"type\", \"step\" and \"params\"");
  if (st["type"] != kind) throw Error(who + ": the state is for a '" + st["type"].get<std::string>() + "' optimizer");
  if (!st.contains("step") || !st["step"].is_number_integer() || st["step"].get<long>() < 0)
    throw Error(who + ": \"step\" must be an integer >= 0");
  if (!st.contains("params") || !st["params"].is_object()) throw Error(who + ": \"params\" must be an object");
  return st["step"].get<long>();
}

std::vector<float> float_array(const json& a, const std::string& who) {
  if (!a.is_array()) throw Error(who + " must be an array of numbers");
  std::vector<float> v;
  v.reserve(a.size());
  for (const json& e : a) {
    if (!e.is_number()) throw Error(who + " must be an array of numbers, found " + e.dump());
    v.push_back(e.get<float>());
  }
  return v;
}

}  // namespace

void SlotOptimizer::load_state(const json& st) {
  const long steps = check_state(st, name());
  std::unordered_map<std::string, Slot> slots;
  for (auto it = st["params"].begin(); it != st["params"].end(); ++it) {
    const std::string who = name() + " optimizer: load_state: param '" + it.key() + "'";
    const json& j = it.value();
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer() || j["step"].get<long>() < 0)
      throw Error(who + ": expected an object with an integer \"step\" >= 0");
    for (auto kv = j.begin(); kv != j.end(); ++kv)
      if (kv.key() != "step" && std::find(buffer_names_.begin(), buffer_names_.end(), kv.key()) == buffer_names_.end())
        throw Error(who + ": unknown buffer '" + kv.key() + "'");
    Slot s;
    s.step = j["step"].get<long>();
    for (const std::string& b : buffer_names_) {
      if (!j.contains(b)) throw Error(who + ": missing buffer '" + b + "'");
      s.buf.push_back(float_array(j[b], who + " buffer '" + b + "'"));
      if (s.buf.back().size() != s.buf.front().size()) throw Error(who + ": buffers of different sizes");
    }
    slots.emplace(it.key(), std::move(s));
  }
  slots_ = std::move(slots);
  steps_ = steps;
}

void SlotOptimizer::reset() {
  slots_.clear();
  steps_ = 0;
}

// ----------------------------------------------------------------------------- Lookahead

Lookahead::Lookahead(std::unique_ptr<Optimizer> inner, long k, double alpha)
    : Optimizer(inner ? inner->lr() : 0.0f, inner ? inner->weight_decay() : 0.0f),
      inner_(std::move(inner)),
      k_(k),
      alpha_(alpha) {
  const std::string where = "optimizer 'lookahead'";
  if (!inner_) throw Error(where + ": needs an inner optimizer");
  optim_detail::require(k >= 1, where, "k", "an integer >= 1", static_cast<double>(k));
  optim_detail::require(alpha >= 0.0 && alpha <= 1.0, where, "alpha", "in [0, 1]", alpha);
}

void Lookahead::set_lr(float lr) {
  inner_->set_lr(lr);
  lr_ = inner_->lr();
}

void Lookahead::step(const std::vector<Param>& params) {
  for (const Param& p : params) {
    auto it = slow_.find(p.name);
    if (p.value && it != slow_.end() && it->second.size() != p.value->size())
      throw Error("lookahead optimizer: param '" + p.name + "' has size " + std::to_string(p.value->size()) +
                  " but its slow weights have size " + std::to_string(it->second.size()) +
                  " (state from another model?)");
  }
  // Slow weights start as the params before their first update. The inner step checks the rest
  // and throws before anything changes; only then are new slow copies kept.
  std::vector<std::pair<const Param*, std::vector<float>>> fresh;
  for (const Param& p : params)
    if (p.value && !slow_.count(p.name))
      fresh.emplace_back(&p, std::vector<float>(p.value->data(), p.value->data() + p.value->size()));
  inner_->step(params);
  for (auto& [p, v] : fresh) slow_.emplace(p->name, std::move(v));
  ++steps_;
  if (steps_ % k_ != 0) return;
  const float a = static_cast<float>(alpha_);
  for (const Param& p : params) {
    float* __restrict s = slow_.find(p.name)->second.data();
    float* __restrict w = p.value->data();
    const std::size_t n = p.value->size();
    for (std::size_t i = 0; i < n; ++i) {
      s[i] += a * (w[i] - s[i]);
      w[i] = s[i];
    }
  }
}

json Lookahead::config() const {
  return {{"type", "lookahead"}, {"k", k_}, {"alpha", alpha_}, {"inner", inner_->config()}};
}

json Lookahead::state() const {
  json params = json::object();
  for (const auto& [pname, s] : slow_) params[pname] = {{"slow", s}};
  return {{"type", "lookahead"}, {"step", steps_}, {"inner", inner_->state()}, {"params", std::move(params)}};
}

void Lookahead::load_state(const json& st) {
  const long steps = check_state(st, "lookahead");
  if (!st.contains("inner")) throw Error("lookahead optimizer: load_state: missing \"inner\"");
  std::unordered_map<std::string, std::vector<float>> slow;
  for (auto it = st["params"].begin(); it != st["params"].end(); ++it) {
    const std::string who = "lookahead optimizer: load_state: param '" + it.key() + "'";
    if (!it.value().is_object() || it.value().size() != 1 || !it.value().contains("slow"))
      throw Error(who + ": expected {\"slow\": [...]}");
    slow.emplace(it.key(), float_array(it.value()["slow"], who + " slow weights"));
  }
  inner_->load_state(st["inner"]);
  slow_ = std::move(slow);
  steps_ = steps;
}

void Lookahead::reset() {
  inner_->reset();
  slow_.clear();
  steps_ = 0;
}

// ----------------------------------------------------------------------------- factory

namespace {
// The one table of optimizer kinds: name -> a constructor that reads its own options (and refuses
// the ones it does not know, o.done()). optimizer_types(), the error messages, the CLI's help and
// search's option check all come from it.
using OptimizerFactory = std::unique_ptr<Optimizer> (*)(Options&, const std::string& type);

std::unique_ptr<Optimizer> make_sgd(Options& o, const std::string&) {
  SgdOptions s;
  s.lr = o.num("lr", s.lr);
  s.momentum = o.num("momentum", s.momentum);
  s.nesterov = o.flag("nesterov", s.nesterov);
  s.weight_decay = o.num("weight_decay", s.weight_decay);
  o.done();
  return std::make_unique<Sgd>(s);
}

std::unique_ptr<Optimizer> make_adagrad(Options& o, const std::string&) {
  AdagradOptions s;
  s.lr = o.num("lr", s.lr);
  s.eps = o.num("eps", s.eps);
  s.initial_accumulator = o.num("initial_accumulator", s.initial_accumulator);
  s.weight_decay = o.num("weight_decay", s.weight_decay);
  o.done();
  return std::make_unique<Adagrad>(s);
}

std::unique_ptr<Optimizer> make_adadelta(Options& o, const std::string&) {
  AdadeltaOptions s;
  s.lr = o.num("lr", s.lr);
  s.rho = o.num("rho", s.rho);
  s.eps = o.num("eps", s.eps);
  s.weight_decay = o.num("weight_decay", s.weight_decay);
  o.done();
  return std::make_unique<Adadelta>(s);
}

std::unique_ptr<Optimizer> make_rmsprop(Options& o, const std::string&) {
  RmspropOptions s;
  s.lr = o.num("lr", s.lr);
  const bool alias = o.has("decay");
  if (alias && o.has("alpha")) throw Error(o.where() + ": give 'alpha' or its alias 'decay', not both");
  s.alpha = alias ? o.num("decay") : o.num("alpha", s.alpha);
  o.num(alias ? "alpha" : "decay", 0.0);  // absent; marks it as a known option
  s.eps = o.num("eps", s.eps);
  s.momentum = o.num("momentum", s.momentum);
  s.weight_decay = o.num("weight_decay", s.weight_decay);
  o.done();
  return std::make_unique<Rmsprop>(s);
}

// Adam and RAdam share their options.
std::unique_ptr<Optimizer> make_adam(Options& o, const std::string& type) {
  AdamOptions s;
  s.lr = o.num("lr", s.lr);
  s.beta1 = o.num("beta1", s.beta1);
  s.beta2 = o.num("beta2", s.beta2);
  s.eps = o.num("eps", s.eps);
  s.weight_decay = o.num("weight_decay", s.weight_decay);
  o.done();
  if (type == "radam") return std::make_unique<RAdam>(s);
  return std::make_unique<Adam>(s);
}

std::unique_ptr<Optimizer> make_lookahead(Options& o, const std::string&) {
  const long k = o.integer("k", 5);
  const double alpha = o.num("alpha", 0.5);
  const json& inner_cfg = o.sub("inner");
  o.done();
  std::unique_ptr<Optimizer> inner;
  try {
    inner = make_optimizer(inner_cfg);
  } catch (const Error& e) {
    throw Error(o.where() + ": option 'inner': " + e.what());
  }
  return std::make_unique<Lookahead>(std::move(inner), k, alpha);
}

struct OptimizerKind {
  const char* name;
  OptimizerFactory make;
};
constexpr OptimizerKind kOptimizers[] = {
    {"sgd", make_sgd},   {"adagrad", make_adagrad}, {"adadelta", make_adadelta},   {"rmsprop", make_rmsprop},
    {"adam", make_adam}, {"radam", make_adam},      {"lookahead", make_lookahead},
};
}  // namespace

std::vector<std::string> optimizer_types() {
  std::vector<std::string> names;
  for (const auto& k : kOptimizers) names.push_back(k.name);
  return names;
}

std::unique_ptr<Optimizer> make_optimizer(const json& cfg_in) {
  const json cfg = cfg_in.is_string() ? json{{"type", cfg_in}} : cfg_in;
  std::string known;
  for (const auto& k : kOptimizers) known += (known.empty() ? "" : ", ") + std::string(k.name);
  if (!cfg.is_object() || !cfg.contains("type") || !cfg["type"].is_string())
    throw Error("optimizer configuration needs a \"type\" (one of " + known + "), got " + cfg.dump());
  const std::string type = cfg["type"].get<std::string>();
  for (const auto& k : kOptimizers)
    if (type == k.name) {
      Options o(cfg, "optimizer '" + type + "'");
      return k.make(o, type);
    }
  throw Error("unknown optimizer type '" + type + "' (known: " + known + ")");
}

}  // namespace cnn
