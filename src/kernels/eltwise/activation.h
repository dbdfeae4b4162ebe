// Activations, element-wise over n floats: forward where the layer does not compute it in place,
// and the backward of each. Pointers and sizes in, nothing allocated.
//
// Each fast kernel (f32x4 from simd.h, split over the thread pool when n is large: loops.h) has a
// plain scalar reference `<name>_scalar` beside it, performing exactly the same float operations in
// the same order on each element: the two are bit-identical, for any thread count
// (tests/kernels/test_eltwise.cpp).
#pragma once

#include <cstddef>

namespace cnn::kernels {

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

}  // namespace cnn::kernels
