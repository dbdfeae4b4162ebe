// The stride-1 correlation read in place (stride1.h).
#include "kernels/conv/stride1.h"

#include "kernels/conv/lowering.h"
#include "kernels/gemm/gemm.h"

namespace cnn::kernels {

std::size_t stride1_padded(const ConvGeom& g) {
  return static_cast<std::size_t>(g.C) * (g.H + 2 * g.PH) * (g.W + 2 * g.PW) + g.FW;
}

std::size_t stride1_workspace(const ConvGeom& g, int M) {
  return stride1_padded(g) + static_cast<std::size_t>(M) * g.OH * (g.W + 2 * g.PW);
}

void stride1_row_offsets(const ConvGeom& g, std::ptrdiff_t* rows) {
  const int Wp = g.W + 2 * g.PW, plane = (g.H + 2 * g.PH) * Wp;
  for (int c = 0; c < g.C; ++c)
    for (int i = 0; i < g.FH; ++i)
      for (int j = 0; j < g.FW; ++j)
        rows[static_cast<std::size_t>((c * g.FH + i) * g.FW + j)] = static_cast<std::ptrdiff_t>(c) * plane + i * Wp + j;
}

void correlate_stride1_f32(const ConvGeom& g, int M, const float* w, const float* x, const std::ptrdiff_t* rows,
                           float* ws, float* out) {
  const int Wp = g.W + 2 * g.PW, wide = g.OH * Wp, ckk = g.C * g.FH * g.FW;
  float* yw = ws + stride1_padded(g);
  pad_image_f32(g, x, ws);
  gemm_f32_brows(false, M, wide, ckk, w, ckk, ws, rows, 0.0f, yw, wide);
  for (int k = 0; k < M; ++k)
    for (int oh = 0; oh < g.OH; ++oh) {
      const float* r = yw + static_cast<std::ptrdiff_t>(k) * wide + oh * Wp;
      float* d = out + (k * g.OH + oh) * g.OW;
      for (int ow = 0; ow < g.OW; ++ow) d[ow] = r[ow];
    }
}

}  // namespace cnn::kernels
