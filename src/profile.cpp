#include "profile.h"

#include <chrono>

namespace cnn {

StepProfile profile_training(Model& m, const BatchSource& batch, int warmup, int min_steps, double seconds) {
  using Clock = std::chrono::steady_clock;
  auto now = [] { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); };
  const std::size_t L = m.size();
  for (std::size_t i = 1; i < L; ++i)
    if (m.node(i).inputs.size() != 1 || m.node(i).inputs[0] != static_cast<int>(i) - 1)
      throw Error("profiling needs a chain model (each layer fed by the previous one); '" + m.node(i).name +
                  "' is not");
  StepProfile p;
  p.forward_s.assign(L, 0.0);
  p.backward_s.assign(L, 0.0);
  std::vector<Param> params = m.params();
  std::vector<const Tensor*> xin(1);
  std::vector<Tensor*> dxs(1);
  Tensor grad;
  for (std::size_t i = 1; i < L; ++i)
    if (m.node(i).dx.size() != 1) m.node(i).dx.resize(1);
  auto step = [&](int k, bool timed) {
    const Tensor* x = nullptr;
    const std::vector<int>* labels = nullptr;
    batch(k, x, labels);
    const double s0 = now();
    double t0 = s0, t1;
    for (auto& q : params) q.grad->fill(0.0f);
    t1 = now();
    if (timed) p.zero_s += t1 - t0;
    const Tensor* in = x;
    for (std::size_t i = 1; i < L; ++i) {
      xin[0] = in;
      t0 = now();
      m.node(i).layer->forward(xin, m.node(i).out, true);
      t1 = now();
      if (timed) p.forward_s[i] += t1 - t0;
      in = &m.node(i).out;
    }
    t0 = now();
    compute_loss(LossKind::softmax_cross_entropy, *in, *labels, &grad);
    t1 = now();
    if (timed) p.loss_s += t1 - t0;
    const Tensor* dy = &grad;
    for (std::size_t i = L - 1; i >= 1; --i) {
      Model::Node& n = m.node(i);
      xin[0] = i == 1 ? x : &m.node(i - 1).out;
      dxs[0] = i == 1 ? nullptr : &n.dx[0];
      t0 = now();
      n.layer->backward(xin, n.out, *dy, dxs);
      t1 = now();
      if (timed) p.backward_s[i] += t1 - t0;
      dy = &n.dx[0];
    }
    t0 = now();
    for (auto& q : params)
      for (std::size_t i = 0; i < q.value->size(); ++i) q.value->data()[i] -= 0.01f * q.grad->data()[i];
    t1 = now();
    if (timed) p.update_s += t1 - t0, p.total_s += t1 - s0, ++p.steps;
  };
  int k = 0;
  for (; k < warmup; ++k) step(k, false);
  const double start = now();
  while (p.steps < min_steps || now() - start < seconds) step(k++, true);
  return p;
}

}  // namespace cnn
