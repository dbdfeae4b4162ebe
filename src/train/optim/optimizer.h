// Optimizers: parameter updates from gradients, with the update rules of torch.optim (PyTorch 1.13,
// single-tensor code path). Built from JSON by make_optimizer:
//
//   {"type": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0}
//   {"type": "lookahead", "k": 5, "alpha": 0.5, "inner": {"type": "sgd", "lr": 0.1, "momentum": 0.9}}
//
// Every option may be left out (the default below is used). An unknown "type", an unknown option,
// a value of the wrong JSON type or out of range throws cnn::Error naming the option.
//
// Conventions (every kind):
//   w = p.value, g = p.grad (read, never modified), lr = the current learning rate (set_lr; a Schedule
//   sets it every iteration). Arithmetic is float32 per element; scalar coefficients (bias
//   corrections, rectification) are computed in double.
//   Weight decay is coupled, as torch's weight_decay: g <- g + weight_decay * w before the update,
//   and only for params with role ParamRole::weight. Biases and normalization / PReLU params
//   (roles bias and other) are never decayed. It is the gradient of Regularization's l2 term, so
//   use one or the other, not both.
//   State buffers (velocity, moments, ...) are allocated at a param's first step, keyed by the
//   param's name, and reused afterwards: later steps allocate nothing. Names must be unique
//   (Model::params() names are "<layer>.<param>"). All buffers start at 0 unless said otherwise.
//   t is the param's step count including the current step (1 at the first step).
//
// Kinds, options with defaults (PyTorch's; Keras' 0.01 for sgd's lr, which torch requires), and updates:
//
//   sgd       lr 0.01, momentum 0, nesterov false, weight_decay 0            (torch.optim.SGD, dampening 0)
//               momentum == 0:  w <- w - lr g
//               otherwise:      b <- momentum b + g              (b = g after the first step)
//                               w <- w - lr b                    (nesterov false)
//                               w <- w - lr (g + momentum b)     (nesterov true; needs momentum > 0)
//             The notes write momentum as v <- rho v - lr g, w <- w + v, and Nesterov (in the shifted
//             variable x~ = x + rho v) as v' = rho v - lr g, x~ <- x~ + v' + rho (v' - v). With a fixed
//             lr both are the same iterates as above (v = -lr b); when lr changes, torch's form applies
//             the new lr to the whole velocity, the notes' form only to the new gradient.
//
//   adagrad   lr 1e-2, eps 1e-10, initial_accumulator 0, weight_decay 0      (torch.optim.Adagrad, lr_decay 0)
//               s <- s + g^2                         (s starts at initial_accumulator)
//               w <- w - lr g / (sqrt(s) + eps)
//             The notes use the same form with eps 1e-7.
//
//   adadelta  lr 1.0, rho 0.9, eps 1e-6, weight_decay 0                     (torch.optim.Adadelta)
//               s <- rho s + (1 - rho) g^2
//               d <- sqrt(u + eps) / sqrt(s + eps) * g
//               u <- rho u + (1 - rho) d^2
//               w <- w - lr d
//
//   rmsprop   lr 1e-2, alpha 0.99 (alias "decay"), eps 1e-8, momentum 0, weight_decay 0
//                                                                          (torch.optim.RMSprop, not centered)
//               s <- alpha s + (1 - alpha) g^2
//               momentum == 0:  w <- w - lr g / (sqrt(s) + eps)
//               otherwise:      b <- momentum b + g / (sqrt(s) + eps),  w <- w - lr b
//             The notes' decay_rate is alpha; they use eps 1e-7 (one slide writes sqrt(eps + s); torch
//             and this engine add eps after the square root). Keras' default lr is 1e-3 and rho 0.9.
//
//   adam      lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0      (torch.optim.Adam, amsgrad false)
//               m <- beta1 m + (1 - beta1) g
//               v <- beta2 v + (1 - beta2) g^2
//               w <- w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//             i.e. the notes' m_hat / (sqrt(v_hat) + eps) with bias-corrected m_hat, v_hat (eps 1e-7 there).
//
//   radam     lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0      (torch.optim.RAdam, torch 1.13)
//               m, v as adam;  m_hat = m / (1 - beta1^t)
//               rho_inf = 2 / (1 - beta2) - 1,  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//               rho_t > 5:   r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//                            w <- w - lr m_hat r sqrt(1 - beta2^t) / (sqrt(v) + eps)
//               otherwise:   w <- w - lr m_hat                   (the first 5 steps with beta2 0.999)
//             Note eps is added to sqrt(v), not to the bias-corrected sqrt(v_hat) as in adam (torch 1.13).
//
//   lookahead k 5, alpha 0.5, inner {...} (required; any kind above)         (Zhang et al. 2019)
//               Slow weights start as a copy of the params (taken at their first step). Each step runs
//               the inner optimizer on the (fast) params; after every k-th step
//                 slow <- slow + alpha (w - slow),  w <- slow.
//               The inner optimizer's state is kept across synchronizations. lr / set_lr are the inner
//               optimizer's. Weight decay is the inner optimizer's option.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace cnn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of every param from its gradient (see the kinds above). Throws cnn::Error, before
  // changing anything, when a gradient is missing or its size differs from the value's, or when a
  // param's size differs from its state buffers (e.g. a state loaded for another model).
  virtual void step(const std::vector<Param>& params) = 0;

  virtual void set_lr(float lr);
  float lr() const { return lr_; }
  float weight_decay() const { return weight_decay_; }
  // Number of step() calls so far (restored by load_state).
  long steps() const { return steps_; }

  // The "type" of the configuration.
  virtual std::string name() const = 0;
  // The configuration it was built with, every option filled in; make_optimizer(config()) builds
  // the same optimizer. "lr" is the configured one, not the current (scheduled) lr().
  virtual json config() const = 0;

  // For checkpoints:
  //   {"type": name(), "step": steps(),
  //    "params": {"<param name>": {"step": t, "<buffer>": [floats, flat], ...}, ...}}
  // with the buffers of each kind: sgd "momentum_buffer" (momentum > 0 only); adagrad "sum";
  // adadelta "square_avg", "acc_delta"; rmsprop "square_avg", "momentum_buffer" (momentum > 0 only);
  // adam and radam "exp_avg", "exp_avg_sq". Lookahead:
  //   {"type": "lookahead", "step": n, "inner": <inner state>, "params": {"<name>": {"slow": [...]}}}
  // Floats round-trip exactly through json::dump / json::parse, so a restored run continues bit for bit.
  virtual json state() const = 0;
  // Replaces all state. Throws cnn::Error when the state is for another kind or malformed.
  virtual void load_state(const json& state) = 0;
  // Forgets all state (buffers and step count), as if freshly built.
  virtual void reset() = 0;

 protected:
  Optimizer(float lr, float weight_decay) : lr_(lr), weight_decay_(weight_decay) {}
  float lr_;
  float weight_decay_;
  long steps_ = 0;
};

// Builds an optimizer from its configuration (above). A bare string is read as {"type": <string>}.
std::unique_ptr<Optimizer> make_optimizer(const json& cfg);
// "sgd", "adagrad", "adadelta", "rmsprop", "adam", "radam", "lookahead".
std::vector<std::string> optimizer_types();

}  // namespace cnn
