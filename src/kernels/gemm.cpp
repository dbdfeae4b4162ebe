#include "gemm.h"

namespace cnn::kernels {

void gemm_f32_scalar(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                     const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < N; ++j) c[j] = 0.0f;
    else if (beta != 1.0f)
      for (int j = 0; j < N; ++j) c[j] *= beta;
    for (int k = 0; k < K; ++k) {
      const float a = trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i]
                              : A[static_cast<std::ptrdiff_t>(i) * lda + k];
      if (a == 0.0f) continue;
      if (!trans_b) {
        const float* b = B + static_cast<std::ptrdiff_t>(k) * ldb;
        for (int j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (int j = 0; j < N; ++j) c[j] += a * B[static_cast<std::ptrdiff_t>(j) * ldb + k];
      }
    }
  }
}

void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
              const float* B, int ldb, float beta, float* C, int ldc) {
  gemm_f32_scalar(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void im2col_f32(const ConvGeom& g, const float* x, float* col) {
  const int ohw = g.OH * g.OW;
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
          for (int ow = 0; ow < g.OW; ++ow) {
            const int w = ow * g.SW - g.PW + j;
            r[ow] = (w >= 0 && w < g.W) ? xr[w] : 0.0f;
          }
        }
      }
}

void col2im_add_f32(const ConvGeom& g, const float* dcol, float* dx) {
  const int ohw = g.OH * g.OW;
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
          for (int ow = 0; ow < g.OW; ++ow) {
            const int w = ow * g.SW - g.PW + j;
            if (w >= 0 && w < g.W) xr[w] += r[ow];
          }
        }
      }
}

}  // namespace cnn::kernels
