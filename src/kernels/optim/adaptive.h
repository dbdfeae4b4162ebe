// The update rules that scale each step by a running sum or average of squared gradients
// (train/optim/optimizer.h), element-wise over n parameters (d = g + wd w):
//   adagrad:   sum += d d;  w -= lr (d / (sqrt(sum) + eps))
//   adadelta:  sq = rho sq + c d d;  delta = sqrt(acc + eps) / sqrt(sq + eps) d;
//              acc = rho acc + c delta delta;  w -= lr delta               (c = 1 - rho)
//   rmsprop:   sq = a sq + c d d;  w -= lr (d / (sqrt(sq) + eps))          (c = 1 - a)
//              with momentum (b not null): b = mu b + d / (sqrt(sq) + eps);  w -= lr b
// Each fast kernel (f32x4, split over the thread pool when n is large: loops.h) has a plain scalar
// reference `<name>_scalar` beside it, bit-identical to it (the same operations in the same order;
// f32x4_sqrt is correctly rounded as std::sqrt is): tests/kernels/test_optim.cpp.
#pragma once

#include <cstddef>

namespace cnn::kernels {

void adagrad_update_f32(float* w, const float* g, float* sum, std::size_t n, float lr, float wd, float eps);
void adagrad_update_f32_scalar(float* w, const float* g, float* sum, std::size_t n, float lr, float wd, float eps);
void adadelta_update_f32(float* w, const float* g, float* sq, float* acc, std::size_t n, float lr, float wd, float rho,
                         float c, float eps);
void adadelta_update_f32_scalar(float* w, const float* g, float* sq, float* acc, std::size_t n, float lr, float wd,
                                float rho, float c, float eps);
void rmsprop_update_f32(float* w, const float* g, float* sq, float* b, std::size_t n, float lr, float wd, float a,
                        float c, float eps, float mu);
void rmsprop_update_f32_scalar(float* w, const float* g, float* sq, float* b, std::size_t n, float lr, float wd,
                               float a, float c, float eps, float mu);

}  // namespace cnn::kernels
