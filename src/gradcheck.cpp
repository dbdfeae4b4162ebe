#include "gradcheck.h"

#include <algorithm>
#include <cmath>

namespace cnn {

GradCheckResult gradient_check(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                               std::size_t per_param, float h, double atol, double rtol) {
  auto loss = [&](Tensor* g) { return static_cast<double>(compute_loss(kind, m.forward(x, false), y, g)); };
  m.zero_grad();
  Tensor g;
  const double f0 = loss(&g);
  m.backward(g);
  GradCheckResult r;
  for (auto& p : m.params()) {
    GradCheckRow row;
    row.param = p.name;
    const std::size_t n = p.value->size(), step = std::max<std::size_t>(1, n / std::max<std::size_t>(1, per_param));
    for (std::size_t i = 0; i < n; i += step) {
      float* v = p.value->data() + i;
      const float keep = *v;
      *v = keep + h;
      const double fp = loss(nullptr);
      *v = keep - h;
      const double fm = loss(nullptr);
      *v = keep;
      const double right = (fp - f0) / h, left = (f0 - fm) / h, num = (fp - fm) / (2.0 * h);
      if (std::fabs(right - left) > 2e-3 + 0.05 * std::fabs(num)) {
        ++row.skipped;  // on a kink
        continue;
      }
      ++row.checked;
      const double diff = std::fabs(num - p.grad->data()[i]);
      row.max_abs = std::max(row.max_abs, diff);
      row.max_error = std::max(row.max_error, diff / (atol + rtol * std::fabs(num)));
    }
    r.checked += row.checked;
    r.skipped += row.skipped;
    r.worst = std::max(r.worst, row.max_error);
    r.rows.push_back(row);
  }
  return r;
}

}  // namespace cnn
