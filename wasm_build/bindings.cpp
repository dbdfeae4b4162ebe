// The only C++ that knows JavaScript: Embind bindings of the engine. They convert types and
// forward; everything else is in the engine (src/).
//
// The API as JavaScript sees it (every class, method and module function, with the shapes of the JSON
// texts) is declared in cnn_engine.d.ts next to this file; tests/js/dts.test.js checks that the two
// name the same things. JSON crosses as text, arrays as copies (typed arrays). Model files, checkpoints
// and the training-configuration check are the engine's (src/io/model_file.h).
//
// Errors: every entry point catches its C++ exceptions, keeps the message and returns normally (a
// default value), so every C++ frame unwinds and every Embind handle of its arguments is released.
// wasm_build/post.js wraps each entry point: after the call it takes the message and throws a JS
// Error with it. Throwing a JS exception through wasm frames instead (emscripten::val::throw_) leaks
// 16 bytes of wasm stack and the thrown handle per error: after ~330,000 errors the stack reaches the
// static data and the module breaks (docs/TOOLCHAIN.md).
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <cmath>
#include <limits>
#include <memory>
#include <thread>

#include "core/parallel.h"
#include "data/dataset.h"
#include "io/model_file.h"
#include "io/onnx.h"
#include "io/serialize.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "train/gradcheck.h"
#include "train/optim/optimizer.h"
#include "train/optim/vector_optimizer.h"
#include "train/profile.h"
#include "train/train_step.h"
#include "train/trainer.h"

using emscripten::val;
using namespace cnn;

