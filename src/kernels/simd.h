// The small vector vocabulary every SIMD kernel is written against: 4 x f32 lanes with GCC/Clang
// vector extensions. One source, two targets: with -msimd128 em++ emits WebAssembly f32x4.*
// instructions; natively g++ emits SSE. (xsimd 8.1 has no wasm target; docs/TOOLCHAIN.md.)
#pragma once

#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE__)
#include <immintrin.h>
#endif

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
// a * b + c, a multiply and an add (SIMD128 has no fused multiply-add). Relaxed SIMD's
// f32x4.relaxed_madd was tried here: clang 14 emits only its pre-standard opcode, which a
// post-link rewrite to the standard one made runnable in Chromium 156, with outputs within 1.5e-6
// of this build's. On this machine's AMD EPYC, whose multiply and add pipes are separate, the
// GEMM gained nothing measurable (NetA/NetB training, inference and latency within +-5 %, A/B in
// one page), so the engine does not ship a third, relaxed-SIMD build.
inline f32x4 f32x4_madd(f32x4 a, f32x4 b, f32x4 c) { return a * b + c; }
inline float f32x4_sum(f32x4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }
// Lane-wise mask ? a : b, with mask the result of a vector comparison (all ones or all zeros).
typedef int i32x4 __attribute__((vector_size(16)));
inline f32x4 f32x4_select(i32x4 mask, f32x4 a, f32x4 b) { return mask ? a : b; }
// Correctly rounded square root per lane (the same value as std::sqrt on each float).
inline f32x4 f32x4_sqrt(f32x4 v) {
#if defined(__wasm_simd128__)
  return (f32x4)wasm_f32x4_sqrt((v128_t)v);
#elif defined(__SSE__)
  return (f32x4)_mm_sqrt_ps((__m128)v);
#else
  return f32x4{__builtin_sqrtf(v[0]), __builtin_sqrtf(v[1]), __builtin_sqrtf(v[2]), __builtin_sqrtf(v[3])};
#endif
}
// Even and odd lanes of the 8 floats a:b (deinterleave), and the inverse (interleave).
inline f32x4 f32x4_even(f32x4 a, f32x4 b) { return __builtin_shufflevector(a, b, 0, 2, 4, 6); }
inline f32x4 f32x4_odd(f32x4 a, f32x4 b) { return __builtin_shufflevector(a, b, 1, 3, 5, 7); }
inline f32x4 f32x4_interleave_lo(f32x4 a, f32x4 b) { return __builtin_shufflevector(a, b, 0, 4, 1, 5); }
inline f32x4 f32x4_interleave_hi(f32x4 a, f32x4 b) { return __builtin_shufflevector(a, b, 2, 6, 3, 7); }

}  // namespace cnn::kernels

// ------------------------------------------------------------------------------------------------
// Wider vectors, natively. The hot kernels (gemm/gemm.cpp) are written once against `fvec`, a vector
// of kLanes floats, and compiled once per width (CMakeLists.txt; docs/ARCHITECTURE.md "SIMD width"):
//   base    4 lanes: SSE natively, SIMD128 in wasm (the only width there); fvec is f32x4, and
//           fvec_madd a multiply and an add, so this build is the 4-wide engine as it always was
//   avx2    8 lanes, AVX2 + FMA (CNN_SIMD_AVX2)
//   avx512 16 lanes, AVX-512 F/VL/DQ/BW + FMA (CNN_SIMD_AVX512)
// A wide translation unit includes everything it needs first and then this file's wide section is
// opened by kernels/simd_target.h, whose `#pragma GCC target` gives the ISA to the functions
// defined after it only: inline functions of the headers (std::vector, parallel_for, ...) keep the
// baseline ISA, so the linker's choice among their copies never puts AVX code on a path that
// CNN_SIMD=sse runs. kernels/dispatch.h picks one width per process.
#if defined(CNN_SIMD_AVX512)
#define CNN_SIMD_NS avx512
#elif defined(CNN_SIMD_AVX2)
#define CNN_SIMD_NS avx2
#else
#define CNN_SIMD_NS base
#endif
