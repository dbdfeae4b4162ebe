// The kernels around the GEMM (ops.h): f32x4 bodies with scalar tails, split over the thread pool
// into disjoint output ranges when the work is large enough to pay for waking the threads.
#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "kernels/simd.h"

namespace cnn::kernels {

namespace {

// Elements per task below which an element-wise kernel stays on the calling thread.
constexpr std::size_t kGrain = 16384;

// Runs vec(i) for each aligned group of 4 in [b, e) and one(i) for the tail.
template <class V, class S>
inline void lanes(std::size_t b, std::size_t e, V&& vec, S&& one) {
  std::size_t i = b;
  for (; i + 4 <= e; i += 4) vec(i);
  for (; i < e; ++i) one(i);
}

// Element-wise kernel over [0, n): parallel ranges, each a SIMD body plus a scalar tail.
template <class V, class S>
inline void elementwise(std::size_t n, V&& vec, S&& one) {
  parallel_ranges(n, kGrain, [&](std::size_t b, std::size_t e) { lanes(b, e, vec, one); });
}

}  // namespace

// ============================================================================= activations

void relu_forward_f32_scalar(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void relu_forward_f32(const float* x, float* y, std::size_t n) {
  const f32x4 z = f32x4_zero();
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 v = f32x4_load(x + i);
        f32x4_store(y + i, f32x4_select(v > z, v, z));
      },
      [&](std::size_t i) { y[i] = x[i] > 0.0f ? x[i] : 0.0f; });
}

void relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
void relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n) {
  const f32x4 z = f32x4_zero();
  elementwise(
      n, [&](std::size_t i) { f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, f32x4_load(dy + i), z)); },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : 0.0f; });
}

void leaky_relu_forward_f32_scalar(const float* x, float* y, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : a * x[i];
}
void leaky_relu_forward_f32(const float* x, float* y, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 v = f32x4_load(x + i);
        f32x4_store(y + i, f32x4_select(v > z, v, av * v));
      },
      [&](std::size_t i) { y[i] = x[i] > 0.0f ? x[i] : a * x[i]; });
}

void leaky_relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i];
}
void leaky_relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 g = f32x4_load(dy + i);
        f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, g, av * g));
      },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i]; });
}

void sigmoid_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
void sigmoid_backward_f32(const float* y, const float* dy, float* dx, std::size_t n) {
  const f32x4 one = f32x4_splat(1.0f);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 q = f32x4_load(y + i);
        f32x4_store(dx + i, f32x4_load(dy + i) * q * (one - q));
      },
      [&](std::size_t i) { dx[i] = dy[i] * y[i] * (1.0f - y[i]); });
}

void tanh_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
void tanh_backward_f32(const float* y, const float* dy, float* dx, std::size_t n) {
  const f32x4 one = f32x4_splat(1.0f);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 q = f32x4_load(y + i);
        f32x4_store(dx + i, f32x4_load(dy + i) * (one - q * q));
      },
      [&](std::size_t i) { dx[i] = dy[i] * (1.0f - y[i] * y[i]); });
}

void elu_backward_f32_scalar(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + a);
}
void elu_backward_f32(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a) {
  const f32x4 z = f32x4_zero(), av = f32x4_splat(a);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 g = f32x4_load(dy + i);
        f32x4_store(dx + i, f32x4_select(f32x4_load(x + i) > z, g, g * (f32x4_load(y + i) + av)));
      },
      [&](std::size_t i) { dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + a); });
}

// ============================================================================= bias

void add_bias_planes_f32_scalar(float* y, int N, int K, int hw, const float* b) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      float* r = y + (static_cast<std::ptrdiff_t>(n) * K + k) * hw;
      for (int i = 0; i < hw; ++i) r[i] += b[k];
    }
}
void add_bias_planes_f32(float* y, int N, int K, int hw, const float* b) {
  const std::size_t planes = static_cast<std::size_t>(N) * K;
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      float* r = y + p * hw;
      const float bk = b[p % K];
      const f32x4 bv = f32x4_splat(bk);
      lanes(
          0, hw, [&](std::size_t i) { f32x4_store(r + i, f32x4_load(r + i) + bv); },
          [&](std::size_t i) { r[i] += bk; });
    }
  });
}

