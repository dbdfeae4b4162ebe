// The filter gradient (dW) of a stride-1 convolution with few taps, direct: a first layer (C = 1),
// where a GEMM would pack both operands to use each value a handful of times.
#pragma once

#include <cstddef>

namespace cnn::kernels {

// out[m * sm + t * st] = beta * out[..] + sum over p < P of dy[m * P + p] * x[rows[t] + p], for M
// filters and T taps (rows[t]: the offset of tap t in the padded input, read at the padded width;
// conv/stride1.h). The fast kernel sums each (m, t) in four lanes and then the tail (another order
// than the reference's running sum: equal within rounding); it does not split over threads.
void conv_filter_grad_taps_f32(int M, int T, int P, const float* dy, const float* x, const std::ptrdiff_t* rows,
                               float beta, float* out, int sm, int st);
void conv_filter_grad_taps_f32_scalar(int M, int T, int P, const float* dy, const float* x, const std::ptrdiff_t* rows,
                                      float beta, float* out, int sm, int st);

}  // namespace cnn::kernels