namespace {

// The last entry point's error message, taken (and cleared) by post.js through Module.takeError.
std::string g_error;

std::string take_error() {
  std::string e;
  e.swap(g_error);
  return e;
}

// Runs f; a C++ exception is kept in g_error and a default value is returned (see the header).
template <class F>
auto guard(F&& f) -> decltype(f()) {
  using R = decltype(f());
  try {
    return f();
  } catch (const std::bad_alloc&) {
    g_error = "the engine ran out of memory (the browser gives a page's engine at most " + bytes_str(kMemoryBytes) +
              "); try a smaller model or batch";
  } catch (const std::exception& e) {
    g_error = *e.what() ? e.what() : "unknown C++ exception";
  } catch (...) {
    g_error = "unknown C++ exception";
  }
  if constexpr (std::is_void_v<R>)
    return;
  else if constexpr (std::is_pointer_v<R>)
    return nullptr;
  else if constexpr (std::is_same_v<R, val>)
    return val::undefined();
  else
    return R{};
}

// ---- conversions -------------------------------------------------------------------------------

std::string js_type(const val& v) {
  return val::global("Object")["prototype"]["toString"].call<std::string>("call", v);  // "[object Float32Array]"
}

std::vector<float> floats_from(const val& arr) {
  if (arr.isNull() || arr.isUndefined()) throw Error("expected a Float32Array, got nothing");
  return emscripten::convertJSArrayToNumberVector<float>(arr);
}

// A Uint8Array (a Node Buffer is one), Uint8ClampedArray or ArrayBuffer.
std::vector<std::uint8_t> bytes_from(val v, const std::string& what) {
  if (v.instanceof (val::global("ArrayBuffer"))) v = val::global("Uint8Array").new_(v);
  if (!v.instanceof (val::global("Uint8Array")) && !v.instanceof (val::global("Uint8ClampedArray")))
    throw Error(what + ": expected a Uint8Array, got " + js_type(v));
  return emscripten::convertJSArrayToNumberVector<std::uint8_t>(v);
}

val to_f32(const float* p, std::size_t n) { return val(emscripten::typed_memory_view(n, p)).call<val>("slice"); }
val to_u8(const std::vector<std::uint8_t>& b) {
  return val(emscripten::typed_memory_view(b.size(), b.data())).call<val>("slice");
}

// A tensor as {shape, data} (Model.activation, Model.gradient).
val shaped(const Tensor& t) {
  val r = val::object();
  val shape = val::array();
  for (std::size_t d : t.shape()) shape.call<void>("push", static_cast<double>(d));
  r.set("shape", shape);
  r.set("data", to_f32(t.data(), t.size()));
  return r;
}

// A plain JS value (object, array, string, number, boolean, null) as JSON. Unlike JSON.stringify it
// keeps NaN and infinities as numbers, so that the engine's own check names the option that holds one.
json json_from(const val& v, const std::string& what, int depth = 0) {
  if (depth > kMaxJsonDepth) throw Error(what + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  const std::string type = v.typeOf().as<std::string>();
  if (type == "number") return v.as<double>();
  if (type == "boolean") return v.as<bool>();
  if (type == "string") return v.as<std::string>();
  if (v.isNull() || v.isUndefined()) return nullptr;
  if (type == "object" && val::global("Array").call<bool>("isArray", v)) {
    json a = json::array();
    const int n = v["length"].as<int>();
    for (int i = 0; i < n; ++i) a.push_back(json_from(v[i], what, depth + 1));
    return a;
  }
  if (type == "object") {
    json o = json::object();
    const val keys = val::global("Object").call<val>("keys", v);
    const int n = keys["length"].as<int>();
    for (int i = 0; i < n; ++i) {
      const std::string k = keys[i].as<std::string>();
      o[k] = json_from(v[k], what, depth + 1);
    }
    return o;
  }
  throw Error(what + ": expected JSON data (objects, arrays, strings, numbers, booleans), got a " + type);
}

// A number as JavaScript writes it (NaN, Infinity), for messages.
std::string num_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return json(v).dump();
}

// opts[key] when it is a number (NaN included: the caller's check refuses it), def when absent.
double number_opt(const val& opts, const char* key, double def, const char* who) {
  const val v = opts[key];
  if (v.isUndefined() || v.isNull()) return def;
  if (v.typeOf().as<std::string>() != "number")
    throw Error(std::string(who) + ": option '" + key + "' must be a number, got " + js_type(v));
  return v.as<double>();
}
std::string string_opt(const val& opts, const char* key, const std::string& def, const char* who) {
  const val v = opts[key];
  if (v.isUndefined() || v.isNull()) return def;
  if (v.typeOf().as<std::string>() != "string")
    throw Error(std::string(who) + ": option '" + key + "' must be a string, got " + js_type(v));
  return v.as<std::string>();
}
void check_opts(const val& opts, const char* who) {
  if (opts.typeOf().as<std::string>() != "object" || opts.isNull())
    throw Error(std::string(who) + ": opts must be an object, got " + js_type(opts));
}

// ---- data --------------------------------------------------------------------------------------

class DatasetHandle {
 public:
  explicit DatasetHandle(Dataset d) : d_(std::make_shared<const Dataset>(std::move(d))) {}
  static DatasetHandle* create(const val& pixels, const val& labels, int n, int c, int h, int w, int classes) {
    return guard([&] {
      const auto px = bytes_from(pixels, "Dataset pixels");
      const auto lb = bytes_from(labels, "Dataset labels");
      return new DatasetHandle(dataset_from_memory(px.data(), px.size(), lb.data(), lb.size(), n, c, h, w, classes));
    });
  }

  double size() const { return static_cast<double>(d_->n); }
  int numClasses() const { return d_->num_classes; }
  val shape() const {
    val s = val::array();
    for (std::size_t v : d_->sample_shape()) s.call<void>("push", static_cast<double>(v));
    return s;
  }
  val image(int i) const {
    return guard([&] {
      const std::size_t idx = index(i, "image");
      Tensor x;
      std::vector<int> y;
      batch(*d_, &idx, 1, x, y, Preprocess());
      return to_f32(x.data(), x.size());
    });
  }
  int label(int i) const {
    return guard([&] { return d_->labels[index(i, "label")]; });
  }
  val split(int count, unsigned seed) const {
    return guard([&] {
      if (count < 0) throw Error("split: the validation count must not be negative, got " + std::to_string(count));
      auto [train, validation] = cnn::split(*d_, static_cast<std::size_t>(count), seed);
      val r = val::object();
      r.set("train", val(DatasetHandle(std::move(train))));
      r.set("validation", val(DatasetHandle(std::move(validation))));
      return r;
    });
  }

  const std::shared_ptr<const Dataset>& data() const { return d_; }

