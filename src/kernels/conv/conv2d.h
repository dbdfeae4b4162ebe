// A 2-D convolution over a batch (NCHW, with groups): the algorithms of kernels/conv/ and the
// choice between them, by shape alone. The Conv2D layer (nn/layers/conv2d.h) calls these.
//   x {N, groups*C, H, W}, w {K, C, FH, FW}, y {N, K, OH, OW}, K = filters (a multiple of groups),
//   with C, H, W, ... from the plan's geometry of one group (g.C = channels per group).
// Unlike the kernels below it, this owns memory: a Conv2dWorkspace, which the caller keeps from call
// to call and which grows once to the largest shape it meets. Results do not depend on the number
// of threads.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/conv/geom.h"

namespace cnn::kernels {

// The algorithms (conv2d.cpp says when each is chosen and what it measured against the others):
//   depthwise:    one input channel per group: direct loops (depthwise.h);
//   pointwise:    1x1, stride 1, no padding: one GEMM straight on the input, nothing copied;
//   stride1:      the padded input read in place by the GEMM (stride1.h); for dx, a stride-1
//                 correlation of the padded dY with the turned filters;
//   stride1_taps: the filter gradient of a stride-1 first layer (C = 1): few taps, direct
//                 (filter_grad.h);
//   lowered:      im2col / im2row + GEMM (lowering.h), col2im for dx.
enum class ConvAlgo { depthwise, pointwise, stride1, stride1_taps, lowered };
const char* conv_algo_name(ConvAlgo a);

struct Conv2dPlan {
  ConvGeom g;  // one group of one image
  int groups, filters;
  ConvAlgo forward, filter_grad, input_grad;
};
Conv2dPlan conv2d_plan(const ConvGeom& g, int groups, int filters);

// Grown once, reused; one per layer (or per caller), not shared between threads.
struct Conv2dWorkspace {
  std::vector<float> col, dcol, partials, wflip;
  std::vector<std::ptrdiff_t> rows, rows_dx;  // stride 1: row offsets in the padded input / padded dY
  ConvGeom rows_for{}, rows_dx_for{};         // the geometry each was computed for
};

// y = conv(x, w) (no bias: the layer adds it).
void conv2d_forward_f32(const Conv2dPlan& p, int N, const float* x, const float* w, float* y, Conv2dWorkspace& ws);
// dw += the filter gradient; dx (null: not wanted) = the input gradient, written completely.
void conv2d_backward_f32(const Conv2dPlan& p, int N, const float* x, const float* w, const float* dy, float* dx,
                         float* dw, Conv2dWorkspace& ws);
// The references: direct loops over every output, tap and image (single thread).
void conv2d_forward_f32_scalar(const Conv2dPlan& p, int N, const float* x, const float* w, float* y);
void conv2d_backward_f32_scalar(const Conv2dPlan& p, int N, const float* x, const float* w, const float* dy, float* dx,
                                float* dw);

}  // namespace cnn::kernels
