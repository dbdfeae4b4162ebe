// Lowering (lowering.h): plain copy loops, with contiguous runs where the stride allows.
#include "kernels/conv/lowering.h"

#include <algorithm>
#include <cstddef>

#include "kernels/simd.h"

namespace cnn::kernels {

void im2col_f32(const ConvGeom& g, const float* x, float* col, int ldcol) {
  const int ohw = ldcol;
  for (int c = 0; c < g.C; ++c)
    for (int i = 0; i < g.FH; ++i)
      for (int j = 0; j < g.FW; ++j) {
        float* row = col + static_cast<std::ptrdiff_t>((c * g.FH + i) * g.FW + j) * ohw;
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int oh = 0; oh < g.OH; ++oh) {
          const int h = oh * g.SH - g.PH + i;
          float* r = row + oh * g.OW;
          if (h < 0 || h >= g.H) {
            for (int ow = 0; ow < g.OW; ++ow) r[ow] = 0.0f;
            continue;
          }
          const float* xr = xc + h * g.W;
          if (g.SW == 1) {
            // Contiguous run with zero borders.
            const int lo = std::max(0, g.PW - j), hi = std::min(g.OW, g.W + g.PW - j);
            int ow = 0;
            for (; ow < lo; ++ow) r[ow] = 0.0f;
            // A plain loop, not memcpy: the runs are short (a feature map's width), and in wasm
            // memcpy is an out-of-line call (it showed as 13% of a NetA training step).
            const float* xs = xr + lo - g.PW + j;
            for (ow = lo; ow < hi; ++ow) r[ow] = xs[ow - lo];
            for (ow = std::max(hi, lo); ow < g.OW; ++ow) r[ow] = 0.0f;
            continue;
          }
          for (int ow = 0; ow < g.OW; ++ow) {
            const int w = ow * g.SW - g.PW + j;
            r[ow] = (w >= 0 && w < g.W) ? xr[w] : 0.0f;
          }
        }
      }
}

void im2row_f32(const ConvGeom& g, const float* x, float* rows) {
  const int ckk = g.C * g.FH * g.FW;
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      float* r = rows + static_cast<std::ptrdiff_t>(oh * g.OW + ow) * ckk;
      const int w0 = ow * g.SW - g.PW;
      for (int c = 0; c < g.C; ++c) {
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int i = 0; i < g.FH; ++i, r += g.FW) {
          const int h = oh * g.SH - g.PH + i;
          if (h < 0 || h >= g.H) {
            for (int j = 0; j < g.FW; ++j) r[j] = 0.0f;
            continue;
          }
          const float* xr = xc + h * g.W;
          if (w0 >= 0 && w0 + g.FW <= g.W) {  // the window row lies inside the image
            for (int j = 0; j < g.FW; ++j) r[j] = xr[w0 + j];
            continue;
          }
          for (int j = 0; j < g.FW; ++j) {
            const int w = w0 + j;
            r[j] = (w >= 0 && w < g.W) ? xr[w] : 0.0f;
          }
        }
      }
    }
}

void pad_image_f32(const ConvGeom& g, const float* x, float* xpad) {
  const int Wp = g.W + 2 * g.PW;
  for (int c = 0; c < g.C; ++c)
    for (int h = 0; h < g.H; ++h) {
      const float* r = x + (static_cast<std::ptrdiff_t>(c) * g.H + h) * g.W;
      float* d = xpad + (static_cast<std::ptrdiff_t>(c) * (g.H + 2 * g.PH) + h + g.PH) * Wp + g.PW;
      for (int w = 0; w < g.W; ++w) d[w] = r[w];
    }
}

void im2row_padded_f32(const ConvGeom& g, const float* xpad, float* rows) {
  const int Hp = g.H + 2 * g.PH, Wp = g.W + 2 * g.PW, FW = g.FW;
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(Hp) * Wp;
  for (int oh = 0; oh < g.OH; ++oh)
    for (int ow = 0; ow < g.OW; ++ow) {
      float* r = rows + static_cast<std::ptrdiff_t>(oh * g.OW + ow) * g.C * g.FH * FW;
      const float* x0 = xpad + static_cast<std::ptrdiff_t>(oh * g.SH) * Wp + ow * g.SW;
      for (int c = 0; c < g.C; ++c)
        for (int i = 0; i < g.FH; ++i, r += FW) {
          const float* s = x0 + c * plane + i * Wp;
          if (FW >= 4) {  // vector copies, the last one overlapping the one before
            int j = 0;
            for (; j + 4 <= FW; j += 4) f32x4_store(r + j, f32x4_load(s + j));
            if (j < FW) f32x4_store(r + FW - 4, f32x4_load(s + FW - 4));
          } else {
            for (int j = 0; j < FW; ++j) r[j] = s[j];
          }
        }
    }
}

void col2im_add_f32(const ConvGeom& g, const float* dcol, int ldcol, float* dx) {
  const int ohw = ldcol;
  for (int c = 0; c < g.C; ++c)
    for (int i = 0; i < g.FH; ++i)
      for (int j = 0; j < g.FW; ++j) {
        const float* row = dcol + static_cast<std::ptrdiff_t>((c * g.FH + i) * g.FW + j) * ohw;
        float* xc = dx + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int oh = 0; oh < g.OH; ++oh) {
          const int h = oh * g.SH - g.PH + i;
          if (h < 0 || h >= g.H) continue;
          float* xr = xc + h * g.W;
          const float* r = row + oh * g.OW;
          if (g.SW == 1) {
            const int lo = std::max(0, g.PW - j), hi = std::min(g.OW, g.W + g.PW - j);
            float* xo = xr - g.PW + j;
            for (int ow = lo; ow < hi; ++ow) xo[ow] += r[ow];
            continue;
          }
          for (int ow = 0; ow < g.OW; ++ow) {
            const int w = ow * g.SW - g.PW + j;
            if (w >= 0 && w < g.W) xr[w] += r[ow];
          }
        }
      }
}

}  // namespace cnn::kernels