 private:
  std::size_t index(int i, const char* what) const {
    if (i < 0 || static_cast<std::size_t>(i) >= d_->n)
      throw Error(std::string(what) + ": index " + std::to_string(i) + " is out of range for " + std::to_string(d_->n) +
                  " images");
    return static_cast<std::size_t>(i);
  }
  std::shared_ptr<const Dataset> d_;  // shared with Trainings
};

// ---- models ------------------------------------------------------------------------------------

// A model handle holds a model file's model, preprocessing and metrics (what save() writes), shared with
// the Trainings using it. The page keeps no identity preprocessing: "null" stands for it.
void set_preprocess(ModelFile& f, Preprocess p) {
  if (p.is_identity())
    f.preprocess.reset();
  else
    f.preprocess = std::move(p);
}

class ModelHandle {
 public:
  explicit ModelHandle(std::shared_ptr<ModelFile> file) : file_(std::move(file)) {}
  static ModelHandle* create(const std::string& text) {
    return guard([&] { return new ModelHandle(std::make_shared<ModelFile>(Model::from_string(text))); });
  }
  // A checkpoint loads as its model: what a run adds ("training", "train_config") is Training.restore's.
  static ModelHandle* load(const val& bytes) {
    return guard([&] {
      const auto b = bytes_from(bytes, "loadModel");
      ModelFile f = ModelFile::decode(b.data(), b.size(), "model file");
      auto file = std::make_shared<ModelFile>(std::move(f.model));
      if (f.preprocess) set_preprocess(*file, std::move(*f.preprocess));
      file->metrics = std::move(f.metrics);
      return new ModelHandle(std::move(file));
    });
  }

  std::string summary() {
    return guard([&] { return model().summary_json().dump(); });
  }
  std::string layerInfo() {
    return guard([&] {
      json layers = model().summary_json()["layers"];
      for (std::size_t i = 0; i < model().size(); ++i) {
        Layer* l = model().node(i).layer.get();
        json ps = json::array(), bs = json::array();
        if (l) {
          for (const Param& p : l->params()) ps.push_back({{"name", p.name}, {"shape", shape_of(*p.value)}});
          for (const auto& [n, t] : l->buffers()) bs.push_back({{"name", n}, {"shape", shape_of(*t)}});
        }
        layers[i]["param_shapes"] = ps;
        layers[i]["buffer_shapes"] = bs;
      }
      return layers.dump();
    });
  }
  std::string description() {
    return guard([&] { return model().description().dump(); });
  }
  double paramCount() {
    return guard([&] { return static_cast<double>(model().param_count()); });
  }
  double macs() {
    return guard([&] { return static_cast<double>(model().macs()); });
  }

  val forward(const val& input, int batch, bool training) {
    return guard([&] {
      const Tensor& y = model().forward(batch_tensor(input, batch), training);
      return to_f32(y.data(), y.size());
    });
  }

  val predict(const val& input, int batch) {
    return guard([&] {
      Tensor x = batch_tensor(input, batch);
      file_->preprocessing().apply(x);
      const Tensor p = softmax(model().forward(x, false));
      return to_f32(p.data(), p.size());
    });
  }

  std::string evaluate(const DatasetHandle& d, int batch) {
    return guard([&] { return cnn::evaluate(model(), *d.data(), file_->preprocessing(), batch).to_json(true).dump(); });
  }