void bias_grad_planes_f32_scalar(const float* dy, int N, int K, int hw, float* db) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const float* r = dy + (static_cast<std::ptrdiff_t>(n) * K + k) * hw;
      float s = 0.0f;
      for (int i = 0; i < hw; ++i) s += r[i];
      db[k] += s;
    }
}
namespace {
// The sum of hw values: four lanes, reduced, plus the scalar tail.
float plane_sum_f32(const float* r, std::size_t hw) {
  f32x4 acc = f32x4_zero();
  float tail = 0.0f;
  lanes(
      0, hw, [&](std::size_t i) { acc += f32x4_load(r + i); }, [&](std::size_t i) { tail += r[i]; });
  return f32x4_sum(acc) + tail;
}
}  // namespace

void bias_grad_planes_f32(const float* dy, int N, int K, int hw, float* db) {
  const std::size_t work = static_cast<std::size_t>(N) * hw;
  parallel_ranges(K, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(work, 1)),
                  [&](std::size_t k0, std::size_t k1) {
                    for (std::size_t k = k0; k < k1; ++k)
                      for (int n = 0; n < N; ++n)
                        db[k] += plane_sum_f32(dy + (static_cast<std::size_t>(n) * K + k) * hw, hw);
                  });
}

void add_bias_rows_f32_scalar(float* y, int N, int U, const float* b) {
  for (int n = 0; n < N; ++n)
    for (int u = 0; u < U; ++u) y[static_cast<std::ptrdiff_t>(n) * U + u] += b[u];
}
void add_bias_rows_f32(float* y, int N, int U, const float* b) {
  for (int n = 0; n < N; ++n) {
    float* r = y + static_cast<std::ptrdiff_t>(n) * U;
    lanes(
        0, U, [&](std::size_t u) { f32x4_store(r + u, f32x4_load(r + u) + f32x4_load(b + u)); },
        [&](std::size_t u) { r[u] += b[u]; });
  }
}

void bias_grad_rows_f32_scalar(const float* dy, int N, int U, float* db) {
  for (int n = 0; n < N; ++n)
    for (int u = 0; u < U; ++u) db[u] += dy[static_cast<std::ptrdiff_t>(n) * U + u];
}
void bias_grad_rows_f32(const float* dy, int N, int U, float* db) {
  for (int n = 0; n < N; ++n) {
    const float* r = dy + static_cast<std::ptrdiff_t>(n) * U;
    lanes(
        0, U, [&](std::size_t u) { f32x4_store(db + u, f32x4_load(db + u) + f32x4_load(r + u)); },
        [&](std::size_t u) { db[u] += r[u]; });
  }
}

// ============================================================================= pooling

namespace {

bool is_2x2s2(const PoolGeom& g) { return g.FH == 2 && g.FW == 2 && g.SH == 2 && g.SW == 2; }

// Runs f(p) for each plane, planes spread over the pool.
template <class F>
void for_planes(const PoolGeom& g, int planes, F&& f) {
  const std::size_t per_plane = static_cast<std::size_t>(g.H) * g.W;
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(per_plane, 1)),
                  [&](std::size_t p0, std::size_t p1) {
                    for (std::size_t p = p0; p < p1; ++p) f(p);
                  });
}

void maxpool_forward_plane(const PoolGeom& g, const float* xp, float* yp) {
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      const float* w0 = xp + oh * g.SH * g.W + ow * g.SW;
      float acc = w0[0];
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) {
          const float v = w0[i * g.W + j];
          acc = v > acc ? v : acc;
        }
      yp[oh * g.OW + ow] = acc;
    }
}

void maxpool_backward_plane(const PoolGeom& g, const float* xp, const float* dyp, float* dxp) {
  std::fill(dxp, dxp + static_cast<std::ptrdiff_t>(g.H) * g.W, 0.0f);
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      const int base = oh * g.SH * g.W + ow * g.SW;
      int best = base;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j)
          if (xp[base + i * g.W + j] > xp[best]) best = base + i * g.W + j;
      dxp[best] += dyp[oh * g.OW + ow];
    }
}

void avgpool_forward_plane(const PoolGeom& g, const float* xp, float* yp) {
  const float inv = 1.0f / static_cast<float>(g.FH * g.FW);
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      const float* w0 = xp + oh * g.SH * g.W + ow * g.SW;
      float acc = 0.0f;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) acc += w0[i * g.W + j];
      yp[oh * g.OW + ow] = acc * inv;
    }
}

void avgpool_backward_plane(const PoolGeom& g, const float* dyp, float* dxp) {
  const float inv = 1.0f / static_cast<float>(g.FH * g.FW);
  std::fill(dxp, dxp + static_cast<std::ptrdiff_t>(g.H) * g.W, 0.0f);
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      const int base = oh * g.SH * g.W + ow * g.SW;
      const float v = dyp[oh * g.OW + ow] * inv;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) dxp[base + i * g.W + j] += v;
    }
}

