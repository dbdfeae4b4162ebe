#include "train/train_step.h"

#include <chrono>
#include <cmath>

namespace cnn {

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

StepResult compute_gradients(Model& m, const Tensor& x, const std::vector<int>& labels,
                             const std::vector<Param>& params, Tensor& grad, const StepOptions& o) {
  StepTimes* t = o.times;
  const double start = t ? now() : 0;
  double t0 = start;
  const auto lap = [&](double StepTimes::*phase) {
    if (!t) return;
    const double t1 = now();
    t->*phase += t1 - t0;
    t0 = t1;
  };
  m.zero_grad();
  lap(&StepTimes::zero);
  const Tensor& out = m.forward(x, o.training);
  lap(&StepTimes::forward);
  StepResult r;
  r.loss = compute_loss(o.loss, out, labels, &grad);
  if (o.on_output) o.on_output(out);
  lap(&StepTimes::loss);
  m.backward(grad);
  r.loss += static_cast<float>(o.reg.apply(params, true));
  lap(&StepTimes::backward);
  r.finite = std::isfinite(r.loss);
  for (std::size_t k = 0; r.finite && k < params.size(); ++k) {
    float s = 0.0f;
    const float* g = params[k].grad->data();
    for (std::size_t i = 0; i < params[k].grad->size(); ++i) s += g[i] * 0.0f;  // NaN and inf propagate
    r.finite = std::isfinite(s);
  }
  if (t) t->total += now() - start;
  return r;
}

StepResult train_step(Model& m, const Tensor& x, const std::vector<int>& labels, const std::vector<Param>& params,
                      Optimizer& opt, Tensor& grad, const StepOptions& o) {
  StepResult r = compute_gradients(m, x, labels, params, grad, o);
  StepTimes* t = o.times;
  const double start = t ? now() : 0;
  if (r.finite && r.loss <= o.max_loss) {
    opt.step(params);
    r.updated = true;
  }
  if (t) {
    const double spent = now() - start;
    t->update += spent;
    t->total += spent;
  }
  return r;
}

}  // namespace cnn
