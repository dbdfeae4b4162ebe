// Batch normalization, one plane (the values of channel c in one image) at a time: the layer
// computes the statistics, these apply them. Pointers and sizes in, nothing allocated.
//
// Each fast kernel (f32x4 from simd.h, on the calling thread: the layer splits the planes) has a
// plain scalar reference `<name>_scalar` beside it, bit-identical to it
// (tests/kernels/test_eltwise.cpp).
#pragma once

#include <cstddef>

namespace cnn::kernels {

// One plane of channel c: xhat = (x - mean) * rstd, y = gamma * xhat + beta.
void bn_forward_plane_f32(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta, float* xhat,
                          float* y);
void bn_forward_plane_f32_scalar(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta,
                                 float* xhat, float* y);
// Training: dx = k (dy - mg - xhat mgx);  inference (xhat null): dx = k dy.
void bn_backward_plane_f32(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx, float* dx);
void bn_backward_plane_f32_scalar(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx,
                                  float* dx);

}  // namespace cnn::kernels