  // One step of the engine's train_step with the optimizer of opts.optimizer (plain SGD when absent),
  // kept between calls while that configuration stays the same; opts.lr sets its rate on every call.
  double trainStep(const val& input, const val& labels, int batch, const val& opts) {
    return guard([&] {
      const char* who = "trainStep";
      check_opts(opts, who);
      const Tensor x = batch_tensor(input, batch);
      const std::vector<int> y = emscripten::convertJSArrayToNumberVector<int>(labels);
      const json cfg = json_from(opts["optimizer"], "trainStep: option 'optimizer'");
      std::unique_ptr<Optimizer> fresh;
      if (!opt_ || cfg != opt_cfg_) {
        fresh = make_optimizer(cfg.is_null() ? json{{"type", "sgd"}} : cfg);
        // Another text may still be the same optimizer (defaults spelled out, keys in another order).
        if (opt_ && fresh->config() == opt_->config()) fresh.reset();
      }
      const double lr = number_opt(opts, "lr", fresh ? fresh->lr() : opt_lr_, who);
      if (!(lr > 0.0 && lr <= std::numeric_limits<float>::max()))
        throw Error("trainStep: option 'lr' must be a positive finite number, got " + num_text(lr));
      const StepOptions o = step_options(opts, who);
      // Every option is good: only now is a new optimizer kept (a refused call leaves the state).
      if (fresh) {
        opt_ = std::move(fresh);
        opt_lr_ = opt_->lr();  // the configured rate (sgd's 0.01 for plain SGD)
      }
      opt_cfg_ = cfg;
      opt_->set_lr(static_cast<float>(lr));
      return static_cast<double>(train_step(model(), x, y, model().params(), *opt_, grad_, o).loss);
    });
  }

  // The training step without the update: the loss, with every layer's gradient (gradient()) left.
  double backward(const val& input, const val& labels, int batch, const val& opts) {
    return guard([&] {
      const char* who = "backward";
      check_opts(opts, who);
      const Tensor x = batch_tensor(input, batch);
      const std::vector<int> y = emscripten::convertJSArrayToNumberVector<int>(labels);
      StepOptions o = step_options(opts, who);
      const val training = opts["training"];
      if (!training.isUndefined() && !training.isNull()) {
        if (training.typeOf().as<std::string>() != "boolean")
          throw Error("backward: option 'training' must be true or false, got " + js_type(training));
        o.training = training.as<bool>();
      }
      return static_cast<double>(compute_gradients(model(), x, y, model().params(), grad_, o).loss);
    });
  }

  // Analytic gradients beside central differences, entry by entry (gradcheck.h gradient_entries):
  // opts {loss, entries (per parameter, default 20), h (default 1e-3), training (default false),
  // param (just that parameter), scale: {param, factor} (the Lab's "break it")}. JSON {loss, h,
  // loss_noise, quotient_noise, params: [{name, shape, entries: [{index, analytic, numeric, left,
  // right, rel, kink}]}]}.
  std::string gradientCheck(const val& input, const val& labels, int batch, const val& opts) {
    return guard([&] {
      const char* who = "gradientCheck";
      check_opts(opts, who);
      const Tensor x = batch_tensor(input, batch);
      const std::vector<int> y = emscripten::convertJSArrayToNumberVector<int>(labels);
      const LossKind kind = loss_from_string(string_opt(opts, "loss", "softmax_cross_entropy", who));
      const double per = number_opt(opts, "entries", 20, who), h = number_opt(opts, "h", 1e-3, who);
      if (!(per >= 1 && per <= 1e6 && per == std::floor(per)))
        throw Error("gradientCheck: option 'entries' must be a whole number from 1 to 1000000, got " + num_text(per));
      if (!(h > 0 && h <= 1)) throw Error("gradientCheck: option 'h' must be a number in (0, 1], got " + num_text(h));
      bool training = false;
      const val t = opts["training"];
      if (!t.isUndefined() && !t.isNull()) {
        if (t.typeOf().as<std::string>() != "boolean")
          throw Error("gradientCheck: option 'training' must be true or false, got " + js_type(t));
        training = t.as<bool>();
      }
      GradEntriesOptions o;
      o.per_param = static_cast<std::size_t>(per);
      o.h = static_cast<float>(h);
      o.training = training;
      o.only = string_opt(opts, "param", "", who);
      const val sc = opts["scale"];
      if (!sc.isUndefined() && !sc.isNull()) {
        check_opts(sc, "gradientCheck: option 'scale'");
        o.scale_param = string_opt(sc, "param", "", who);
        o.scale = number_opt(sc, "factor", 1.0, who);
        if (!std::isfinite(o.scale)) throw Error("gradientCheck: the scale's factor must be finite");
      }
      const GradEntriesResult r = gradient_entries(model(), x, y, kind, o);
      json params = json::array();
      for (const GradEntries& t : r.params) {
        json es = json::array();
        for (const GradEntry& e : t.entries)
          es.push_back({{"index", e.index},
                        {"analytic", e.analytic},
                        {"numeric", e.numeric},
                        {"left", e.left},
                        {"right", e.right},
                        {"rel", e.rel},
                        {"kink", e.kink}});
        params.push_back({{"name", t.param}, {"shape", t.shape}, {"entries", es}});
      }
      return json{{"loss", r.loss},
                  {"h", h},
                  {"loss_noise", r.loss_noise},
                  {"quotient_noise", r.quotient_noise},
                  {"params", params}}
          .dump();
    });
  }

