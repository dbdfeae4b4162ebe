// The only C++ that knows JavaScript: Embind bindings of the engine.
//
// From JS (Node or a worker):
//   const m = new Module.Model(jsonText);        // throws Error("<C++ message>") on a bad description
//   m.summary()            -> JSON text: layers with name, type, shape, params, macs; totals
//   m.description()        -> JSON text of the architecture
//   m.forward(Float32Array x, batch, training=false) -> Float32Array of the output (a copy)
//   m.trainStep(Float32Array x, Int32Array labels, batch, {lr, loss, l1, l2}) -> loss (plain SGD)
//   m.paramNames()         -> JSON text [{name, shape}]
//   m.getParam(name) / m.setParam(name, Float32Array)
//   m.activation(name)     -> {shape: [N,C,H,W], data: Float32Array} of the last forward
//   m.paramCount(), m.macs(), m.delete()
//   Module.buildInfo()     -> JSON text {simd, threads, version, engine_threads}
//   Module.setThreads(n)   -> threads the kernels use (pthreads build only)
// Every method catches C++ exceptions and rethrows them as JS Errors with the message, so the
// module stays usable after an error (../shared/TOOLCHAIN.md, quirk 6). Arrays cross as copies.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <thread>

#include "loss.h"
#include "model.h"
#include "optim/optimizer.h"
#include "parallel.h"

using emscripten::val;
using namespace cnn;

namespace {

[[noreturn]] void throw_js(const std::string& msg) { val::global("Error").new_(msg).throw_(); }

template <class F>
auto guard(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw_js(e.what());
  }
}

std::vector<float> floats_from(const val& arr) {
  if (arr.isNull() || arr.isUndefined()) throw Error("expected a Float32Array, got nothing");
  return emscripten::convertJSArrayToNumberVector<float>(arr);
}

val to_f32(const float* p, std::size_t n) { return val(emscripten::typed_memory_view(n, p)).call<val>("slice"); }

class ModelHandle {
 public:
  explicit ModelHandle(const std::string& text) : model_(guard([&] { return Model::from_string(text); })) {}

  std::string summary() {
    return guard([&] { return model_.summary_json().dump(); });
  }
  std::string description() {
    return guard([&] { return model_.description().dump(); });
  }
  double paramCount() {
    return guard([&] { return static_cast<double>(model_.param_count()); });
  }
  double macs() {
    return guard([&] { return static_cast<double>(model_.macs()); });
  }

  val forward(const val& input, int batch, bool training) {
    return guard([&] {
      const Tensor& y = model_.forward(batch_tensor(input, batch), training);
      return to_f32(y.data(), y.size());
    });
  }

  double trainStep(const val& input, const val& labels, int batch, const val& opts) {
    return guard([&] {
      const Tensor x = batch_tensor(input, batch);
      const std::vector<int> y = emscripten::convertJSArrayToNumberVector<int>(labels);
      const float lr = opts["lr"].isUndefined() ? 0.01f : opts["lr"].as<float>();
      const LossKind kind = opts["loss"].isUndefined() ? LossKind::softmax_cross_entropy
                                                       : loss_from_string(opts["loss"].as<std::string>());
      const Regularization reg{opts["l1"].isUndefined() ? 0.0f : opts["l1"].as<float>(),
                               opts["l2"].isUndefined() ? 0.0f : opts["l2"].as<float>()};
      if (!(lr > 0.0f)) throw Error("learning rate must be positive");
      model_.zero_grad();
      const Tensor& out = model_.forward(x, true);
      const float loss = compute_loss(kind, out, y, &grad_);
      model_.backward(grad_);
      auto params = model_.params();
      const double penalty = reg.apply(params, true);
      if (!sgd_) sgd_ = make_optimizer({{"type", "sgd"}, {"lr", lr}});
      sgd_->set_lr(lr);
      sgd_->step(params);
      return static_cast<double>(loss) + penalty;
    });
  }

  std::string paramNames() {
    return guard([&] {
      json j = json::array();
      for (auto& p : model_.params()) j.push_back({{"name", p.name}, {"shape", shape_of(*p.value)}});
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
      const Tensor& t = model_.activation(name);
      if (t.size() == 0) throw Error("layer '" + name + "' has no activation yet: run forward first");
      val r = val::object();
      val shape = val::array();
      for (std::size_t d : t.shape()) shape.call<void>("push", static_cast<double>(d));
      r.set("shape", shape);
      r.set("data", to_f32(t.data(), t.size()));
      return r;
    });
  }

 private:
  Tensor batch_tensor(const val& input, int batch) {
    const std::vector<float> v = floats_from(input);
    if (batch < 1) throw Error("batch must be at least 1");
    const Shape s = batch_shape(static_cast<std::size_t>(batch), model_.input_shape());
    if (v.size() != shape_size(s))
      throw Error("input has " + std::to_string(v.size()) + " values; a batch " + shape_str(s) + " needs " +
                  std::to_string(shape_size(s)));
    Tensor x = zeros(s);
    std::copy(v.begin(), v.end(), x.data());
    return x;
  }
  Tensor* find_param(const std::string& name) {
    for (auto& p : model_.params())
      if (p.name == name) return p.value;
    for (auto& [n, t] : model_.buffers())
      if (n == name) return t;
    throw Error("no parameter named '" + name + "'");
  }

  Model model_;
  Tensor grad_;
  std::unique_ptr<Optimizer> sgd_;  // trainStep's plain SGD
};

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
  emscripten::class_<ModelHandle>("Model")
      .constructor<std::string>()
      .function("summary", &ModelHandle::summary)
      .function("description", &ModelHandle::description)
      .function("paramCount", &ModelHandle::paramCount)
      .function("macs", &ModelHandle::macs)
      .function("forward", &ModelHandle::forward)
      .function("trainStep", &ModelHandle::trainStep)
      .function("paramNames", &ModelHandle::paramNames)
      .function("getParam", &ModelHandle::getParam)
      .function("setParam", &ModelHandle::setParam)
      .function("activation", &ModelHandle::activation);
  emscripten::function("buildInfo", &build_info);
  // Threads the kernels use (the pthreads build; a no-op in the single-threaded one).
  emscripten::function("setThreads", &set_num_threads);
}
