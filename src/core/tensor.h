// Tensors: NCHW float32 on xtensor.
//
// Shape legend used throughout the engine:
//   N batch, C channels, H height, W width, K filters, F filter size, S stride, P zero padding.
// A per-sample shape is {C, H, W}; a batch tensor is {N, C, H, W}. Layers whose natural output
// is a vector (dense, flatten) produce {N, F, 1, 1}, so every activation is 4-D.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

namespace cnn {

using Tensor = xt::xarray<float>;
using Shape = std::vector<std::size_t>;

// Every error the engine reports: bad shapes, bad configuration, bad files. Never an abort.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string shape_str(const Shape& s);
// Several shapes: "[2x3x4], [2x3x4]".
std::string shapes_str(const std::vector<Shape>& s);
Shape shape_of(const Tensor& t);
std::size_t shape_size(const Shape& s);
// The element count in 64 bits, saturating (never wraps, also where size_t has 32 bits).
std::uint64_t shape_elements(const Shape& s);
// Throws cnn::Error when a tensor of this shape would exceed kMaxTensorElements (size_limits.h).
void check_tensor_size(const Shape& s);
// {N} + per-sample shape.
Shape batch_shape(std::size_t n, const Shape& sample);
// A zero tensor of the given shape, checked with check_tensor_size first.
Tensor zeros(const Shape& s);
// Reallocates t only when its shape differs; keeps the buffer otherwise (no allocation in steady state).
void ensure_shape(Tensor& t, const Shape& s);
// Shape checks for the hot paths that build no Shape (no heap allocation when the tensor already
// has the right shape, which is every training step after the first).
bool same_shape(const Tensor& a, const Tensor& b);
bool has_shape(const Tensor& t, std::initializer_list<std::size_t> s);
// ensure_shape(t, s) and ensure_shape(t, shape_of(like)) without a temporary Shape in steady state.
void ensure_shape_of(Tensor& t, std::initializer_list<std::size_t> s);
void ensure_same_shape(Tensor& t, const Tensor& like);

}  // namespace cnn
