// Bias: added to NCHW planes (convolutions) or to rows (dense layers), and its gradient. Pointers and
// sizes in, nothing allocated.
//
// Each fast kernel (f32x4 from simd.h) has a plain scalar reference `<name>_scalar` beside it;
// unless a comment says otherwise the two are bit-identical, for any thread count
// (tests/kernels/test_eltwise.cpp).
#pragma once

namespace cnn::kernels {

// NCHW planes: y[(n*K + k)*hw + i] += b[k].
void add_bias_planes_f32(float* y, int N, int K, int hw, const float* b);
void add_bias_planes_f32_scalar(float* y, int N, int K, int hw, const float* b);
// db[k] += sum over n of (sum over i of dy[(n*K + k)*hw + i]). The fast kernel sums each plane in 4
// lanes (a different order than the reference: equal within rounding, not bit for bit); it is the
// same for any thread count (threads take whole k).
void bias_grad_planes_f32(const float* dy, int N, int K, int hw, float* db);
void bias_grad_planes_f32_scalar(const float* dy, int N, int K, int hw, float* db);
// Rows (dense): y[n*U + u] += b[u];  db[u] += sum over n of dy[n*U + u] (n in order: bit-identical).
void add_bias_rows_f32(float* y, int N, int U, const float* b);
void add_bias_rows_f32_scalar(float* y, int N, int U, const float* b);
void bias_grad_rows_f32(const float* dy, int N, int U, float* db);
void bias_grad_rows_f32_scalar(const float* dy, int N, int U, float* db);

}  // namespace cnn::kernels
