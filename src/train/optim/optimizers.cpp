// The optimizers: options checked, state slots named, and per-step scalars computed once in double
// and rounded to float; the element-wise update loops are the f32x4 kernels of kernels/optim/ (split
// over the thread pool for large params; bit-identical to their scalar references).
#include "train/optim/optimizers.h"

#include <cmath>

#include "kernels/optim/adam.h"
#include "kernels/optim/adaptive.h"
#include "kernels/optim/sgd.h"
#include "train/optim/options.h"

namespace cnn {

using optim_detail::require;

namespace {

void check_common(const std::string& where, double lr, double weight_decay) {
  require(lr >= 0.0, where, "lr", "a number >= 0", lr);
  require(weight_decay >= 0.0, where, "weight_decay", "a number >= 0", weight_decay);
}
void check_eps(const std::string& where, double eps) { require(eps >= 0.0, where, "eps", "a number >= 0", eps); }
void check_beta(const std::string& where, const char* key, double b) {
  require(b >= 0.0 && b < 1.0, where, key, "in [0, 1)", b);
}

}  // namespace

// ----------------------------------------------------------------------------- sgd

Sgd::Sgd(const SgdOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay),
                    o.momentum > 0.0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{}),
      o_(o) {
  const std::string where = "optimizer 'sgd'";
  check_common(where, o.lr, o.weight_decay);
  require(o.momentum >= 0.0, where, "momentum", "a number >= 0", o.momentum);
  if (o.nesterov && o.momentum <= 0.0)
    throw Error(where + ": option 'nesterov' needs a momentum > 0, got momentum " + optim_detail::num_str(o.momentum));
}

json Sgd::config() const {
  return {{"type", "sgd"},
          {"lr", o_.lr},
          {"momentum", o_.momentum},
          {"nesterov", o_.nesterov},
          {"weight_decay", o_.weight_decay}};
}

void Sgd::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  if (s.buf.empty())
    kernels::sgd_update_f32(w, g, n, lr_, wd);
  else
    kernels::sgd_momentum_update_f32(w, g, s.buf[0].data(), n, lr_, wd, static_cast<float>(o_.momentum), o_.nesterov);
}

// ----------------------------------------------------------------------------- adagrad

Adagrad::Adagrad(const AdagradOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay), {"sum"}), o_(o) {
  const std::string where = "optimizer 'adagrad'";
  check_common(where, o.lr, o.weight_decay);
  check_eps(where, o.eps);
  require(o.initial_accumulator >= 0.0, where, "initial_accumulator", "a number >= 0", o.initial_accumulator);
}

json Adagrad::config() const {
  return {{"type", "adagrad"},
          {"lr", o_.lr},
          {"eps", o_.eps},
          {"initial_accumulator", o_.initial_accumulator},
          {"weight_decay", o_.weight_decay}};
}

void Adagrad::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  kernels::adagrad_update_f32(w, g, s.buf[0].data(), n, lr_, wd, static_cast<float>(o_.eps));
}

// ----------------------------------------------------------------------------- adadelta

Adadelta::Adadelta(const AdadeltaOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay), {"square_avg", "acc_delta"}), o_(o) {
  const std::string where = "optimizer 'adadelta'";
  check_common(where, o.lr, o.weight_decay);
  check_eps(where, o.eps);
  require(o.rho >= 0.0 && o.rho <= 1.0, where, "rho", "in [0, 1]", o.rho);
}

json Adadelta::config() const {
  return {{"type", "adadelta"}, {"lr", o_.lr}, {"rho", o_.rho}, {"eps", o_.eps}, {"weight_decay", o_.weight_decay}};
}

void Adadelta::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  kernels::adadelta_update_f32(w, g, s.buf[0].data(), s.buf[1].data(), n, lr_, wd, static_cast<float>(o_.rho),
                               static_cast<float>(1.0 - o_.rho), static_cast<float>(o_.eps));
}

// ----------------------------------------------------------------------------- rmsprop