  // Per-layer times of training steps on one batch (profile.h).
  std::string profile(const val& input, const val& labels, int batch, double seconds) {
    return guard([&] {
      const Tensor x = batch_tensor(input, batch);
      const std::vector<int> y = emscripten::convertJSArrayToNumberVector<int>(labels);
      Model& m = model();
      const StepProfile p = profile_training(
          m,
          [&](int, const Tensor*& xs, const std::vector<int>*& ys) {
            xs = &x;
            ys = &y;
          },
          2, 3, seconds);
      json layers = json::array();
      for (std::size_t i = 1; i < m.size(); ++i)
        layers.push_back({{"name", m.node(i).name},
                          {"type", m.node(i).layer->type()},
                          {"macs", static_cast<double>(m.node(i).layer->macs()) * batch},
                          {"forward_ms", 1e3 * p.forward_s[i] / p.steps},
                          {"backward_ms", 1e3 * p.backward_s[i] / p.steps}});
      return json{{"batch", batch}, {"steps", p.steps}, {"step_ms", 1e3 * p.total_s / p.steps}, {"layers", layers}}
          .dump();
    });
  }

  std::string paramNames() {
    return guard([&] {
      json j = json::array();
      for (auto& p : model().params()) j.push_back({{"name", p.name}, {"shape", shape_of(*p.value)}});
      return j.dump();
    });
  }

  val getParam(const std::string& name) {
    return guard([&] {
      Tensor* t = find_param(name);
      return to_f32(t->data(), t->size());
    });
  }

  void setParam(const std::string& name, const val& data) {
    guard([&] {
      Tensor* t = find_param(name);
      const std::vector<float> v = floats_from(data);
      if (v.size() != t->size())
        throw Error("parameter '" + name + "' has " + std::to_string(t->size()) + " values, got " +
                    std::to_string(v.size()));
      std::copy(v.begin(), v.end(), t->data());
    });
  }

  val activation(const std::string& name) {
    return guard([&] {
      const Tensor& t = model().activation(name);
      // (a tensor never written has no dimensions, and xtensor counts one element for it)
      if (shape_of(t).empty() || t.size() == 0)
        throw Error("layer '" + name + "' has no activation yet: run forward first");
      return shaped(t);
    });
  }

  // dL/d(the layer's output) of the last backward pass (trainStep or backward).
  val gradient(const std::string& name) {
    return guard([&] { return shaped(model().gradient(name)); });
  }

  std::string preprocess() {
    return guard([&] { return file_->preprocess ? file_->preprocess->to_json().dump() : std::string("null"); });
  }
  void setPreprocess(const std::string& text) {
    guard([&] {
      const json j = parse_json(text, "setPreprocess");
      set_preprocess(*file_, j.is_null() ? Preprocess() : preprocess_for(j, model().input_shape()));
    });
  }
  std::string metrics() {
    return guard([&] { return file_->metrics.dump(); });
  }

  val save(const std::string& extra_text) {
    return guard([&] {
      const json extra = extra_text.empty() ? json::object() : parse_json(extra_text, "save: the extra sections");
      if (!extra.is_object()) throw Error("save: the extra sections must be a JSON object, got " + extra.dump());
      return to_u8(file_->encode(extra));
    });
  }
  // The inference graph with the preprocessing in front, as `cnn export-onnx` writes it.
  val exportOnnx(bool fold_batchnorm) {
    return guard([&] {
      OnnxOptions opt;
      opt.fold_batchnorm = fold_batchnorm;
      return to_u8(export_onnx(model(), file_->preprocessing(), opt));
    });
  }

