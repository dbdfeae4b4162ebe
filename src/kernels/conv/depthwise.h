// Depthwise convolution (groups = C, each input channel has M = K/C filters of its own), direct:
// im2col + GEMM would do a 1-row GEMM per channel. Plain loops; tests/kernels/test_conv.cpp checks
// them against direct indexing and against conv2d's scalar reference.
#pragma once

#include "kernels/conv/geom.h"

namespace cnn::kernels {

// x {C,H,W}, w {C*M, FH, FW}, y {C*M, OH, OW}.
void depthwise_forward_f32(const ConvGeom& g, int M, const float* x, const float* w, float* y);
// dx += conv_transpose(dy, w) (dx may be null: not wanted);  dw += correlate(x, dy).
void depthwise_backward_f32(const ConvGeom& g, int M, const float* x, const float* w, const float* dy, float* dx,
                            float* dw);

}  // namespace cnn::kernels
