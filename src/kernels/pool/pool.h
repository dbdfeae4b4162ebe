// Pooling over `planes` independent H x W maps (N*C): max and average windows, and the global
// average. Pointers and sizes in, nothing allocated.
//
// Each fast kernel (f32x4 from simd.h, planes split over the thread pool) has a plain scalar
// reference `<name>_scalar` beside it; tests/kernels/test_pool.cpp compares them over the shapes of
// tests/kernels/kernel_cases.h. Unless a comment says otherwise the two are bit-identical, for any
// thread count (threads take whole planes).
#pragma once

namespace cnn::kernels {

// Window FH x FW, stride SH x SW, no padding, OH = (H - FH)/SH + 1, OW = (W - FW)/SW + 1 (rounded
// down: the last rows or columns may be read by no window).
struct PoolGeom {
  int H, W, FH, FW, SH, SW, OH, OW;
};

// Max: the largest value of each window (row-major scan, a value replaces the best only when
// greater). Backward writes dx completely: dy goes to the first maximum of its window (the same
// scan), every other input gets 0 (or the sum over the windows that pick it when they overlap).
// Fast paths: 2x2 stride 2 (maxpool.cpp), any window on planes up to 512 wide (by columns).
void maxpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y);
void maxpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y);
void maxpool_backward_f32(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx);
void maxpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx);

// Average: y = (sum of the window, row-major from 0) * (1 / (FH FW)). Backward writes dx completely:
// each input gets the sum of dy * (1 / (FH FW)) over the windows that contain it.
// Fast paths: 2x2 stride 2, and any window four outputs at a time (avgpool.cpp).
void avgpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y);
void avgpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y);
void avgpool_backward_f32(const PoolGeom& g, int planes, const float* dy, float* dx);
void avgpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* dy, float* dx);

// Global average: y[p] = (sum of plane p) / hw, for `planes` planes of hw values (N*C). The SIMD sum
// adds four lanes, then the tail, so it differs from the scalar's running sum by rounding. Backward
// writes dx completely: every value of plane p gets dy[p] / hw (the same bits as the scalar).
void global_avgpool_forward_f32(const float* x, int planes, int hw, float* y);
void global_avgpool_forward_f32_scalar(const float* x, int planes, int hw, float* y);
void global_avgpool_backward_f32(const float* dy, int planes, int hw, float* dx);
void global_avgpool_backward_f32_scalar(const float* dy, int planes, int hw, float* dx);

}  // namespace cnn::kernels