  // A new model for inference with every batch norm that follows a conv2d or dense layer folded into
  // its weights and bias (Model::fold_batchnorm); the preprocessing and metrics go with it.
  ModelHandle* foldBatchnorm() {
    return guard([&] {
      auto file = std::make_shared<ModelFile>(model().fold_batchnorm());
      file->preprocess = file_->preprocess;
      file->metrics = file_->metrics;
      return new ModelHandle(std::move(file));
    });
  }

  const std::shared_ptr<ModelFile>& file() const { return file_; }

 private:
  Model& model() { return file_->model; }
  Tensor batch_tensor(const val& input, int batch) {
    const std::vector<float> v = floats_from(input);
    if (batch < 1) throw Error("batch must be at least 1");
    const Shape s = batch_shape(static_cast<std::size_t>(batch), model().input_shape());
    if (v.size() != shape_size(s))
      throw Error("input has " + std::to_string(v.size()) + " values; a batch " + shape_str(s) + " needs " +
                  std::to_string(shape_size(s)));
    Tensor x = zeros(s);
    std::copy(v.begin(), v.end(), x.data());
    return x;
  }
  Tensor* find_param(const std::string& name) {
    for (auto& p : model().params())
      if (p.name == name) return p.value;
    for (auto& [n, t] : model().buffers())
      if (n == name) return t;
    throw Error("no parameter named '" + name + "'");
  }

  // trainStep's and backward's loss and regularization options.
  StepOptions step_options(const val& opts, const char* who) {
    StepOptions o;
    o.loss = loss_from_string(string_opt(opts, "loss", "softmax_cross_entropy", who));
    const double l1 = number_opt(opts, "l1", 0.0, who), l2 = number_opt(opts, "l2", 0.0, who);
    for (const auto& [key, v] : {std::pair<const char*, double>{"l1", l1}, {"l2", l2}})
      if (!(v >= 0.0 && v <= std::numeric_limits<float>::max()))
        throw Error(std::string(who) + ": option '" + key + "' must be a finite number >= 0, got " + num_text(v));
    o.reg = Regularization{static_cast<float>(l1), static_cast<float>(l2)};
    return o;
  }

  std::shared_ptr<ModelFile> file_;
  Tensor grad_;
  std::unique_ptr<Optimizer> opt_;  // trainStep's optimizer
  json opt_cfg_;                    // the last call's opts.optimizer (null: plain SGD)
  float opt_lr_ = 0.01f;            // the rate when opts.lr is absent: the configured one
};

// ---- optimizers on raw vectors -----------------------------------------------------------------

// The engine's optimizer on a vector of numbers (train/optim/vector_optimizer.h): the Lab's loss surfaces.
class OptimizerHandle {
 public:
  static OptimizerHandle* create(const std::string& config) {
    return guard([&] { return new OptimizerHandle(parse_json(config, "Optimizer: the configuration")); });
  }
  val step(const val& params, const val& grads) {
    return guard([&] {
      std::vector<float> p = floats_from(params);
      const std::vector<float> g = floats_from(grads);
      if (g.size() != p.size())
        throw Error(opt_.config()["type"].get<std::string>() + " optimizer: step got " + std::to_string(p.size()) +
                    " params and " + std::to_string(g.size()) + " gradients");
      opt_.step(p.data(), g.data(), p.size());
      return to_f32(p.data(), p.size());
    });
  }
  void setLr(double lr) {
    guard([&] { opt_.set_lr(lr); });
  }
  double lr() const { return opt_.lr(); }
  std::string config() const {
    return guard([&] { return opt_.config().dump(); });
  }

 private:
  explicit OptimizerHandle(const json& config) : opt_(config) {}
  VectorOptimizer opt_;
};

std::string model_file_info_text(const val& bytes) {
  return guard([&] {
    const auto b = bytes_from(bytes, "modelFileInfo");
    return model_file_info(b.data(), b.size(), "model file").dump();
  });
}

// ---- training ----------------------------------------------------------------------------------

class TrainingHandle {
 public:
  TrainingHandle(const TrainingHandle&) = delete;  // the trainer's callbacks hold `this`
  TrainingHandle& operator=(const TrainingHandle&) = delete;
  static TrainingHandle* create(const ModelHandle& model, const DatasetHandle& train, const val& validation,
                                const std::string& config) {
    return guard([&] {
      std::shared_ptr<const Dataset> val_data;
      if (!validation.isNull() && !validation.isUndefined()) {
        if (!validation.instanceof (val::module_property("Dataset")))
          throw Error("Training: the validation set must be a Dataset or null, got " + js_type(validation));
        val_data = validation.as<DatasetHandle*>(emscripten::allow_raw_pointers())->data();
      }
      return new TrainingHandle(model.file(), train.data(), std::move(val_data), config);
    });
  }

