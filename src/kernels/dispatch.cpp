// The choice of SIMD width (dispatch.h) and the public entry points of the dispatched kernels.
#include "kernels/dispatch.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/gemm/gemm.h"

// Each width's implementation of the dispatched kernels (their definitions: gemm/gemm.cpp, compiled
// once per width).
#define CNN_DISPATCHED_DECLS                                                                                         \
  void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,   \
                float beta, float* C, int ldc);                                                                      \
  void gemm_f32_brows(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,                    \
                      const std::ptrdiff_t* brow, float beta, float* C, int ldc);                                    \
  void gemm_f32_arows(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B, \
                      int ldb, float beta, float* C, int ldc);

namespace cnn::kernels {
namespace base {
CNN_DISPATCHED_DECLS
}
#if defined(CNN_SIMD_DISPATCH)
namespace avx2 {
CNN_DISPATCHED_DECLS
}
namespace avx512 {
CNN_DISPATCHED_DECLS
}
#endif

namespace {

#if defined(__wasm_simd128__)
constexpr const char* kBaseName = "simd128";
#elif defined(__SSE__)
constexpr const char* kBaseName = "sse";
#else
constexpr const char* kBaseName = "scalar";
#endif

const SimdKernels kWidths[] = {
    {kBaseName, 4, base::gemm_f32, base::gemm_f32_brows, base::gemm_f32_arows},
#if defined(CNN_SIMD_DISPATCH)
    {"avx2", 8, avx2::gemm_f32, avx2::gemm_f32_brows, avx2::gemm_f32_arows},
    {"avx512", 16, avx512::gemm_f32, avx512::gemm_f32_brows, avx512::gemm_f32_arows},
#endif
};
constexpr int kCount = static_cast<int>(sizeof kWidths / sizeof kWidths[0]);

bool runs(int i) {
#if defined(CNN_SIMD_DISPATCH)
  __builtin_cpu_init();
  if (!std::strcmp(kWidths[i].name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!std::strcmp(kWidths[i].name, "avx512"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw");
#endif
  return i == 0;
}

std::string names(bool runnable_only) {
  std::string s;
  for (int i = 0; i < kCount; ++i)
    if (!runnable_only || runs(i)) s += (s.empty() ? "" : ", ") + std::string(kWidths[i].name);
  return s;
}

const SimdKernels& choose() {
  int widest = 0;
  for (int i = 0; i < kCount; ++i)
    if (runs(i)) widest = i;
#if defined(CNN_SIMD_DISPATCH)
  const char* want = std::getenv("CNN_SIMD");
  if (!want || !*want || !std::strcmp(want, "auto")) return kWidths[widest];
  for (int i = 0; i < kCount; ++i)
    if (!std::strcmp(want, kWidths[i].name)) {
      if (runs(i)) return kWidths[i];
      std::fprintf(stderr, "CNN_SIMD=%s: this CPU cannot run %s kernels (it runs: %s)\n", want, want,
                   names(true).c_str());
      std::exit(77);
    }
  std::fprintf(stderr, "CNN_SIMD=%s: unknown SIMD width (this build has: %s; unset or auto for the widest)\n", want,
               names(false).c_str());
  std::exit(2);
#else
  return kWidths[widest];
#endif
}

// Chosen while the program starts, so that a bad CNN_SIMD stops it before any work (and never from
// inside a worker thread).
[[maybe_unused]] const SimdKernels* const g_chosen = &simd();

}  // namespace

const SimdKernels& simd() {
  static const SimdKernels& s = choose();
  return s;
}

std::string simd_supported() { return names(true); }

std::string simd_description() {
  return std::string(simd().name) + " (" + std::to_string(simd().lanes) + " lanes; this CPU runs " + names(true) + ")";
}

void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc) {
  simd().gemm_f32(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}
void gemm_f32_brows(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,
                    const std::ptrdiff_t* brow, float beta, float* C, int ldc) {
  simd().gemm_f32_brows(trans_a, M, N, K, A, lda, B, brow, beta, C, ldc);
}
void gemm_f32_arows(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B,
                    int ldb, float beta, float* C, int ldc) {
  simd().gemm_f32_arows(trans_b, M, N, K, A, arow, B, ldb, beta, C, ldc);
}

}  // namespace cnn::kernels
