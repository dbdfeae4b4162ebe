// The SIMD width the kernels run at, chosen once per process. Natively on x86-64 (g++), the kernels
// of CNN_SIMD_DISPATCHED_SOURCES (CMakeLists.txt) are compiled three times, in the namespaces base
// (SSE, 4 lanes), avx2 (AVX2 + FMA, 8 lanes) and avx512 (AVX-512 + FMA, 16 lanes); at start-up the
// widest this CPU runs is chosen, or the one the environment variable CNN_SIMD names:
//   CNN_SIMD=sse | avx2 | avx512   (unset, empty or "auto": the widest)
// A name this build does not know exits with status 2 and says which it knows; a width this CPU
// cannot run exits with status 77 (ctest's "skipped" for the per-width test runs) and says which it
// can. The wasm build has one width, SIMD128 (4 lanes), and ignores CNN_SIMD; so does a native
// build on another architecture or compiler (SSE or the compiler's baseline).
// Results differ between widths only in the order of summation (and fused multiply-adds at 8 and
// 16 lanes); within a width they are bit-identical for any thread count (tests/kernels/).
#pragma once

#include <cstddef>
#include <string>

namespace cnn::kernels {

struct SimdKernels {
  const char* name;  // "sse", "avx2", "avx512" or "simd128"
  int lanes;         // floats per vector
  void (*gemm_f32)(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                   float beta, float* C, int ldc);
  void (*gemm_f32_brows)(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,
                         const std::ptrdiff_t* brow, float beta, float* C, int ldc);
  void (*gemm_f32_arows)(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B,
                         int ldb, float beta, float* C, int ldc);
};

// The width in use (chosen on first use; a bad CNN_SIMD ends the process there, see above).
const SimdKernels& simd();
// The widths this build has and this CPU runs, widest last: "sse, avx2, avx512".
std::string simd_supported();
// One line for --version and benchmark headers: "avx512 (16 lanes; this CPU runs sse, avx2, avx512)".
std::string simd_description();

}  // namespace cnn::kernels
