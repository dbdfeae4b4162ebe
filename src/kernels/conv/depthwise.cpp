// Depthwise convolution (depthwise.h): per channel and filter, each tap's row runs over the output
// columns whose input column lies inside the image.
#include "kernels/conv/depthwise.h"

#include <algorithm>
#include <cstddef>

namespace cnn::kernels {

namespace {

// The range [lo, hi) of output columns ow whose input column ow*SW - PW + j lies inside the image.
inline void valid_cols(const ConvGeom& g, int j, int& lo, int& hi) {
  // ow*SW - PW + j >= 0  <=>  ow >= ceil((PW - j) / SW);  ow*SW - PW + j < W  <=>  ow < ceil((W + PW - j) / SW)
  const int a = g.PW - j, b = g.W + g.PW - j;
  lo = a <= 0 ? 0 : (a + g.SW - 1) / g.SW;
  hi = b <= 0 ? 0 : std::min(g.OW, (b + g.SW - 1) / g.SW);
}

}  // namespace

void depthwise_forward_f32(const ConvGeom& g, int M, const float* x, const float* w, float* y) {
  const int ohw = g.OH * g.OW, hw = g.H * g.W, ff = g.FH * g.FW;
  for (int c = 0; c < g.C; ++c)
    for (int m = 0; m < M; ++m) {
      const int k = c * M + m;
      float* yk = y + static_cast<std::ptrdiff_t>(k) * ohw;
      const float* xc = x + static_cast<std::ptrdiff_t>(c) * hw;
      const float* wk = w + static_cast<std::ptrdiff_t>(k) * ff;
      for (int e = 0; e < ohw; ++e) yk[e] = 0.0f;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) {
          const float wv = wk[i * g.FW + j];
          int lo, hi;
          valid_cols(g, j, lo, hi);
          for (int oh = 0; oh < g.OH; ++oh) {
            const int h = oh * g.SH - g.PH + i;
            if (h < 0 || h >= g.H) continue;
            const float* xr = xc + h * g.W - g.PW + j;
            float* yr = yk + oh * g.OW;
            if (g.SW == 1)
              for (int ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow];
            else
              for (int ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * g.SW];
          }
        }
    }
}

void depthwise_backward_f32(const ConvGeom& g, int M, const float* x, const float* w, const float* dy, float* dx,
                            float* dw) {
  const int ohw = g.OH * g.OW, hw = g.H * g.W, ff = g.FH * g.FW;
  for (int c = 0; c < g.C; ++c)
    for (int m = 0; m < M; ++m) {
      const int k = c * M + m;
      const float* dyk = dy + static_cast<std::ptrdiff_t>(k) * ohw;
      const float* xc = x + static_cast<std::ptrdiff_t>(c) * hw;
      float* dxc = dx ? dx + static_cast<std::ptrdiff_t>(c) * hw : nullptr;
      const float* wk = w + static_cast<std::ptrdiff_t>(k) * ff;
      float* dwk = dw + static_cast<std::ptrdiff_t>(k) * ff;
      for (int i = 0; i < g.FH; ++i)
        for (int j = 0; j < g.FW; ++j) {
          const float wv = wk[i * g.FW + j];
          int lo, hi;
          valid_cols(g, j, lo, hi);
          float acc = 0.0f;
          for (int oh = 0; oh < g.OH; ++oh) {
            const int h = oh * g.SH - g.PH + i;
            if (h < 0 || h >= g.H) continue;
            const std::ptrdiff_t base = h * g.W - g.PW + j;
            const float* gr = dyk + oh * g.OW;
            const float* xr = xc + base;
            if (g.SW == 1) {
              for (int ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow];
              if (dxc)
                for (int ow = lo; ow < hi; ++ow) dxc[base + ow] += wv * gr[ow];
            } else {
              for (int ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow * g.SW];
              if (dxc)
                for (int ow = lo; ow < hi; ++ow) dxc[base + ow * g.SW] += wv * gr[ow];
            }
          }
          dwk[i * g.FW + j] += acc;
        }
    }
}

}  // namespace cnn::kernels
