// Adam's and RAdam's update rules (train/optim/optimizer.h), element-wise (d = g + wd w):
//   adam:   m = b1 m + c1 d;  v = b2 v + c2 d d;  w -= step (m / (sqrt(v) / bc2s + eps))
//   radam:  m, v as adam;  rect: w -= scale (m / (sqrt(v) + eps));  else w -= scale m
// Each fast kernel (f32x4, split over the thread pool when n is large: loops.h) has a plain scalar
// reference `<name>_scalar` beside it, bit-identical to it (tests/kernels/test_optim.cpp).
#pragma once

#include <cstddef>

namespace cnn::kernels {

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