  std::string run(int max_steps, double max_millis) {
    return guard([&] {
      losses_ = json::array();
      epochs_ = json::array();
      trainer_->run_for(max_millis / 1000.0, max_steps > 0 ? max_steps : -1);
      file_->metrics = training_metrics(*trainer_);
      json j = trainer_->progress().to_json();
      j["status"] = Trainer::status_name(trainer_->status());
      j["message"] = trainer_->message();
      j["losses"] = std::move(losses_);
      j["epochs_done"] = std::move(epochs_);
      return j.dump();
    });
  }

  std::string history() {
    return guard([&] { return training_metrics(*trainer_)["history"].dump(); });
  }
  std::string status() {
    return guard([&] { return std::string(Trainer::status_name(trainer_->status())); });
  }
  std::string message() {
    return guard([&] { return trainer_->message(); });
  }

  val checkpoint() {
    return guard([&] { return to_u8(file_->encode_checkpoint(*trainer_, config_)); });
  }

  // All or nothing: the model, preprocessing and trainer change only when the whole checkpoint fits.
  void restore(const val& bytes) {
    guard([&] {
      const auto b = bytes_from(bytes, "restore");
      Checkpoint c = read_checkpoint(b.data(), b.size(), file_->model, "checkpoint");
      const std::string keys = config_difference(trainer_->config(), c.config);
      if (!keys.empty())
        throw Error(
            "checkpoint: it was made with another training configuration (" + keys +
            " differ); create the Training with the checkpoint's configuration (modelFileInfo(bytes).training.config)");
      auto pre = std::make_unique<Preprocess>(c.preprocess ? std::move(*c.preprocess) : Preprocess());
      auto trainer = std::make_unique<Trainer>(file_->model, *train_, val_.get(), *pre, std::move(c.config));
      trainer->restore(c.training);
      file_->model.copy_state_from(c.weights);
      attach(std::move(trainer), std::move(pre));
    });
  }

  std::string evaluate(const DatasetHandle& d) {
    return guard([&] {
      return cnn::evaluate(file_->model, *d.data(), *pre_, 256, trainer_->config().loss).to_json(true).dump();
    });
  }

 private:
  TrainingHandle(std::shared_ptr<ModelFile> file, std::shared_ptr<const Dataset> train,
                 std::shared_ptr<const Dataset> validation, const std::string& config)
      : file_(std::move(file)),
        train_(std::move(train)),
        val_(std::move(validation)),
        config_(parse_json(config, "the training configuration")) {
    if (!config_.is_object()) throw Error("the training configuration must be a JSON object");
    json tc = config_;
    tc.erase("preprocess");
    auto pre = std::make_unique<Preprocess>();
    // The trainer checks first that model and data fit; the preprocessing is fitted afterwards.
    auto trainer = std::make_unique<Trainer>(file_->model, *train_, val_.get(), *pre, TrainConfig::from_json(tc));
    *pre = fit_preprocess(config_.value("preprocess", json(nullptr)), *train_);
    attach(std::move(trainer), std::move(pre));
  }

  void attach(std::unique_ptr<Trainer> trainer, std::unique_ptr<Preprocess> pre) {
    trainer->on_progress = [this](const Progress& p) { losses_.push_back(p.loss); };
    trainer->on_epoch = [this](const EpochRecord& r) { epochs_.push_back(r.to_json()); };
    trainer_ = std::move(trainer);
    pre_ = std::move(pre);
    set_preprocess(*file_, *pre_);
    file_->metrics = training_metrics(*trainer_);
  }

