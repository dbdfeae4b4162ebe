// GEMM and im2col kernels. Row-major; pointers, leading dimensions and sizes in, nothing allocated.
//
//   C[M x N] = op(A)[M x K] * op(B)[K x N] + beta * C
//   op(A) = A or Aᵀ (trans_a), op(B) = B or Bᵀ (trans_b).
//
// gemm_f32_scalar is the plain reference and the fallback; gemm_f32 is what layers call (the
// fast-kernels issue plugs SIMD variants in behind it, checked against the reference).
#pragma once

#include <cstddef>

namespace cnn::kernels {

void gemm_f32_scalar(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float beta, float* C, int ldc);
void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc);
// The same with B given by rows at arbitrary offsets: row k of B is B + brow[k] .. + N (B not
// transposed). A convolution with stride 1 uses it to read its input in place (Conv2D::forward).
void gemm_f32_rows(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,
                   const std::ptrdiff_t* brow, float beta, float* C, int ldc);
// The same with A given by rows at arbitrary offsets (A not transposed): row i of A is A + arow[i]
// .. + K. A stride-1 convolution's filter gradient reads its padded input in place with it.
void gemm_f32_arows(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B,
                    int ldb, float beta, float* C, int ldc);

// Convolution geometry for one image: C channels of H x W, filter FH x FW, stride SH x SW,
// zero padding PH x PW, output OH x OW.
struct ConvGeom {
  int C, H, W, FH, FW, SH, SW, PH, PW, OH, OW;
};

// col[(c*FH + i)*FW + j][oh*OW + ow] = x[c][oh*SH - PH + i][ow*SW - PW + j] (0 outside).
// ldcol is the row stride of col (OH*OW for one image; larger when several images share a col
// matrix side by side).
void im2col_f32(const ConvGeom& g, const float* x, float* col, int ldcol);
// The transpose, one row per output pixel: rows[oh*OW + ow][(c*FH + i)*FW + j] (for dW = dY * rows,
// whose GEMM then packs B with vector loads instead of a strided gather).
void im2row_f32(const ConvGeom& g, const float* x, float* rows);
// The same from a zero-padded copy of the image (pad_image_f32 writes its interior; the borders
// must be zero), {C, H + 2*PH, W + 2*PW}: no bounds checks, vector copies of the filter rows.
void pad_image_f32(const ConvGeom& g, const float* x, float* xpad);
void im2row_padded_f32(const ConvGeom& g, const float* xpad, float* rows);
// The adjoint of im2col: dx += scatter(dcol).
void col2im_add_f32(const ConvGeom& g, const float* dcol, int ldcol, float* dx);

// The filter gradient of a stride-1 convolution with few taps (a first layer, C = 1), direct:
// out[m * sm + t * st] = beta * out[..] + sum over p < P of dy[m * P + p] * x[rows[t] + p], for M
// filters and T taps (rows[t]: the offset of tap t in the padded input, read at the padded
// width). With 25 taps a GEMM would pack both operands to use each value a handful of times.
void conv_dw_taps_f32(int M, int T, int P, const float* dy, const float* x, const std::ptrdiff_t* rows, float beta,
                      float* out, int sm, int st);

// Depthwise convolution (groups = C, each input channel has M = K/C filters of its own), direct:
// im2col + GEMM would do a 1-row GEMM per channel. x {C,H,W}, w {C*M, FH, FW}, y {C*M, OH, OW}.
void depthwise_forward_f32(const ConvGeom& g, int M, const float* x, const float* w, float* y);
// dx += conv_transpose(dy, w);  dw += correlate(x, dy).
void depthwise_backward_f32(const ConvGeom& g, int M, const float* x, const float* w, const float* dy, float* dx,
                            float* dw);

}  // namespace cnn::kernels
