// Whole-model gradient check: back-propagation against central differences of the loss, for a
// sample of every parameter's entries (the check of the notes, used by `cnn gradcheck` and tests).
// ReLU and max-pool kinks make a difference quotient meaningless where a step crosses one; entries
// whose one-sided quotients disagree are counted as skipped instead of compared.
#pragma once

#include <string>
#include <vector>

#include "loss.h"
#include "model.h"

namespace cnn {

struct GradCheckRow {
  std::string param;
  std::size_t checked = 0, skipped = 0;
  double max_error = 0.0;  // max |numeric - analytic| / (atol + rtol * |numeric|); <= 1 passes
  double max_abs = 0.0;    // max |numeric - analytic|
};

struct GradCheckResult {
  std::vector<GradCheckRow> rows;
  std::size_t checked = 0, skipped = 0;
  double worst = 0.0;  // the largest max_error
  bool ok() const { return worst <= 1.0 && checked > 3 * skipped; }
};

// Loss = compute_loss(kind, model(x) in inference mode, y). Checks about `per_param` entries of each
// parameter with step h; an entry passes when |numeric - analytic| <= atol + rtol * |numeric|.
GradCheckResult gradient_check(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                               std::size_t per_param = 20, float h = 1e-3f, double atol = 3e-3, double rtol = 3e-2);

}  // namespace cnn
