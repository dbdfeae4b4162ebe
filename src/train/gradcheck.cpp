#include "train/gradcheck.h"

#include <algorithm>
#include <cmath>

namespace cnn {

namespace {

double eval_loss(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind) {
  return static_cast<double>(compute_loss(kind, m.forward(x, false), y, nullptr));
}

struct Entry {
  double numeric, analytic, spread;  // spread: right - left quotient
};

}  // namespace

GradCheckResult compare_gradients(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                                  const std::vector<const Tensor*>& analytic, std::size_t per_param, float h,
                                  double atol, double rtol) {
  const auto& params = m.params();
  if (analytic.size() != params.size())
    throw Error("gradient check: " + std::to_string(analytic.size()) + " gradients for " +
                std::to_string(params.size()) + " parameters");
  if (!(h > 0.0f)) throw Error("gradient check: the step must be > 0");
  const double f0 = eval_loss(m, x, y, kind);
  GradCheckResult r;
  std::vector<Entry> entries;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Param& p = params[k];
    if (!analytic[k] || analytic[k]->size() != p.value->size())
      throw Error("gradient check: the gradient of " + p.name + " has the wrong size");
    GradCheckRow row;
    row.param = p.name;
    const std::size_t n = p.value->size(), step = std::max<std::size_t>(1, n / std::max<std::size_t>(1, per_param));
    entries.clear();
    for (std::size_t i = 0; i < n; i += step) {
      float* v = p.value->data() + i;
      const float keep = *v;
      // The steps taken are the float32 neighbours' distances, not h itself.
      *v = keep + h;
      const double hp = static_cast<double>(*v) - keep, fp = eval_loss(m, x, y, kind);
      *v = keep - h;
      const double hm = keep - static_cast<double>(*v), fm = eval_loss(m, x, y, kind);
      *v = keep;
      const double right = (fp - f0) / hp, left = (f0 - fm) / hm;
      entries.push_back({(fp - fm) / (hp + hm), static_cast<double>(analytic[k]->data()[i]), right - left});
    }
    // Every sampled entry counts in the noise, those on a kink too: they are evidence of how
    // rough this parameter's loss is.
    double sq = 0.0;
    for (const Entry& e : entries) sq += 0.25 * e.spread * e.spread;
    row.noise = entries.empty() ? 0.0 : std::sqrt(sq / static_cast<double>(entries.size()));
    for (const Entry& e : entries) {
      if (std::fabs(e.spread) > 2e-3 + 0.05 * std::fabs(e.numeric)) {
        ++row.skipped;  // on a kink
        continue;
      }
      ++row.checked;
      const double diff = std::fabs(e.numeric - e.analytic);
      row.max_abs = std::max(row.max_abs, diff);
      row.max_error = std::max(row.max_error, diff / (atol + rtol * std::fabs(e.numeric) + 3.0 * row.noise));
    }
    r.checked += row.checked;
    r.skipped += row.skipped;
    r.worst = std::max(r.worst, row.max_error);
    r.rows.push_back(row);
  }
  return r;
}

GradCheckResult gradient_check(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                               std::size_t per_param, float h, double atol, double rtol) {
  m.zero_grad();
  Tensor g;
  compute_loss(kind, m.forward(x, false), y, &g);
  m.backward(g);
  std::vector<const Tensor*> analytic;
  for (const Param& p : m.params()) analytic.push_back(p.grad);
  return compare_gradients(m, x, y, kind, analytic, per_param, h, atol, rtol);
}

}  // namespace cnn