// 2x2 windows, stride 2: four outputs per step from two rows of 8 inputs, deinterleaved into the
// window's positions a b / c d (row-major scan order).
void maxpool_forward_plane_2x2(const PoolGeom& g, const float* xp, float* yp) {
  for (int oh = 0; oh < g.OH; ++oh) {
    const float* r0 = xp + 2 * oh * g.W;
    const float* r1 = r0 + g.W;
    float* y = yp + oh * g.OW;
    int ow = 0;
    for (; ow + 4 <= g.OW; ow += 4) {
      const f32x4 u0 = f32x4_load(r0 + 2 * ow), u1 = f32x4_load(r0 + 2 * ow + 4);
      const f32x4 v0 = f32x4_load(r1 + 2 * ow), v1 = f32x4_load(r1 + 2 * ow + 4);
      f32x4 acc = f32x4_even(u0, u1);
      acc = f32x4_max(f32x4_odd(u0, u1), acc);
      acc = f32x4_max(f32x4_even(v0, v1), acc);
      acc = f32x4_max(f32x4_odd(v0, v1), acc);
      f32x4_store(y + ow, acc);
    }
    for (; ow < g.OW; ++ow) {
      const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      float acc = a;
      acc = b > acc ? b : acc;
      acc = c > acc ? c : acc;
      acc = d > acc ? d : acc;
      y[ow] = acc;
    }
  }
}

// Any window and stride, planes up to kPoolCols wide: per output row, the maximum down each
// column of the window rows first (vectors across the columns, each column scanned top to
// bottom), then across each window's columns. For the backward the column pass also keeps the
// first row holding each column's maximum, and the row pass takes the maximum with the smallest
// row, then the smallest column: the first maximum in the scalar scan's order (row by row).
constexpr int kPoolCols = 512;

// colmax[w] (and colrow[w]) for w in [0, n), over rows r0, r0 + W, ... (FH of them).
void column_max(const float* r0, int W, int FH, int n, float* colmax, int* colrow) {
  int w = 0;
  for (; w + 4 <= n; w += 4) {
    f32x4 acc = f32x4_load(r0 + w);
    i32x4 row = i32x4{0, 0, 0, 0};
    for (int i = 1; i < FH; ++i) {
      const f32x4 v = f32x4_load(r0 + static_cast<std::ptrdiff_t>(i) * W + w);
      const i32x4 m = v > acc;
      acc = f32x4_select(m, v, acc);
      if (colrow) row = m ? i32x4{i, i, i, i} : row;
    }
    f32x4_store(colmax + w, acc);
    if (colrow) std::memcpy(colrow + w, &row, sizeof row);
  }
  for (; w < n; ++w) {
    float acc = r0[w];
    int row = 0;
    for (int i = 1; i < FH; ++i) {
      const float v = r0[static_cast<std::ptrdiff_t>(i) * W + w];
      if (v > acc) acc = v, row = i;
    }
    colmax[w] = acc;
    if (colrow) colrow[w] = row;
  }
}

void maxpool_forward_plane_cols(const PoolGeom& g, const float* xp, float* yp) {
  alignas(16) float colmax[kPoolCols];
  const int n = (g.OW - 1) * g.SW + g.FW;
  for (int oh = 0; oh < g.OH; ++oh) {
    column_max(xp + static_cast<std::ptrdiff_t>(oh) * g.SH * g.W, g.W, g.FH, n, colmax, nullptr);
    for (int ow = 0; ow < g.OW; ++ow) {
      const float* c = colmax + ow * g.SW;
      float acc = c[0];
      for (int j = 1; j < g.FW; ++j) acc = c[j] > acc ? c[j] : acc;
      yp[oh * g.OW + ow] = acc;
    }
  }
}

