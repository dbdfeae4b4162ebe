// The vocabulary of one SIMD width (simd.h, "Wider vectors"): include it LAST in a kernel translation
// unit that is compiled once per width (CMakeLists.txt, CNN_SIMD_DISPATCHED_SOURCES). From here on the
// functions of the unit are compiled for that width's ISA (#pragma GCC target), and
// cnn::kernels::CNN_SIMD_NS holds:
//   kLanes               floats per vector (4, 8 or 16)
//   fvec                 a vector of kLanes floats
//   fvec_load / fvec_store / fvec_splat / fvec_zero   unaligned load and store, broadcast, zero
//   fvec_madd(a, b, c)   a * b + c: one fused multiply-add at 8 and 16 lanes, a multiply and an add
//                        at 4 (SSE2 and SIMD128 have no FMA); madd1 is the same on one float, so a
//                        scalar tail rounds exactly as a vector lane does
//   fvec_sum(v)          the lanes added in a fixed tree order
#pragma once

#include "kernels/simd.h"

#if defined(CNN_SIMD_AVX512)
#pragma GCC target("avx,avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")
#elif defined(CNN_SIMD_AVX2)
#pragma GCC target("avx,avx2,fma")
#endif

namespace cnn::kernels::CNN_SIMD_NS {

#if defined(CNN_SIMD_AVX512) || defined(CNN_SIMD_AVX2)
#if defined(CNN_SIMD_AVX512)
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif
typedef float fvec __attribute__((vector_size(4 * kLanes)));
inline fvec fvec_load(const float* p) {
  fvec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void fvec_store(float* p, fvec v) { std::memcpy(p, &v, sizeof v); }
inline fvec fvec_splat(float x) {
#if defined(CNN_SIMD_AVX512)
  return (fvec)_mm512_set1_ps(x);
#else
  return (fvec)_mm256_set1_ps(x);
#endif
}
inline fvec fvec_zero() { return fvec{}; }
inline fvec fvec_madd(fvec a, fvec b, fvec c) {
#if defined(CNN_SIMD_AVX512)
  return (fvec)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#else
  return (fvec)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#endif
}
inline float madd1(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
// The upper half added onto the lower half until one lane is left: lanes i and i + s for s = kLanes/2,
// ..., 1, the order of the 4-wide f32x4_sum's tree. In registers only: the obvious loop over an array
// copy of the vector crashed under AddressSanitizer with detect_stack_use_after_return (an aligned
// 64-byte move on a stack slot that ASan's fake stack had not aligned, by all appearances).
inline float fvec_sum(fvec v) {
#if defined(CNN_SIMD_AVX512)
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256((__m512)v), _mm512_extractf32x8_ps((__m512)v, 1));
#else
  const __m256 h = (__m256)v;
#endif
  const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // i + 4
  const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));                                  // i + 2
  return _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps(d, d, 1)));                         // i + 1
}
#else
constexpr int kLanes = 4;
typedef f32x4 fvec;
inline fvec fvec_load(const float* p) { return f32x4_load(p); }
inline void fvec_store(float* p, fvec v) { f32x4_store(p, v); }
inline fvec fvec_splat(float x) { return f32x4_splat(x); }
inline fvec fvec_zero() { return f32x4_zero(); }
inline fvec fvec_madd(fvec a, fvec b, fvec c) { return f32x4_madd(a, b, c); }
inline float madd1(float a, float b, float c) { return a * b + c; }
inline float fvec_sum(fvec v) { return f32x4_sum(v); }
#endif

}  // namespace cnn::kernels::CNN_SIMD_NS
