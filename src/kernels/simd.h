// The small vector vocabulary every SIMD kernel is written against: 4 x f32 lanes with GCC/Clang
// vector extensions. One source, two targets: with -msimd128 em++ emits WebAssembly f32x4.*
// instructions; natively g++ emits SSE. (xsimd 8.1 has no wasm target; ../shared/TOOLCHAIN.md.)
#pragma once

#include <cstring>

namespace cnn::kernels {

typedef float f32x4 __attribute__((vector_size(16)));

inline f32x4 f32x4_load(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof v);  // unaligned load; compiles to one movups / v128.load
  return v;
}
inline void f32x4_store(float* p, f32x4 v) { std::memcpy(p, &v, sizeof v); }
inline f32x4 f32x4_splat(float x) { return f32x4{x, x, x, x}; }
inline f32x4 f32x4_zero() { return f32x4{0.0f, 0.0f, 0.0f, 0.0f}; }
inline f32x4 f32x4_max(f32x4 a, f32x4 b) { return a > b ? a : b; }
inline float f32x4_sum(f32x4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

}  // namespace cnn::kernels
