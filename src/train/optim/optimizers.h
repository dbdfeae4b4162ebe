// The optimizer kinds as C++ classes (make_optimizer builds them from JSON; optimizer.h documents
// every update rule). Constructors validate their options and throw cnn::Error naming the bad one.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "train/optim/optimizer.h"

namespace cnn {

// Base of the kinds with per-parameter buffers: owns the buffers keyed by param name, the step
// loop, the checks and the state (de)serialization. A kind supplies its buffer names and the
// element-wise update.
class SlotOptimizer : public Optimizer {
 public:
  void step(const std::vector<Param>& params) override;
  json state() const override;
  void load_state(const json& state) override;
  void reset() override;

 protected:
  struct Slot {
    long step = 0;                        // t: steps taken by this param, including the current one
    std::vector<std::vector<float>> buf;  // one per buffer name, each the param's size
  };
  SlotOptimizer(float lr, float weight_decay, std::vector<std::string> buffer_names)
      : Optimizer(lr, weight_decay), buffer_names_(std::move(buffer_names)) {}
  // Initial value of buffer k (0 except adagrad's accumulator).
  virtual float buffer_init(std::size_t) const { return 0.0f; }
  // Updates n elements of w in place from g; wd is the weight decay for this param (0 unless a weight);
  // s.step has already been advanced.
  virtual void update(float* w, const float* g, std::size_t n, float wd, Slot& s) = 0;

  std::vector<std::string> buffer_names_;
  std::unordered_map<std::string, Slot> slots_;
};

struct SgdOptions {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};
class Sgd : public SlotOptimizer {
 public:
  explicit Sgd(const SgdOptions& o);
  std::string name() const override { return "sgd"; }
  json config() const override;

 private:
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  SgdOptions o_;
};

struct AdagradOptions {
  double lr = 1e-2, eps = 1e-10, initial_accumulator = 0.0, weight_decay = 0.0;
};
class Adagrad : public SlotOptimizer {
 public:
  explicit Adagrad(const AdagradOptions& o);
  std::string name() const override { return "adagrad"; }
  json config() const override;

 private:
  float buffer_init(std::size_t) const override { return static_cast<float>(o_.initial_accumulator); }
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  AdagradOptions o_;
};

struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0.0;
};
class Adadelta : public SlotOptimizer {
 public:
  explicit Adadelta(const AdadeltaOptions& o);
  std::string name() const override { return "adadelta"; }
  json config() const override;

 private:
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  AdadeltaOptions o_;
};

struct RmspropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0.0, weight_decay = 0.0;
};
class Rmsprop : public SlotOptimizer {
 public:
  explicit Rmsprop(const RmspropOptions& o);
  std::string name() const override { return "rmsprop"; }
  json config() const override;

 private:
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  RmspropOptions o_;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};
class Adam : public SlotOptimizer {
 public:
  explicit Adam(const AdamOptions& o);
  std::string name() const override { return "adam"; }
  json config() const override;

 private:
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  AdamOptions o_;
};

// Same options and defaults as adam.
class RAdam : public SlotOptimizer {
 public:
  explicit RAdam(const AdamOptions& o);
  std::string name() const override { return "radam"; }
  json config() const override;

 private:
  void update(float* w, const float* g, std::size_t n, float wd, Slot& s) override;
  AdamOptions o_;
};

class Lookahead : public Optimizer {
 public:
  Lookahead(std::unique_ptr<Optimizer> inner, long k = 5, double alpha = 0.5);
  void step(const std::vector<Param>& params) override;
  void set_lr(float lr) override;
  std::string name() const override { return "lookahead"; }
  json config() const override;
  json state() const override;
  void load_state(const json& state) override;
  void reset() override;
  Optimizer& inner() { return *inner_; }

 private:
  std::unique_ptr<Optimizer> inner_;
  long k_;
  double alpha_;
  std::unordered_map<std::string, std::vector<float>> slow_;
};

}  // namespace cnn
