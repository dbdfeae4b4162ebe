// Average pooling (pool.h): the scalar scan, a 2x2 stride-2 kernel, and any window four outputs
// at a time.
#include <vector>

#include "kernels/pool/planes.h"
#include "kernels/simd.h"

namespace cnn::kernels {

namespace {

// The reference: each window summed row by row.
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

void avgpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y) {
  for_each_plane(g, planes, PlaneThreads::one,
                 [&](std::size_t i, std::size_t o) { avgpool_forward_plane(g, x + i, y + o); });
}
void avgpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y) {
  const auto plane = is_2x2s2(g) ? avgpool_forward_plane_2x2 : avgpool_forward_plane_vec;
  for_each_plane(g, planes, PlaneThreads::pool, [&](std::size_t i, std::size_t o) { plane(g, x + i, y + o); });
}

void avgpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* dy, float* dx) {
  for_each_plane(g, planes, PlaneThreads::one,
                 [&](std::size_t i, std::size_t o) { avgpool_backward_plane(g, dy + o, dx + i); });
}
void avgpool_backward_f32(const PoolGeom& g, int planes, const float* dy, float* dx) {
  const auto plane = is_2x2s2(g) ? avgpool_backward_plane_2x2 : avgpool_backward_plane_vec;
  for_each_plane(g, planes, PlaneThreads::pool, [&](std::size_t i, std::size_t o) { plane(g, dy + o, dx + i); });
}

}  // namespace cnn::kernels
