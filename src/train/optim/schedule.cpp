// Learning-rate schedules (schedule.h documents each formula).
#include "train/optim/schedule.h"

#include <cmath>

#include "core/tensor.h"
#include "train/optim/options.h"

namespace cnn {

using optim_detail::Options;
using optim_detail::require;

void Schedule::check_iteration(long it) const {
  if (it < 0) throw Error(name() + " schedule: the iteration must be >= 0, got " + std::to_string(it));
}

namespace {

constexpr double kPi = 3.14159265358979323846;

class Constant : public Schedule {
 public:
  using Schedule::Schedule;
  float lr(long it) const override {
    check_iteration(it);
    return static_cast<float>(base_);
  }
  std::string name() const override { return "constant"; }
  json config() const override { return {{"type", "constant"}}; }
};

class StepDecay : public Schedule {
 public:
  StepDecay(double base, long step_size, double gamma) : Schedule(base), step_size_(step_size), gamma_(gamma) {}
  float lr(long it) const override {
    check_iteration(it);
    return static_cast<float>(base_ * std::pow(gamma_, static_cast<double>(it / step_size_)));
  }
  std::string name() const override { return "step"; }
  json config() const override { return {{"type", "step"}, {"step_size", step_size_}, {"gamma", gamma_}}; }

 private:
  long step_size_;
  double gamma_;
};

class Exponential : public Schedule {
 public:
  Exponential(double base, double gamma, double every) : Schedule(base), gamma_(gamma), every_(every) {}
  float lr(long it) const override {
    check_iteration(it);
    return static_cast<float>(base_ * std::pow(gamma_, static_cast<double>(it) / every_));
  }
  std::string name() const override { return "exponential"; }
  json config() const override { return {{"type", "exponential"}, {"gamma", gamma_}, {"decay_every", every_}}; }

 private:
  double gamma_, every_;
};

class InverseTime : public Schedule {
 public:
  InverseTime(double base, double k) : Schedule(base), k_(k) {}
  float lr(long it) const override {
    check_iteration(it);
    return static_cast<float>(base_ / (1.0 + k_ * static_cast<double>(it)));
  }
  std::string name() const override { return "inverse_time"; }
  json config() const override { return {{"type", "inverse_time"}, {"k", k_}}; }

 private:
  double k_;
};

class Cosine : public Schedule {
 public:
  Cosine(double base, long warmup, long total, double min_lr)
      : Schedule(base), warmup_(warmup), total_(total), min_(min_lr) {}
  float lr(long it) const override {
    check_iteration(it);
    if (it < warmup_) return static_cast<float>(base_ * static_cast<double>(it) / static_cast<double>(warmup_));
    if (it >= total_) return static_cast<float>(min_);
    const double x = static_cast<double>(it - warmup_) / static_cast<double>(total_ - warmup_);
    return static_cast<float>(min_ + 0.5 * (base_ - min_) * (1.0 + std::cos(kPi * x)));
  }
  std::string name() const override { return "cosine"; }
  json config() const override {
    return {{"type", "cosine"}, {"warmup", warmup_}, {"total", total_}, {"min_lr", min_}};
  }

