// Whole-model gradient check: back-propagation against central differences of the loss, for a
// sample of every parameter's entries (the check of the notes, used by `cnn gradcheck` and tests).
//
// The loss is evaluated in float32 and, for parameters early in a ReLU / max-pool network, is
// piecewise smooth with many kinks inside any usable step: in keras_mnist a conv1 bias feeds
// 26x26 ReLUs and, through conv2, tens of thousands more, so dozens of units change side within
// +-h = 1e-3, while a smaller step drowns in float32 rounding (the quotient's noise grows as 1/h).
// A difference quotient is then the average slope over [-h, h], not the derivative at the point,
// and is off by a few 1e-3 for such parameters whatever h (measured against a float64 evaluation).
// So the check measures that error instead of assuming it away:
//   - an entry whose one-sided quotients disagree by much (a kink close by) is skipped;
//   - each parameter's "noise" is the rms over its sampled entries of (right - left) / 2, which
//     has the same spread as the central quotient's error when the kinks fall at random on either
//     side; it is added (three times) to the tolerance of that parameter's entries.
// Parameters whose loss is smooth around the point (dense layers, late convolutions) keep a noise
// near 0 and the plain tolerance; a gradient wrong by a few percent still fails there, and by ~10 %
// fails everywhere.
#pragma once

#include <string>
#include <vector>

#include "nn/loss.h"
#include "nn/model.h"

namespace cnn {

struct GradCheckRow {
  std::string param;
  std::size_t checked = 0, skipped = 0;
  double max_error = 0.0;  // max |numeric - analytic| / (atol + rtol * |numeric| + 3 * noise); <= 1 passes
  double max_abs = 0.0;    // max |numeric - analytic|
  double noise = 0.0;      // rms of (right - left) / 2 over the sampled entries: the quotients' own error
};

struct GradCheckResult {
  std::vector<GradCheckRow> rows;
  std::size_t checked = 0, skipped = 0;
  double worst = 0.0;  // the largest max_error
  bool ok() const { return worst <= 1.0 && checked > 3 * skipped; }
};

// Loss = compute_loss(kind, model(x) in inference mode, y). Checks about `per_param` entries of each
// parameter with step h (the step actually taken: the float32 neighbours of the value); an entry
// passes when |numeric - analytic| <= atol + rtol * |numeric| + 3 * noise of its parameter.
GradCheckResult gradient_check(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                               std::size_t per_param = 20, float h = 1e-3f, double atol = 3e-3, double rtol = 3e-2);

// The same comparison for given gradients, one per m.params() in that order (gradient_check passes
// the model's own after a backward); for testing that the check catches a wrong gradient.
GradCheckResult compare_gradients(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                                  const std::vector<const Tensor*>& analytic, std::size_t per_param = 20,
                                  float h = 1e-3f, double atol = 3e-3, double rtol = 3e-2);

// Per-entry comparison, for showing the errors rather than a verdict (the Lab's "gradcheck"): for a
// sample of about `per_param` evenly spaced entries of each parameter (all of them when it has
// fewer), the analytic gradient (one backward) beside the central difference of the float32 loss
// with step h, the one-sided quotients, the notes' relative error |a - n| / max(|a|, |n|) (0 when
// both are 0) and whether a kink is close by (on_kink: the one-sided quotients disagree).
//
// The float32 noise is measured, not assumed: around the first few sampled entries of each
// parameter checked, the loss at 9 points across [-h, h] less the cubic through them (a smooth loss
// is a cubic to far better than float32 there) leaves the rounding noise of the loss (rms, with a
// kink it is larger), at least the rounding of the float32 loss itself (its last place / sqrt(12));
// the central difference then carries noise / (sqrt(2) h) (two independent evaluations over 2h).
struct GradEntry {
  std::size_t index = 0;
  double analytic = 0, numeric = 0, left = 0, right = 0, rel = 0;
  bool kink = false;
};
struct GradEntries {
  std::string param;
  Shape shape;
  std::vector<GradEntry> entries;
};
struct GradEntriesOptions {
  std::size_t per_param = 20;
  float h = 1e-3f;
  bool training = false;    // the forward passes' mode (batch statistics; dropout's mask changes every pass)
  std::string scale_param;  // this parameter's analytic gradient is multiplied by `scale` before the
  double scale = 1.0;       // comparison (the Lab's "break it": a sign flip, a missing factor)
  std::string only;         // just this parameter (empty: all)
};
struct GradEntriesResult {
  double loss = 0;
  double loss_noise = 0;      // rms rounding noise of the float32 loss
  double quotient_noise = 0;  // loss_noise / (sqrt(2) h): the central difference's own noise
  std::vector<GradEntries> params;
};
double relative_error(double analytic, double numeric);
bool on_kink(double numeric, double right_minus_left);
GradEntriesResult gradient_entries(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                                   const GradEntriesOptions& o);

}  // namespace cnn