void maxpool_backward_plane_cols(const PoolGeom& g, const float* xp, const float* dyp, float* dxp) {
  alignas(16) float colmax[kPoolCols];
  alignas(16) int colrow[kPoolCols];
  std::fill(dxp, dxp + static_cast<std::ptrdiff_t>(g.H) * g.W, 0.0f);
  const int n = (g.OW - 1) * g.SW + g.FW;
  for (int oh = 0; oh < g.OH; ++oh) {
    column_max(xp + static_cast<std::ptrdiff_t>(oh) * g.SH * g.W, g.W, g.FH, n, colmax, colrow);
    for (int ow = 0; ow < g.OW; ++ow) {
      const int c0 = ow * g.SW;
      int best = c0;
      for (int j = c0 + 1; j < c0 + g.FW; ++j)
        if (colmax[j] > colmax[best] || (colmax[j] == colmax[best] && colrow[j] < colrow[best])) best = j;
      dxp[static_cast<std::ptrdiff_t>(oh * g.SH + colrow[best]) * g.W + best] += dyp[oh * g.OW + ow];
    }
  }
}

// Zeroes the inputs no window covers (the last row / column when H or W is odd).
void zero_uncovered_2x2(const PoolGeom& g, float* dxp) {
  if (g.W > 2 * g.OW)
    for (int h = 0; h < 2 * g.OH; ++h) std::fill(dxp + h * g.W + 2 * g.OW, dxp + (h + 1) * g.W, 0.0f);
  if (g.H > 2 * g.OH) std::fill(dxp + 2 * g.OH * g.W, dxp + g.H * g.W, 0.0f);
}

void maxpool_backward_plane_2x2(const PoolGeom& g, const float* xp, const float* dyp, float* dxp) {
  const f32x4 z = f32x4_zero();
  for (int oh = 0; oh < g.OH; ++oh) {
    const float* r0 = xp + 2 * oh * g.W;
    const float* r1 = r0 + g.W;
    float* d0 = dxp + 2 * oh * g.W;
    float* d1 = d0 + g.W;
    const float* dy = dyp + oh * g.OW;
    int ow = 0;
    for (; ow + 4 <= g.OW; ow += 4) {
      const f32x4 u0 = f32x4_load(r0 + 2 * ow), u1 = f32x4_load(r0 + 2 * ow + 4);
      const f32x4 v0 = f32x4_load(r1 + 2 * ow), v1 = f32x4_load(r1 + 2 * ow + 4);
      const f32x4 a = f32x4_even(u0, u1), b = f32x4_odd(u0, u1), c = f32x4_even(v0, v1), d = f32x4_odd(v0, v1);
      // The scan: best = a; b replaces it when greater, then c, then d.
      const i32x4 mb = b > a;
      const f32x4 best_b = f32x4_select(mb, b, a);
      const i32x4 mc = c > best_b;
      const f32x4 best_c = f32x4_select(mc, c, best_b);
      const i32x4 md = d > best_c;
      const f32x4 gv = f32x4_load(dy + ow);
      const f32x4 gd = f32x4_select(md, gv, z);
      const f32x4 gc = f32x4_select(mc & ~md, gv, z);
      const f32x4 gb = f32x4_select(mb & ~mc & ~md, gv, z);
      const f32x4 ga = f32x4_select(~mb & ~mc & ~md, gv, z);
      f32x4_store(d0 + 2 * ow, f32x4_interleave_lo(ga, gb));
      f32x4_store(d0 + 2 * ow + 4, f32x4_interleave_hi(ga, gb));
      f32x4_store(d1 + 2 * ow, f32x4_interleave_lo(gc, gd));
      f32x4_store(d1 + 2 * ow + 4, f32x4_interleave_hi(gc, gd));
    }
    for (; ow < g.OW; ++ow) {
      const int c0 = 2 * ow;
      const float* v[4] = {r0 + c0, r0 + c0 + 1, r1 + c0, r1 + c0 + 1};
      float* o[4] = {d0 + c0, d0 + c0 + 1, d1 + c0, d1 + c0 + 1};
      int best = 0;
      for (int k = 1; k < 4; ++k)
        if (*v[k] > *v[best]) best = k;
      for (int k = 0; k < 4; ++k) *o[k] = k == best ? dy[ow] : 0.0f;
    }
  }
  zero_uncovered_2x2(g, dxp);
}

