#include "train/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnn {

namespace {

double eval_loss(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind, bool training = false) {
  return static_cast<double>(compute_loss(kind, m.forward(x, training), y, nullptr));
}

struct Entry {
  double numeric, analytic, spread;  // spread: right - left quotient
};

}  // namespace

double relative_error(double a, double n) {
  const double d = std::max(std::fabs(a), std::fabs(n));
  return d == 0.0 ? 0.0 : std::fabs(a - n) / d;
}

// The one-sided quotients (right and left of the point) disagree by more than float32 noise and a
// few percent: the slope changes inside [-h, h] (a ReLU or a max pooling window switches).
bool on_kink(double numeric, double spread) { return std::fabs(spread) > 2e-3 + 0.05 * std::fabs(numeric); }

namespace {

// The rms residual of the values f at points t (symmetric about 0) from their least-squares cubic.
double cubic_residual(const std::vector<double>& t, const std::vector<double>& f, std::size_t& dof) {
  double A[4][5] = {};
  for (std::size_t k = 0; k < t.size(); ++k) {
    double pw[4] = {1, t[k], t[k] * t[k], t[k] * t[k] * t[k]};
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) A[i][j] += pw[i] * pw[j];
      A[i][4] += pw[i] * f[k];
    }
  }
  for (int c = 0; c < 4; ++c) {  // Gauss-Jordan with partial pivoting
    int piv = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    std::swap(A[c], A[piv]);
    if (A[c][c] == 0.0) return 0.0;
    for (int r = 0; r < 4; ++r) {
      if (r == c) continue;
      const double q = A[r][c] / A[c][c];
      for (int j = c; j < 5; ++j) A[r][j] -= q * A[c][j];
    }
  }
  double sq = 0.0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    double fit = 0.0, pw = 1.0;
    for (int i = 0; i < 4; ++i, pw *= t[k]) fit += A[i][4] / A[i][i] * pw;
    sq += (f[k] - fit) * (f[k] - fit);
  }
  dof += t.size() - 4;
  return sq;
}

}  // namespace

GradEntriesResult gradient_entries(Model& m, const Tensor& x, const std::vector<int>& y, LossKind kind,
                                   const GradEntriesOptions& o) {
  const float h = o.h;
  if (!(h > 0.0f)) throw Error("gradient check: the step must be > 0");
  if (o.per_param < 1) throw Error("gradient check: at least one entry per parameter");
  for (const std::string& name : {o.scale_param, o.only}) {
    bool found = name.empty();
    for (const Param& p : m.params()) found = found || p.name == name;
    if (!found) throw Error("gradient check: no parameter named '" + name + "'");
  }
  m.zero_grad();
  Tensor g;
  compute_loss(kind, m.forward(x, o.training), y, &g);
  m.backward(g);
  GradEntriesResult r;
  const double f0 = eval_loss(m, x, y, kind, o.training);
  r.loss = f0;
  double noise_sq = 0.0;
  std::size_t dof = 0;
  for (const Param& p : m.params()) {
    if (!o.only.empty() && p.name != o.only) continue;
    GradEntries t;
    t.param = p.name;
    t.shape = shape_of(*p.value);
    const double factor = p.name == o.scale_param ? o.scale : 1.0;
    const std::size_t n = p.value->size(), step = std::max<std::size_t>(1, n / o.per_param);
    for (std::size_t i = 0; i < n && t.entries.size() < o.per_param; i += step) {
      float* v = p.value->data() + i;
      const float keep = *v;
      if (t.entries.size() < 3) {  // the loss's rounding noise, around this entry
        std::vector<double> ts, fs;
        for (int j = -4; j <= 4; ++j) {
          *v = keep + static_cast<float>(j) * h / 4.0f;
          ts.push_back((static_cast<double>(*v) - keep) / h);
          fs.push_back(eval_loss(m, x, y, kind, o.training));
        }
        noise_sq += cubic_residual(ts, fs, dof);
      }
      *v = keep + h;  // the steps taken are the float32 neighbours' distances, not h itself
      const double hp = static_cast<double>(*v) - keep, fp = eval_loss(m, x, y, kind, o.training);
      *v = keep - h;
      const double hm = keep - static_cast<double>(*v), fm = eval_loss(m, x, y, kind, o.training);
      *v = keep;
      GradEntry e;
      e.index = i;
      e.analytic = factor * static_cast<double>(p.grad->data()[i]);
      e.numeric = (fp - fm) / (hp + hm);
      e.right = (fp - f0) / hp;
      e.left = (f0 - fm) / hm;
      e.rel = relative_error(e.analytic, e.numeric);
      e.kink = on_kink(e.numeric, e.right - e.left);
      t.entries.push_back(e);
    }
    r.params.push_back(std::move(t));
  }
  // at least the rounding of the float32 loss itself (uniform within half its last place)
  const float lf = static_cast<float>(f0);
  const double ulp = static_cast<double>(std::nextafter(lf, std::numeric_limits<float>::infinity()) - lf);
  r.loss_noise = std::max(dof ? std::sqrt(noise_sq / static_cast<double>(dof)) : 0.0, ulp / std::sqrt(12.0));
  r.quotient_noise = r.loss_noise / (std::sqrt(2.0) * h);
  return r;
}

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
      if (on_kink(e.numeric, e.spread)) {
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
