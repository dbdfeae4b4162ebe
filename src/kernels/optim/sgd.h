// SGD's update rules (train/optim/optimizer.h), element-wise over n parameters (d = g + wd w):
//   sgd:           w -= lr d
//   sgd momentum:  b = mu b + d;  w -= lr b                (nesterov: w -= lr (d + mu b))
// Each fast kernel (f32x4, split over the thread pool when n is large: loops.h) has a plain scalar
// reference `<name>_scalar` beside it, bit-identical to it (tests/kernels/test_optim.cpp).
#pragma once

#include <cstddef>

namespace cnn::kernels {

void sgd_update_f32(float* w, const float* g, std::size_t n, float lr, float wd);
void sgd_update_f32_scalar(float* w, const float* g, std::size_t n, float lr, float wd);
void sgd_momentum_update_f32(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                             bool nesterov);
void sgd_momentum_update_f32_scalar(float* w, const float* g, float* b, std::size_t n, float lr, float wd, float mu,
                                    bool nesterov);

}  // namespace cnn::kernels