void avgpool_forward_plane_2x2(const PoolGeom& g, const float* xp, float* yp) {
  const float inv = 0.25f;
  const f32x4 iv = f32x4_splat(inv), z = f32x4_zero();
  for (int oh = 0; oh < g.OH; ++oh) {
    const float* r0 = xp + 2 * oh * g.W;
    const float* r1 = r0 + g.W;
    float* y = yp + oh * g.OW;
    int ow = 0;
    for (; ow + 4 <= g.OW; ow += 4) {
      const f32x4 u0 = f32x4_load(r0 + 2 * ow), u1 = f32x4_load(r0 + 2 * ow + 4);
      const f32x4 v0 = f32x4_load(r1 + 2 * ow), v1 = f32x4_load(r1 + 2 * ow + 4);
      f32x4 acc = z + f32x4_even(u0, u1);
      acc += f32x4_odd(u0, u1);
      acc += f32x4_even(v0, v1);
      acc += f32x4_odd(v0, v1);
      f32x4_store(y + ow, acc * iv);
    }
    for (; ow < g.OW; ++ow) {
      float acc = 0.0f;
      acc += r0[2 * ow];
      acc += r0[2 * ow + 1];
      acc += r1[2 * ow];
      acc += r1[2 * ow + 1];
      y[ow] = acc * inv;
    }
  }
}

void avgpool_backward_plane_2x2(const PoolGeom& g, const float* dyp, float* dxp) {
  const float inv = 0.25f;
  const f32x4 iv = f32x4_splat(inv);
  for (int oh = 0; oh < g.OH; ++oh) {
    float* d0 = dxp + 2 * oh * g.W;
    float* d1 = d0 + g.W;
    const float* dy = dyp + oh * g.OW;
    int ow = 0;
    for (; ow + 4 <= g.OW; ow += 4) {
      const f32x4 v = f32x4_load(dy + ow) * iv;
      const f32x4 lo = f32x4_interleave_lo(v, v), hi = f32x4_interleave_hi(v, v);
      f32x4_store(d0 + 2 * ow, lo);
      f32x4_store(d0 + 2 * ow + 4, hi);
      f32x4_store(d1 + 2 * ow, lo);
      f32x4_store(d1 + 2 * ow + 4, hi);
    }
    for (; ow < g.OW; ++ow) {
      const float v = dy[ow] * inv;
      d0[2 * ow] = d0[2 * ow + 1] = d1[2 * ow] = d1[2 * ow + 1] = v;
    }
  }
  zero_uncovered_2x2(g, dxp);
}

// Any window and stride: four outputs of a row at a time, each adding its window's taps in the
// scalar scan's order (row by row, left to right), so the sums are bit-identical to the reference.
// Stride 1 loads the taps of four outputs as one vector, stride 2 as the even lanes of two, other
// strides gather them.
void avgpool_forward_plane_vec(const PoolGeom& g, const float* xp, float* yp) {
  const float inv = 1.0f / static_cast<float>(g.FH * g.FW);
  const f32x4 iv = f32x4_splat(inv);
  const int SW = g.SW;
  for (int oh = 0; oh < g.OH; ++oh) {
    const float* r = xp + static_cast<std::ptrdiff_t>(oh) * g.SH * g.W;
    float* y = yp + oh * g.OW;
    int ow = 0;
    for (; ow + 4 <= g.OW && (SW != 2 || 2 * ow + 7 + g.FW <= g.W); ow += 4) {
      f32x4 acc = f32x4_zero();
      for (int i = 0; i < g.FH; ++i) {
        const float* t = r + static_cast<std::ptrdiff_t>(i) * g.W + ow * SW;
        for (int j = 0; j < g.FW; ++j) {
          const float* q = t + j;
          if (SW == 1)
            acc += f32x4_load(q);
          else if (SW == 2)
            acc += f32x4_even(f32x4_load(q), f32x4_load(q + 4));
          else
            acc += f32x4{q[0], q[SW], q[2 * SW], q[3 * SW]};
        }
      }
      f32x4_store(y + ow, acc * iv);
    }
    for (; ow < g.OW; ++ow) {
      float acc = 0.0f;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) acc += r[static_cast<std::ptrdiff_t>(i) * g.W + ow * SW + j];
      y[ow] = acc * inv;
    }
  }
}

