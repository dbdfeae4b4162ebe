// The kernels around the GEMM: activations, pooling, bias, batch-norm planes and the optimizers'
// update loops. Pointers and sizes in, nothing allocated.
//
// Each fast kernel (f32x4 from simd.h, and split over the thread pool where the work is large
// enough) has a plain scalar reference `<name>_scalar` beside it; tests/kernels/test_kernels_nongemm.cpp
// compares them over many sizes, odd tails included. Unless a comment says otherwise the fast
// kernel performs exactly the reference's float operations in the same order on each element, so
// the two are bit-identical (and identical for any thread count: threads take disjoint outputs).
#pragma once

#include <cstddef>

namespace cnn::kernels {

// ----------------------------------------------------------------------------- activations
// y = max(x, 0) (as x > 0 ? x : 0);  dx = x > 0 ? dy : 0.
void relu_forward_f32(const float* x, float* y, std::size_t n);
void relu_forward_f32_scalar(const float* x, float* y, std::size_t n);
void relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n);
void relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n);
// y = x > 0 ? x : a x;  dx = x > 0 ? dy : a dy.
void leaky_relu_forward_f32(const float* x, float* y, std::size_t n, float a);
void leaky_relu_forward_f32_scalar(const float* x, float* y, std::size_t n, float a);
void leaky_relu_backward_f32(const float* x, const float* dy, float* dx, std::size_t n, float a);
void leaky_relu_backward_f32_scalar(const float* x, const float* dy, float* dx, std::size_t n, float a);
// From the forward's output y: sigmoid dx = dy y (1 - y); tanh dx = dy (1 - y y);
// elu dx = x > 0 ? dy : dy (y + a).
void sigmoid_backward_f32(const float* y, const float* dy, float* dx, std::size_t n);
void sigmoid_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n);
void tanh_backward_f32(const float* y, const float* dy, float* dx, std::size_t n);
void tanh_backward_f32_scalar(const float* y, const float* dy, float* dx, std::size_t n);
void elu_backward_f32(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a);
void elu_backward_f32_scalar(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float a);

// ----------------------------------------------------------------------------- bias
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

// ----------------------------------------------------------------------------- pooling
// `planes` independent H x W maps (N*C), window FH x FW, stride SH x SW, no padding,
// OH = (H - FH)/SH + 1, OW = (W - FW)/SW + 1.
struct PoolGeom {
  int H, W, FH, FW, SH, SW, OH, OW;
};
// Max: the largest value of each window (row-major scan, a value replaces the best only when
// greater). Backward writes dx completely: dy goes to the first maximum of its window (the same
// scan), every other input gets 0 (or the sum over the windows that pick it when they overlap).
void maxpool_forward_f32(const PoolGeom& g, int planes, const float* x, float* y);
void maxpool_forward_f32_scalar(const PoolGeom& g, int planes, const float* x, float* y);
void maxpool_backward_f32(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx);
void maxpool_backward_f32_scalar(const PoolGeom& g, int planes, const float* x, const float* dy, float* dx);
// Average: y = (sum of the window, row-major from 0) * (1 / (FH FW)). Backward writes dx completely:
// each input gets the sum of dy * (1 / (FH FW)) over the windows that contain it.
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

// ----------------------------------------------------------------------------- batch norm
// One plane of channel c: xhat = (x - mean) * rstd, y = gamma * xhat + beta.
void bn_forward_plane_f32(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta, float* xhat,
                          float* y);
void bn_forward_plane_f32_scalar(const float* x, std::size_t n, float mean, float rstd, float gamma, float beta,
                                 float* xhat, float* y);
// Training: dx = k (dy - mg - xhat mgx);  inference (xhat null): dx = k dy.
void bn_backward_plane_f32(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx, float* dx);
void bn_backward_plane_f32_scalar(const float* dy, const float* xhat, std::size_t n, float k, float mg, float mgx,
                                  float* dx);

// ----------------------------------------------------------------------------- optimizers
// The update rules of src/train/optim/optimizer.h, element-wise (d = g + wd w):
//   sgd:           w -= lr d
//   sgd momentum:  b = mu b + d;  w -= lr b                (nesterov: w -= lr (d + mu b))
//   adam:          m = b1 m + c1 d;  v = b2 v + c2 d d;  w -= step (m / (sqrt(v) / bc2s + eps))
//   radam:         m, v as adam;  rect: w -= scale (m / (sqrt(v) + eps));  else w -= scale m
void sgd_update_f32(float* w, const float* g, std::size_t n, float lr, float wd);
void sgd_update_f32_scalar(float* w, const float* g, std::size_t n, float lr, float wd);
void sgd_momentum_update_f32(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                             bool nesterov);
void sgd_momentum_update_f32_scalar(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                                    bool nesterov);
struct AdamCoeffs {
  float b1, c1, b2, c2;  // beta1, 1 - beta1, beta2, 1 - beta2
  float step;            // adam: lr / bc1;  radam: its scale
  float bc2s;            // adam: sqrt(1 - beta2^t) (unused by radam)
  float eps;
};
void adam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k);
void adam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k);
void radam_update_f32(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                      bool rectified);
void radam_update_f32_scalar(float* w, const float* g, float* m, float* v, std::size_t n, float wd, const AdamCoeffs& k,
                             bool rectified);

}  // namespace cnn::kernels