 private:
  long warmup_, total_;
  double min_;
};

}  // namespace

namespace {
// The one table of schedule kinds: name, the sizes derived from the run's length when the
// configuration leaves them out (resolve_schedule: the CLI and the page send only a name), and a
// constructor that reads its own options.
using ScheduleFactory = std::unique_ptr<Schedule> (*)(Options&, const std::string& where, double base);
using ScheduleDefaults = void (*)(json& cfg, long total);

std::unique_ptr<Schedule> make_constant(Options& o, const std::string&, double base) {
  o.done();
  return std::make_unique<Constant>(base);
}

std::unique_ptr<Schedule> make_step(Options& o, const std::string& where, double base) {
  const long step_size = o.integer("step_size");
  const double gamma = o.num("gamma", 0.1);
  o.done();
  require(step_size >= 1, where, "step_size", "an integer >= 1", static_cast<double>(step_size));
  require(gamma > 0.0, where, "gamma", "a number > 0", gamma);
  return std::make_unique<StepDecay>(base, step_size, gamma);
}

std::unique_ptr<Schedule> make_exponential(Options& o, const std::string& where, double base) {
  const double gamma = o.num("gamma");
  const double every = o.num("decay_every", 1.0);
  o.done();
  require(gamma > 0.0, where, "gamma", "a number > 0", gamma);
  require(every > 0.0, where, "decay_every", "a number > 0", every);
  return std::make_unique<Exponential>(base, gamma, every);
}

std::unique_ptr<Schedule> make_inverse_time(Options& o, const std::string& where, double base) {
  const double k = o.num("k");
  o.done();
  require(k >= 0.0, where, "k", "a number >= 0", k);
  return std::make_unique<InverseTime>(base, k);
}

std::unique_ptr<Schedule> make_cosine(Options& o, const std::string& where, double base) {
  const long total = o.integer("total");
  const long warmup = o.integer("warmup", 0);
  const double min_lr = o.num("min_lr", 0.0);
  o.done();
  require(warmup >= 0, where, "warmup", "an integer >= 0", static_cast<double>(warmup));
  require(total > warmup, where, "total", "an integer > warmup", static_cast<double>(total));
  // base is a float: allow min_lr == the double the user wrote for it.
  require(min_lr >= 0.0 && min_lr <= base * (1.0 + 1e-6), where, "min_lr", "in [0, base learning rate]", min_lr);
  return std::make_unique<Cosine>(base, warmup, total, min_lr);
}

void no_defaults(json&, long) {}
void step_defaults(json& cfg, long T) {
  if (!cfg.contains("step_size")) cfg["step_size"] = std::max<long>(1, T / 3);
}
void exponential_defaults(json& cfg, long T) {
  if (!cfg.contains("gamma")) cfg["gamma"] = std::pow(0.01, 1.0 / static_cast<double>(T));
}
void inverse_time_defaults(json& cfg, long T) {
  if (!cfg.contains("k")) cfg["k"] = 10.0 / static_cast<double>(T);
}
void cosine_defaults(json& cfg, long T) {
  if (!cfg.contains("total")) cfg["total"] = T;
  if (!cfg.contains("warmup")) cfg["warmup"] = std::min<long>(T / 10, 500);
}

struct ScheduleKind {
  const char* name;
  ScheduleDefaults defaults;
  ScheduleFactory make;
};
constexpr ScheduleKind kSchedules[] = {
    {"constant", no_defaults, make_constant},
    {"step", step_defaults, make_step},
    {"exponential", exponential_defaults, make_exponential},
    {"inverse_time", inverse_time_defaults, make_inverse_time},
    {"cosine", cosine_defaults, make_cosine},
};

const ScheduleKind* find_schedule(const std::string& type) {
  for (const auto& k : kSchedules)
    if (type == k.name) return &k;
  return nullptr;
}
}  // namespace

std::vector<std::string> schedule_types() {
  std::vector<std::string> names;
  for (const auto& k : kSchedules) names.push_back(k.name);
  return names;
}

json resolve_schedule(const json& cfg_in, long total) {
  json cfg = cfg_in.is_string() ? json{{"type", cfg_in}} : cfg_in;
  if (!cfg.is_object() || !cfg.contains("type") || !cfg["type"].is_string()) return cfg;  // make_schedule says why
  if (const ScheduleKind* k = find_schedule(cfg["type"].get<std::string>())) k->defaults(cfg, std::max<long>(1, total));
  return cfg;
}

std::unique_ptr<Schedule> make_schedule(const json& cfg_in, float base_lr) {
  const json cfg = cfg_in.is_string() ? json{{"type", cfg_in}} : cfg_in;
  std::string known;
  for (const auto& t : schedule_types()) known += (known.empty() ? "" : ", ") + t;
  if (!cfg.is_object() || !cfg.contains("type") || !cfg["type"].is_string())
    throw Error("schedule configuration needs a \"type\" (one of " + known + "), got " + cfg.dump());
  const std::string type = cfg["type"].get<std::string>();
  const std::string where = "schedule '" + type + "'";
  const double base = base_lr;
  if (!(base >= 0.0) || !std::isfinite(base))
    throw Error(where + ": the base learning rate must be a finite number >= 0, got " + optim_detail::num_str(base));
  const ScheduleKind* k = find_schedule(type);
  if (!k) throw Error("unknown schedule type '" + type + "' (known: " + known + ")");
  Options o(cfg, where);
  return k->make(o, where, base);
}

}  // namespace cnn
