// GEMM, row-major; pointers, leading dimensions and sizes in, nothing allocated (but for each
// thread's packing buffers, grown once).
//
//   C[M x N] = op(A)[M x K] * op(B)[K x N] + beta * C
//   op(A) = A or Aᵀ (trans_a), op(B) = B or Bᵀ (trans_b).
//
// gemm_f32_scalar is the plain reference. gemm_f32 is what layers call: packed operands, a 4 x 8
// f32x4 register tile, a GEMV for one row of A, split over the thread pool (gemm.cpp says why each
// choice); tests/kernels/test_gemm.cpp checks it against the reference.
#pragma once

#include <cstddef>

namespace cnn::kernels {

void gemm_f32_scalar(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float beta, float* C, int ldc);
void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc);
// The same with B given by rows at arbitrary offsets: row k of B is B + brow[k] .. + N (B not
// transposed). A stride-1 convolution reads its padded input in place with it (conv/stride1.h).
// Bit-identical to gemm_f32 on the rows copied out.
void gemm_f32_brows(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,
                    const std::ptrdiff_t* brow, float beta, float* C, int ldc);
// The same with A given by rows at arbitrary offsets (A not transposed): row i of A is A + arow[i]
// .. + K. A stride-1 convolution's filter gradient reads its padded input in place with it.
void gemm_f32_arows(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B,
                    int ldb, float beta, float* C, int ldc);

}  // namespace cnn::kernels
