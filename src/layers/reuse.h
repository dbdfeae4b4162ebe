// Shape checks for the layers' hot paths that build no Shape (no heap allocation when the output
// already has the right shape, which is every training step after the first).
#pragma once

#include <algorithm>
#include <initializer_list>

#include "../tensor.h"

namespace cnn {

inline bool has_shape(const Tensor& t, std::initializer_list<std::size_t> s) {
  return t.dimension() == s.size() && std::equal(s.begin(), s.end(), t.shape().begin());
}
// ensure_shape(t, s) without a temporary Shape in steady state.
inline void ensure_shape_of(Tensor& t, std::initializer_list<std::size_t> s) {
  if (!has_shape(t, s)) ensure_shape(t, Shape(s));
}
// ensure_shape(t, shape_of(like)) without a temporary Shape in steady state.
inline void ensure_same_shape(Tensor& t, const Tensor& like) {
  if (t.dimension() == like.dimension() && std::equal(like.shape().begin(), like.shape().end(), t.shape().begin()))
    return;
  ensure_shape(t, shape_of(like));
}

}  // namespace cnn