Rmsprop::Rmsprop(const RmspropOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay),
                    o.momentum > 0.0 ? std::vector<std::string>{"square_avg", "momentum_buffer"}
                                     : std::vector<std::string>{"square_avg"}),
      o_(o) {
  const std::string where = "optimizer 'rmsprop'";
  check_common(where, o.lr, o.weight_decay);
  check_eps(where, o.eps);
  require(o.alpha >= 0.0 && o.alpha <= 1.0, where, "alpha", "in [0, 1]", o.alpha);
  require(o.momentum >= 0.0, where, "momentum", "a number >= 0", o.momentum);
}

json Rmsprop::config() const {
  return {{"type", "rmsprop"},       {"lr", o_.lr},
          {"alpha", o_.alpha},       {"eps", o_.eps},
          {"momentum", o_.momentum}, {"weight_decay", o_.weight_decay}};
}

void Rmsprop::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  // The momentum buffer exists only when momentum > 0 (the constructor's slots).
  kernels::rmsprop_update_f32(w, g, s.buf[0].data(), s.buf.size() > 1 ? s.buf[1].data() : nullptr, n, lr_, wd,
                              static_cast<float>(o_.alpha), static_cast<float>(1.0 - o_.alpha),
                              static_cast<float>(o_.eps), static_cast<float>(o_.momentum));
}

// ----------------------------------------------------------------------------- adam, radam

namespace {

void check_adam(const std::string& where, const AdamOptions& o) {
  check_common(where, o.lr, o.weight_decay);
  check_eps(where, o.eps);
  check_beta(where, "beta1", o.beta1);
  check_beta(where, "beta2", o.beta2);
}

json adam_config(const char* type, const AdamOptions& o) {
  return {{"type", type},     {"lr", o.lr},   {"beta1", o.beta1},
          {"beta2", o.beta2}, {"eps", o.eps}, {"weight_decay", o.weight_decay}};
}

// The moment updates shared by adam and radam: m <- b1 m + (1-b1) d, v <- b2 v + (1-b2) d^2.
struct Moments {
  float b1, c1, b2, c2;
  explicit Moments(const AdamOptions& o)
      : b1(static_cast<float>(o.beta1)),
        c1(static_cast<float>(1.0 - o.beta1)),
        b2(static_cast<float>(o.beta2)),
        c2(static_cast<float>(1.0 - o.beta2)) {}
};

}  // namespace

Adam::Adam(const AdamOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay), {"exp_avg", "exp_avg_sq"}), o_(o) {
  check_adam("optimizer 'adam'", o);
}

json Adam::config() const { return adam_config("adam", o_); }

void Adam::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  const Moments k(o_);
  const double t = static_cast<double>(s.step);
  const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
  const kernels::AdamCoeffs c{k.b1,
                              k.c1,
                              k.b2,
                              k.c2,
                              static_cast<float>(lr_ / bc1),
                              static_cast<float>(std::sqrt(bc2)),
                              static_cast<float>(o_.eps)};
  kernels::adam_update_f32(w, g, s.buf[0].data(), s.buf[1].data(), n, wd, c);
}

RAdam::RAdam(const AdamOptions& o)
    : SlotOptimizer(static_cast<float>(o.lr), static_cast<float>(o.weight_decay), {"exp_avg", "exp_avg_sq"}), o_(o) {
  check_adam("optimizer 'radam'", o);
}

json RAdam::config() const { return adam_config("radam", o_); }

void RAdam::update(float* w, const float* g, std::size_t n, float wd, Slot& s) {
  const Moments k(o_);
  const double t = static_cast<double>(s.step);
  const double b2t = std::pow(o_.beta2, t);
  const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - b2t;
  // Length of the approximated simple moving average, and its limit.
  const double rho_inf = 2.0 / (1.0 - o_.beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * b2t / bc2;
  const bool rect = rho_t > 5.0;
  float scale;
  if (rect) {
    // Variance is tractable: adaptive step with the rectification term r.
    const double r = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
    scale = static_cast<float>(lr_ * r * std::sqrt(bc2) / bc1);
  } else {
    // Early steps: bias-corrected momentum without the adaptive denominator.
    scale = static_cast<float>(lr_ / bc1);
  }
  const kernels::AdamCoeffs c{k.b1, k.c1, k.b2, k.c2, scale, 1.0f, static_cast<float>(o_.eps)};
  kernels::radam_update_f32(w, g, s.buf[0].data(), s.buf[1].data(), n, wd, c, rect);
}

}  // namespace cnn