  std::shared_ptr<ModelFile> file_;  // shared ownership: JS may delete its handles at any time
  std::shared_ptr<const Dataset> train_, val_;
  json config_;                      // as given, "preprocess" included
  std::unique_ptr<Preprocess> pre_;  // the trainer's (it keeps a reference); a copy is on the model
  std::unique_ptr<Trainer> trainer_;
  json losses_, epochs_;  // of the current run()
};

// The allocator's own figures (dlmalloc's mallinfo): what the engine holds, not the size of the wasm
// memory, which only grows. The soak (scripts/soak.js) checks that "in_use" stays flat.
std::string heap_stats() {
  const struct mallinfo mi = mallinfo();
  return json{{"arena", static_cast<double>(mi.arena)},
              {"in_use", static_cast<double>(mi.uordblks)},
              {"free", static_cast<double>(mi.fordblks)}}
      .dump();
}

std::string build_info() {
  json j{{"simd", true}, {"version", "0.1.0"}};
#ifdef CNN_THREADS
  j["threads"] = true;
  j["hardware_concurrency"] = std::thread::hardware_concurrency();
  j["engine_threads"] = num_threads();
#else
  j["threads"] = false;
#endif
  return j.dump();
}

}  // namespace

EMSCRIPTEN_BINDINGS(cnn_engine) {
  emscripten::class_<DatasetHandle>("Dataset")
      .constructor(&DatasetHandle::create)
      .function("size", &DatasetHandle::size)
      .function("shape", &DatasetHandle::shape)
      .function("numClasses", &DatasetHandle::numClasses)
      .function("image", &DatasetHandle::image)
      .function("label", &DatasetHandle::label)
      .function("split", &DatasetHandle::split);
  emscripten::class_<ModelHandle>("Model")
      .constructor(&ModelHandle::create)
      .function("summary", &ModelHandle::summary)
      .function("layerInfo", &ModelHandle::layerInfo)
      .function("description", &ModelHandle::description)
      .function("paramCount", &ModelHandle::paramCount)
      .function("macs", &ModelHandle::macs)
      .function("forward", &ModelHandle::forward)
      .function("predict", &ModelHandle::predict)
      .function("evaluate", &ModelHandle::evaluate)
      .function("trainStep", &ModelHandle::trainStep)
      .function("profile", &ModelHandle::profile)
      .function("paramNames", &ModelHandle::paramNames)
      .function("getParam", &ModelHandle::getParam)
      .function("setParam", &ModelHandle::setParam)
      .function("activation", &ModelHandle::activation)
      .function("gradient", &ModelHandle::gradient)
      .function("backward", &ModelHandle::backward)
      .function("gradientCheck", &ModelHandle::gradientCheck)
      .function("preprocess", &ModelHandle::preprocess)
      .function("setPreprocess", &ModelHandle::setPreprocess)
      .function("metrics", &ModelHandle::metrics)
      .function("save", &ModelHandle::save)
      .function("exportOnnx", &ModelHandle::exportOnnx)
      .function("foldBatchnorm", &ModelHandle::foldBatchnorm, emscripten::allow_raw_pointers());
  emscripten::class_<TrainingHandle>("Training")
      .constructor(&TrainingHandle::create)
      .function("run", &TrainingHandle::run)
      .function("history", &TrainingHandle::history)
      .function("status", &TrainingHandle::status)
      .function("message", &TrainingHandle::message)
      .function("checkpoint", &TrainingHandle::checkpoint)
      .function("restore", &TrainingHandle::restore)
      .function("evaluate", &TrainingHandle::evaluate);
  emscripten::class_<OptimizerHandle>("Optimizer")
      .constructor(&OptimizerHandle::create)
      .function("step", &OptimizerHandle::step)
      .function("setLr", &OptimizerHandle::setLr)
      .function("lr", &OptimizerHandle::lr)
      .function("config", &OptimizerHandle::config);
  emscripten::function("loadModel", &ModelHandle::load, emscripten::allow_raw_pointers());
  emscripten::function("modelFileInfo", &model_file_info_text);
  emscripten::function("buildInfo", &build_info);
  // Threads the kernels use (the pthreads build; a no-op in the single-threaded one).
  emscripten::function("setThreads", &set_num_threads);
  emscripten::function("takeError", &take_error);
  emscripten::function("heapStats", &heap_stats);
}