// The backward adds each output's share dy * inv to its window's inputs. Per output row, an input
// column w is covered by at most m = ceil(FW / SW) outputs; share[k][w] holds the share of the k-th
// of them in ascending order (0 where there is none), and each input row of the window then adds
// share[0][w], share[1][w], ... in turn, four columns per vector. That is the scalar scan's order of
// additions (output rows, then output columns, ascending), and adding the zeros changes no bit (an
// input never holds -0), so the result is bit-identical to the reference.
void avgpool_backward_plane_vec(const PoolGeom& g, const float* dyp, float* dxp) {
  const float inv = 1.0f / static_cast<float>(g.FH * g.FW);
  const int SW = g.SW, m = (g.FW + SW - 1) / SW;
  const int wc = (g.OW - 1) * SW + g.FW;     // the columns some window covers
  thread_local std::vector<float> share, v;  // grow once per thread and shape, then are reused
  thread_local std::vector<int> src;         // the index in v (output ow, or OW: a zero) of each share
  const std::size_t n = static_cast<std::size_t>(m) * wc;
  if (share.size() < n) share.resize(n), src.resize(n);
  if (v.size() < static_cast<std::size_t>(g.OW) + 1) v.resize(static_cast<std::size_t>(g.OW) + 1);
  for (int w = 0; w < wc; ++w) {
    const int lo = w < g.FW ? 0 : (w - g.FW + SW) / SW;  // the first output whose window reaches w
    for (int k = 0; k < m; ++k) {
      const int ow = lo + k;
      src[static_cast<std::size_t>(k) * wc + w] = ow < g.OW && ow * SW <= w ? ow : g.OW;
    }
  }
  const f32x4 iv = f32x4_splat(inv);
  v[g.OW] = 0.0f;
  std::fill(dxp, dxp + static_cast<std::ptrdiff_t>(g.H) * g.W, 0.0f);
  for (int oh = 0; oh < g.OH; ++oh) {
    const float* dy = dyp + oh * g.OW;
    lanes(
        0, g.OW, [&](std::size_t o) { f32x4_store(v.data() + o, f32x4_load(dy + o) * iv); },
        [&](std::size_t o) { v[o] = dy[o] * inv; });
    for (std::size_t t = 0; t < n; ++t) share[t] = v[src[t]];
    for (int i = 0; i < g.FH; ++i) {
      float* d = dxp + static_cast<std::ptrdiff_t>(oh * g.SH + i) * g.W;
      lanes(
          0, wc,
          [&](std::size_t w) {
            f32x4 acc = f32x4_load(d + w);
            for (int k = 0; k < m; ++k) acc += f32x4_load(share.data() + static_cast<std::size_t>(k) * wc + w);
            f32x4_store(d + w, acc);
          },
          [&](std::size_t w) {
            for (int k = 0; k < m; ++k) d[w] += share[static_cast<std::size_t>(k) * wc + w];
          });
    }
  }
}

}  // namespace

void maxpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y) {
  for (int p = 0; p < planes; ++p)
    maxpool_forward_plane(g, x + static_cast<std::ptrdiff_t>(p) * g.H * g.W,
                          y + static_cast<std::ptrdiff_t>(p) * g.OH * g.OW);
}
void maxpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y) {
  const bool fast = is_2x2s2(g);
  for_planes(g, planes, [&](std::size_t p) {
    const float* xp = x + p * g.H * g.W;
    float* yp = y + p * g.OH * g.OW;
    if (fast)
      maxpool_forward_plane_2x2(g, xp, yp);
    else if (g.W <= kPoolCols)
      maxpool_forward_plane_cols(g, xp, yp);
    else
      maxpool_forward_plane(g, xp, yp);
  });
}

void maxpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx) {
  for (int p = 0; p < planes; ++p)
    maxpool_backward_plane(g, x + static_cast<std::ptrdiff_t>(p) * g.H * g.W,
                           dy + static_cast<std::ptrdiff_t>(p) * g.OH * g.OW,
                           dx + static_cast<std::ptrdiff_t>(p) * g.H * g.W);
}
void maxpool_backward_f32(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx) {
  const bool fast = is_2x2s2(g);
  for_planes(g, planes, [&](std::size_t p) {
    const float* xp = x + p * g.H * g.W;
    const float* dyp = dy + p * g.OH * g.OW;
    float* dxp = dx + p * g.H * g.W;
    if (fast)
      maxpool_backward_plane_2x2(g, xp, dyp, dxp);
    else if (g.W <= kPoolCols)
      maxpool_backward_plane_cols(g, xp, dyp, dxp);
    else
      maxpool_backward_plane(g, xp, dyp, dxp);
  });
}

void avgpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y) {
  for (int p = 0; p < planes; ++p)
    avgpool_forward_plane(g, x + static_cast<std::ptrdiff_t>(p) * g.H * g.W,
                          y + static_cast<std::ptrdiff_t>(p) * g.OH * g.OW);
}
void avgpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y) {
  const bool fast = is_2x2s2(g);
  for_planes(g, planes, [&](std::size_t p) {
    const float* xp = x + p * g.H * g.W;
    float* yp = y + p * g.OH * g.OW;
    if (fast)
      avgpool_forward_plane_2x2(g, xp, yp);
    else
      avgpool_forward_plane_vec(g, xp, yp);
  });
}

void avgpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* dy, float* dx) {
  for (int p = 0; p < planes; ++p)
    avgpool_backward_plane(g, dy + static_cast<std::ptrdiff_t>(p) * g.OH * g.OW,
                           dx + static_cast<std::ptrdiff_t>(p) * g.H * g.W);
}
void avgpool_backward_f32(const PoolGeom& g, int planes, const float* dy, float* dx) {
  const bool fast = is_2x2s2(g);
  for_planes(g, planes, [&](std::size_t p) {
    const float* dyp = dy + p * g.OH * g.OW;
    float* dxp = dx + p * g.H * g.W;
    if (fast)
      avgpool_backward_plane_2x2(g, dyp, dxp);
    else
      avgpool_backward_plane_vec(g, dyp, dxp);
  });
}

void global_avgpool_forward_f32_scalar(const float* x, int planes, int hw, float* y) {
  for (int p = 0; p < planes; ++p) {
    const float* r = x + static_cast<std::ptrdiff_t>(p) * hw;
    float s = 0.0f;
    for (int i = 0; i < hw; ++i) s += r[i];
    y[p] = s / static_cast<float>(hw);
  }
}
void global_avgpool_forward_f32(const float* x, int planes, int hw, float* y) {
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) y[p] = plane_sum_f32(x + p * hw, hw) / static_cast<float>(hw);
  });
}

void global_avgpool_backward_f32_scalar(const float* dy, int planes, int hw, float* dx) {
  for (int p = 0; p < planes; ++p) {
    const float g = dy[p] / static_cast<float>(hw);
    float* r = dx + static_cast<std::ptrdiff_t>(p) * hw;
    for (int i = 0; i < hw; ++i) r[i] = g;
  }
}
void global_avgpool_backward_f32(const float* dy, int planes, int hw, float* dx) {
  parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max(hw, 1)), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float g = dy[p] / static_cast<float>(hw);
      const f32x4 gv = f32x4_splat(g);
      float* r = dx + p * hw;
      lanes(
          0, hw, [&](std::size_t i) { f32x4_store(r + i, gv); }, [&](std::size_t i) { r[i] = g; });
    }
  });
}

// ============================================================================= batch norm

void bn_forward_plane_f32_scalar(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta,
                                 float* xhat, float* y) {
  for (std::size_t i = 0; i < n; ++i) {
    const float h = (x[i] - mean) * rstd;
    xhat[i] = h;
    y[i] = gamma * h + beta;
  }
}
void bn_forward_plane_f32(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta, float* xhat,
                          float* y) {
  const f32x4 m = f32x4_splat(mean), r = f32x4_splat(rstd), gv = f32x4_splat(gamma), bv = f32x4_splat(beta);
  lanes(
      0, n,
      [&](std::size_t i) {
        const f32x4 h = (f32x4_load(x + i) - m) * r;
        f32x4_store(xhat + i, h);
        f32x4_store(y + i, gv * h + bv);
      },
      [&](std::size_t i) {
        const float h = (x[i] - mean) * rstd;
        xhat[i] = h;
        y[i] = gamma * h + beta;
      });
}

void bn_backward_plane_f32_scalar(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx,
                                  float* dx) {
  if (!xhat) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = k * dy[i];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) dx[i] = k * (dy[i] - mg - xhat[i] * mgx);
}
void bn_backward_plane_f32(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx, float* dx) {
  const f32x4 kv = f32x4_splat(k), mgv = f32x4_splat(mg), mgxv = f32x4_splat(mgx);
  if (!xhat) {
    lanes(
        0, n, [&](std::size_t i) { f32x4_store(dx + i, kv * f32x4_load(dy + i)); },
        [&](std::size_t i) { dx[i] = k * dy[i]; });
    return;
  }
  lanes(
      0, n, [&](std::size_t i) { f32x4_store(dx + i, kv * (f32x4_load(dy + i) - mgv - f32x4_load(xhat + i) * mgxv)); },
      [&](std::size_t i) { dx[i] = k * (dy[i] - mg - xhat[i] * mgx); });
}

// ============================================================================= optimizers

void sgd_update_f32_scalar(float* w, const float* g, std::size_t n, float lr, float wd) {
  for (std::size_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
}
void sgd_update_f32(float* w, const float* g, std::size_t n, float lr, float wd) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i);
        f32x4_store(w + i, x - lv * (f32x4_load(g + i) + wv * x));
      },
      [&](std::size_t i) { w[i] -= lr * (g[i] + wd * w[i]); });
}

