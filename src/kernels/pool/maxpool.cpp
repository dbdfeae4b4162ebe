// Max pooling (pool.h): the scalar scan, a 2x2 stride-2 kernel, and any window by columns.
#include <cstring>

#include "kernels/pool/planes.h"
#include "kernels/simd.h"

namespace cnn::kernels {

namespace {

// The reference: each window scanned row by row.
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

}  // namespace

void maxpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y) {
  for_each_plane(g, planes, PlaneThreads::one,
                 [&](std::size_t i, std::size_t o) { maxpool_forward_plane(g, x + i, y + o); });
}
void maxpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y) {
  const auto plane = is_2x2s2(g)        ? maxpool_forward_plane_2x2
                     : g.W <= kPoolCols ? maxpool_forward_plane_cols
                                        : maxpool_forward_plane;
  for_each_plane(g, planes, PlaneThreads::pool, [&](std::size_t i, std::size_t o) { plane(g, x + i, y + o); });
}

void maxpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx) {
  for_each_plane(g, planes, PlaneThreads::one,
                 [&](std::size_t i, std::size_t o) { maxpool_backward_plane(g, x + i, dy + o, dx + i); });
}
void maxpool_backward_f32(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx) {
  const auto plane = is_2x2s2(g)        ? maxpool_backward_plane_2x2
                     : g.W <= kPoolCols ? maxpool_backward_plane_cols
                                        : maxpool_backward_plane;
  for_each_plane(g, planes, PlaneThreads::pool, [&](std::size_t i, std::size_t o) { plane(g, x + i, dy + o, dx + i); });
}

}  // namespace cnn::kernels
