#include "data/linalg.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/tensor.h"

namespace cnn {

namespace {

// Messages keep the prefix of the whitening that uses the solver.
[[noreturn]] void fail(const std::string& m) { throw Error("preprocess: " + m); }

// Rows k and k+1 of the n-column matrix q: (row_k, row_k1) <- (c row_k + s row_k1, -s row_k + c row_k1).
void rotate_rows(double* q, std::size_t n, std::size_t k, double c, double s) {
  double* a = q + k * n;
  double* b = a + n;
  for (std::size_t j = 0; j < n; ++j) {
    const double x = a[j], y = b[j];
    a[j] = c * x + s * y;
    b[j] = c * y - s * x;
  }
}

// One implicit QR step with a Wilkinson shift on the unreduced block lo..hi of the symmetric
// tridiagonal matrix (diagonal d, subdiagonal e[i] = T[i+1][i]); rotations applied to rows of qt.
void qr_step(std::vector<double>& d, std::vector<double>& e, std::size_t lo, std::size_t hi, double* qt,
             std::size_t n) {
  const double half = 0.5 * (d[hi - 1] - d[hi]), ee = e[hi - 1];
  const double mu = d[hi] - ee * ee / (half + std::copysign(std::hypot(half, ee), half));
  double x = d[lo] - mu, z = e[lo];
  for (std::size_t k = lo; k < hi; ++k) {
    const double r = std::hypot(x, z);
    const double c = r == 0.0 ? 1.0 : x / r, s = r == 0.0 ? 0.0 : z / r;
    if (k > lo) e[k - 1] = r;
    const double a = d[k], b = e[k], dd = d[k + 1];
    d[k] = c * c * a + 2.0 * c * s * b + s * s * dd;
    d[k + 1] = s * s * a - 2.0 * c * s * b + c * c * dd;
    e[k] = (c * c - s * s) * b + c * s * (dd - a);
    if (k + 1 < hi) {
      const double f = e[k + 1];
      z = s * f;  // the bulge at T[k+2][k]
      e[k + 1] = c * f;
      x = e[k];
    }
    rotate_rows(qt, n, k, c, s);
  }
}

}  // namespace

void symmetric_eigen(std::vector<double>& a, std::size_t n, std::vector<double>& values, std::vector<double>& vectors) {
  if (a.size() != n * n)
    fail("eigen-decomposition: matrix has " + std::to_string(a.size()) + " values, expected " + std::to_string(n) +
         "x" + std::to_string(n));
  for (double v : a)
    if (!std::isfinite(v)) fail("eigen-decomposition: the matrix has a non-finite value");
  values.assign(n, 0.0);
  vectors.assign(n * n, 0.0);
  if (n == 0) return;
  // Use the symmetric part (guards against round-off asymmetry of the caller).
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) a[i * n + j] = a[j * n + i] = 0.5 * (a[i * n + j] + a[j * n + i]);
  double* qt = vectors.data();
  for (std::size_t i = 0; i < n; ++i) qt[i * n + i] = 1.0;

  // 1. Householder: A = Q T Q^T; qt accumulates Q^T = H_{n-3} ... H_0.
  std::vector<double> v(n), p(n), u(n);
  for (std::size_t k = 0; k + 2 < n; ++k) {
    const std::size_t m0 = k + 1, m = n - m0;
    const double* x = a.data() + k * n + m0;  // row k right of the diagonal = column k below it
    double scale = 0.0;
    for (std::size_t i = 0; i < m; ++i) scale = std::max(scale, std::fabs(x[i]));
    if (scale == 0.0) continue;
    double ss = 0.0;
    for (std::size_t i = 0; i < m; ++i) ss += (x[i] / scale) * (x[i] / scale);
    const double norm = scale * std::sqrt(ss);
    const double alpha = x[0] > 0.0 ? -norm : norm;
    for (std::size_t i = 0; i < m; ++i) v[i] = x[i];
    v[0] -= alpha;
    double vs = 0.0;
    for (std::size_t i = 0; i < m; ++i) vs += (v[i] / scale) * (v[i] / scale);
    const double vn = scale * std::sqrt(vs);
    for (std::size_t i = 0; i < m; ++i) v[i] /= vn;
    // p = B v, w = p - (v.p) v, B -= 2 (v w^T + w v^T) on the trailing block B.
    double vp = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      const double* row = a.data() + (m0 + i) * n + m0;
      double t = 0.0;
      for (std::size_t j = 0; j < m; ++j) t += row[j] * v[j];
      p[i] = t;
      vp += v[i] * t;
    }
    for (std::size_t i = 0; i < m; ++i) p[i] -= vp * v[i];
    for (std::size_t i = 0; i < m; ++i) {
      double* row = a.data() + (m0 + i) * n + m0;
      const double vi = 2.0 * v[i], wi = 2.0 * p[i];
      for (std::size_t j = 0; j < m; ++j) row[j] -= vi * p[j] + wi * v[j];
    }
    a[k * n + m0] = a[m0 * n + k] = alpha;
    for (std::size_t j = m0 + 1; j < n; ++j) a[k * n + j] = a[j * n + k] = 0.0;
    // qt <- H qt on rows m0..n-1 (columns 0 never mix in: row/column 0 is untouched by every H).
    std::fill(u.begin(), u.end(), 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      const double* row = qt + (m0 + i) * n;
      const double vi = v[i];
      for (std::size_t j = 1; j < n; ++j) u[j] += vi * row[j];
    }
    for (std::size_t i = 0; i < m; ++i) {
      double* row = qt + (m0 + i) * n;
      const double vi = 2.0 * v[i];
      for (std::size_t j = 1; j < n; ++j) row[j] -= vi * u[j];
    }
  }
  std::vector<double> d(n), e(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) d[i] = a[i * n + i];
  for (std::size_t i = 0; i + 1 < n; ++i) e[i] = a[(i + 1) * n + i];

  // 2. Implicit symmetric QR on the tridiagonal matrix.
  const double eps = std::numeric_limits<double>::epsilon(), tiny = std::numeric_limits<double>::min();
  auto negligible = [&](std::size_t i) {
    return std::fabs(e[i]) <= eps * (std::fabs(d[i]) + std::fabs(d[i + 1])) || std::fabs(e[i]) < tiny;
  };
  std::size_t hi = n - 1, iter = 0;
  const std::size_t max_iter = 50 * n + 100;
  while (hi > 0) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0.0;
      --hi;
      continue;
    }
    std::size_t lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) --lo;
    if (lo > 0) e[lo - 1] = 0.0;
    if (++iter > max_iter) fail("eigen-decomposition did not converge");
    qr_step(d, e, lo, hi, qt, n);
  }

  // 3. Sort descending.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return d[i] > d[j]; });
  std::vector<double> sorted(n * n);
  for (std::size_t k = 0; k < n; ++k) {
    values[k] = d[order[k]];
    std::copy(qt + order[k] * n, qt + order[k] * n + n, sorted.begin() + k * n);
  }
  vectors.swap(sorted);
}

}  // namespace cnn