void sgd_momentum_update_f32_scalar(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                                    bool nesterov) {
  if (nesterov) {
    for (std::size_t i = 0; i < n; ++i) {
      const float d = g[i] + wd * w[i];
      b[i] = mu * b[i] + d;
      w[i] -= lr * (d + mu * b[i]);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      b[i] = mu * b[i] + (g[i] + wd * w[i]);
      w[i] -= lr * b[i];
    }
  }
}
void sgd_momentum_update_f32(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                             bool nesterov) {
  const f32x4 lv = f32x4_splat(lr), wv = f32x4_splat(wd), mv = f32x4_splat(mu);
  auto one = [&](std::size_t i) {
    const float d = g[i] + wd * w[i];
    b[i] = mu * b[i] + d;
    w[i] -= lr * (nesterov ? d + mu * b[i] : b[i]);
  };
  if (nesterov)
    elementwise(
        n,
        [&](std::size_t i) {
          const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
          const f32x4 bb = mv * f32x4_load(b + i) + d;
          f32x4_store(b + i, bb);
          f32x4_store(w + i, x - lv * (d + mv * bb));
        },
        one);
  else
    elementwise(
        n,
        [&](std::size_t i) {
          const f32x4 x = f32x4_load(w + i);
          const f32x4 bb = mv * f32x4_load(b + i) + (f32x4_load(g + i) + wv * x);
          f32x4_store(b + i, bb);
          f32x4_store(w + i, x - lv * bb);
        },
        one);
}

void adam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd,
                            const AdamCoeffs& k) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    m[i] = k.b1 * m[i] + k.c1 * d;
    v[i] = k.b2 * v[i] + k.c2 * d * d;
    w[i] -= k.step * (m[i] / (std::sqrt(v[i]) / k.bc2s + k.eps));
  }
}
void adam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k) {
  const f32x4 wv = f32x4_splat(wd), b1 = f32x4_splat(k.b1), c1 = f32x4_splat(k.c1), b2 = f32x4_splat(k.b2),
              c2 = f32x4_splat(k.c2), st = f32x4_splat(k.step), bc = f32x4_splat(k.bc2s), ev = f32x4_splat(k.eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 mm = b1 * f32x4_load(m + i) + c1 * d;
        const f32x4 vv = b2 * f32x4_load(v + i) + c2 * d * d;
        f32x4_store(m + i, mm);
        f32x4_store(v + i, vv);
        f32x4_store(w + i, x - st * (mm / (f32x4_sqrt(vv) / bc + ev)));
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        m[i] = k.b1 * m[i] + k.c1 * d;
        v[i] = k.b2 * v[i] + k.c2 * d * d;
        w[i] -= k.step * (m[i] / (std::sqrt(v[i]) / k.bc2s + k.eps));
      });
}

void radam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                             bool rectified) {
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    m[i] = k.b1 * m[i] + k.c1 * d;
    v[i] = k.b2 * v[i] + k.c2 * d * d;
    if (rectified)
      w[i] -= k.step * (m[i] / (std::sqrt(v[i]) + k.eps));
    else
      w[i] -= k.step * m[i];
  }
}
void radam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                      bool rectified) {
  const f32x4 wv = f32x4_splat(wd), b1 = f32x4_splat(k.b1), c1 = f32x4_splat(k.c1), b2 = f32x4_splat(k.b2),
              c2 = f32x4_splat(k.c2), st = f32x4_splat(k.step), ev = f32x4_splat(k.eps);
  elementwise(
      n,
      [&](std::size_t i) {
        const f32x4 x = f32x4_load(w + i), d = f32x4_load(g + i) + wv * x;
        const f32x4 mm = b1 * f32x4_load(m + i) + c1 * d;
        const f32x4 vv = b2 * f32x4_load(v + i) + c2 * d * d;
        f32x4_store(m + i, mm);
        f32x4_store(v + i, vv);
        f32x4_store(w + i, rectified ? x - st * (mm / (f32x4_sqrt(vv) + ev)) : x - st * mm);
      },
      [&](std::size_t i) {
        const float d = g[i] + wd * w[i];
        m[i] = k.b1 * m[i] + k.c1 * d;
        v[i] = k.b2 * v[i] + k.c2 * d * d;
        w[i] -= rectified ? k.step * (m[i] / (std::sqrt(v[i]) + k.eps)) : k.step * m[i];
      });
}

}  // namespace cnn::kernels
