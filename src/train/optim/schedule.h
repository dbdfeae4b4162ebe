// Learning-rate schedules: the learning rate as a function of the iteration, built from JSON by
// make_schedule(cfg, base_lr). `it` is the 0-based iteration: the number of optimizer steps taken
// before the one that uses the rate (so lr(0) is the rate of the first step); base = base_lr,
// usually the optimizer's configured lr. Typical use, every iteration:
//   opt->set_lr(schedule->lr(it)); opt->step(params);
//
//   {"type": "constant"}
//        lr = base
//   {"type": "step", "step_size": 1000, "gamma": 0.1}                  (step_size required; the notes' step decay)
//        lr = base * gamma^floor(it / step_size)
//   {"type": "exponential", "gamma": 0.99, "decay_every": 1}          (gamma required)
//        lr = base * gamma^(it / decay_every)     (continuous exponent: it / decay_every is not rounded)
//        The notes' alpha0 * e^(-k t) is gamma = e^(-k) with decay_every 1.
//   {"type": "inverse_time", "k": 0.01}                              (k required; the notes' 1/t decay)
//        lr = base / (1 + k * it)
//   {"type": "cosine", "total": 10000, "warmup": 0, "min_lr": 0}     (total required)
//        it < warmup:            lr = base * it / warmup        (linear warm-up from 0; lr(0) = 0 when warmup > 0)
//        warmup <= it < total:   lr = min_lr + (base - min_lr) * (1 + cos(pi * (it - warmup) / (total - warmup))) / 2
//        it >= total:            lr = min_lr
//
// Rates are computed in double and returned as float. A bare string is read as {"type": <string>}.
// An unknown type or option, a missing required option or a value out of range (step_size >= 1,
// gamma > 0, decay_every > 0, k >= 0, 0 <= warmup < total, 0 <= min_lr <= base, base >= 0) throws
// cnn::Error naming it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cnn {

using json = nlohmann::json;

class Schedule {
 public:
  explicit Schedule(double base_lr) : base_(base_lr) {}
  virtual ~Schedule() = default;
  // The rate at iteration it >= 0; throws cnn::Error for a negative iteration.
  virtual float lr(long iteration) const = 0;
  virtual std::string name() const = 0;
  // The configuration with every option filled in (without the base rate).
  virtual json config() const = 0;
  double base_lr() const { return base_; }

 protected:
  void check_iteration(long it) const;
  double base_;
};

std::unique_ptr<Schedule> make_schedule(const json& cfg, float base_lr);
// The sizes a schedule leaves out, filled from the run's length (the presets, owned here; the page, the
// widget and the command line give only the type): cosine total = the run's iterations and warmup =
// min(total / 10, 500); step step_size = total / 3; exponential gamma = 0.01^(1/total) (the rate falls
// 100-fold over the run); inverse_time k = 10 / total. Given sizes are kept. A name is {"type": name}.
json resolve_schedule(const json& cfg, long total_iterations);
// "constant", "step", "exponential", "inverse_time", "cosine".
std::vector<std::string> schedule_types();

}  // namespace cnn
