// SGEMM: C[M x N] = op(A)[M x K] * op(B)[K x N] + beta * C, row-major.
//
// gemm_f32_scalar is the plain reference. gemm_f32 is packed, cache-blocked and register-blocked
// (the GotoBLAS/BLIS structure): B is packed into KC x NR column panels, A into MR x KC row panels,
// and a microkernel keeps an MR x NR tile of C in vector registers across the K loop. Transposes are
// absorbed by the packing routines, so one microkernel serves A·B, Aᵀ·B and A·Bᵀ. Packing buffers
// grow once and are reused: no allocation in steady state.
#include "kernels/gemm/gemm.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"
#include "kernels/simd_target.h"  // last: the functions below are compiled for this file's SIMD width

// The reference, once (in the base width's compilation only).
#if !defined(CNN_SIMD_AVX2) && !defined(CNN_SIMD_AVX512)
namespace cnn::kernels {

void gemm_f32_scalar(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < N; ++j) c[j] = 0.0f;
    else if (beta != 1.0f)
      for (int j = 0; j < N; ++j) c[j] *= beta;
    for (int k = 0; k < K; ++k) {
      const float a =
          trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i] : A[static_cast<std::ptrdiff_t>(i) * lda + k];
      if (!trans_b) {
        const float* b = B + static_cast<std::ptrdiff_t>(k) * ldb;
        for (int j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (int j = 0; j < N; ++j) c[j] += a * B[static_cast<std::ptrdiff_t>(j) * ldb + k];
      }
    }
  }
}

}  // namespace cnn::kernels
#endif

// Everything else is compiled once per SIMD width, in its namespace (base, avx2, avx512);
// kernels/dispatch.cpp defines the public gemm_f32* and calls the chosen width's.
namespace cnn::kernels::CNN_SIMD_NS {

namespace {

// The register tile, per width (MR rows x NR columns of C held in NR / kLanes vectors per row):
//   base    4 x 8:  8 accumulators in 16 xmm registers (why, below micro_tile)
//   avx2    6 x 16: 12 accumulators + 2 B vectors + 1 broadcast in 16 ymm registers
//   avx512  8 x 32: 16 accumulators + 2 B vectors + 1 broadcast of 32 zmm registers
#if defined(CNN_SIMD_AVX512)
constexpr int MR = 8;
constexpr int NR = 32;
#elif defined(CNN_SIMD_AVX2)
constexpr int MR = 6;
constexpr int NR = 16;
#else
constexpr int MR = 4;  // rows of the register tile
constexpr int NR = 8;  // columns of the register tile (2 vectors)
#endif
static_assert(NR % kLanes == 0 && NR % 4 == 0, "a B panel row is whole vectors");
constexpr int KC = 256;      // depth of a packed panel (A and B panels stay in L1/L2)
constexpr int MC = 16 * MR;  // rows of A packed at once (64 at 4 x 8)
constexpr int NC = 2048;     // columns of B packed at once

// Packs rows [i0, i0+mc) x depth [k0, k0+kc) of op(A) into MR-row panels, k-major, zero-padded.
// With arow (A not transposed), row i of A starts at A + arow[i] instead of A + i * lda. Full
// panels of A go four k at a time through a 4x4 register transpose (vector loads along the rows).
void pack_a(bool trans, const float* A, int lda, const std::ptrdiff_t* arow, int i0, int mc, int k0, int kc,
            float* out) {
  for (int ir = 0; ir < mc; ir += MR) {
    const int mr = std::min(MR, mc - ir);
    float* o = out + static_cast<std::ptrdiff_t>(ir) * kc;
    if (trans) {
      for (int k = 0; k < kc; ++k, o += MR) {
        const float* a = A + static_cast<std::ptrdiff_t>(k0 + k) * lda + (i0 + ir);
        int i = 0;
        for (; i < mr; ++i) o[i] = a[i];
        for (; i < MR; ++i) o[i] = 0.0f;
      }
      continue;
    }
    const float* r[MR];
    for (int i = 0; i < MR; ++i)
      r[i] = i < mr ? A + (arow ? arow[i0 + ir + i] : static_cast<std::ptrdiff_t>(i0 + ir + i) * lda) + k0 : nullptr;
    int k = 0;
    if (mr == MR)
      for (; k + 4 <= kc; k += 4) {
        float* d = o + static_cast<std::ptrdiff_t>(k) * MR;
        for (int g = 0; g + 4 <= MR; g += 4) {  // four rows at a time through a 4x4 transpose
          const f32x4 r0 = f32x4_load(r[g] + k), r1 = f32x4_load(r[g + 1] + k), r2 = f32x4_load(r[g + 2] + k),
                      r3 = f32x4_load(r[g + 3] + k);
          const f32x4 t0 = f32x4_interleave_lo(r0, r1), t1 = f32x4_interleave_lo(r2, r3),
                      t2 = f32x4_interleave_hi(r0, r1), t3 = f32x4_interleave_hi(r2, r3);
          f32x4_store(d + g, __builtin_shufflevector(t0, t1, 0, 1, 4, 5));           // k
          f32x4_store(d + MR + g, __builtin_shufflevector(t0, t1, 2, 3, 6, 7));      // k + 1
          f32x4_store(d + 2 * MR + g, __builtin_shufflevector(t2, t3, 0, 1, 4, 5));  // k + 2
          f32x4_store(d + 3 * MR + g, __builtin_shufflevector(t2, t3, 2, 3, 6, 7));  // k + 3
        }
        for (int i = MR / 4 * 4; i < MR; ++i)  // the rows past a multiple of four (MR = 6)
          for (int q = 0; q < 4; ++q) d[q * MR + i] = r[i][k + q];
      }
    for (; k < kc; ++k) {
      float* d = o + static_cast<std::ptrdiff_t>(k) * MR;
      int i = 0;
      for (; i < mr; ++i) d[i] = r[i][k];
      for (; i < MR; ++i) d[i] = 0.0f;
    }
  }
}

// Packs depth [k0, k0+kc) x columns [j0, j0+nc) of op(B) into NR-column panels, k-major, zero-padded.
// With brow (B not transposed), row k of B starts at B + brow[k] instead of B + k * ldb.
void pack_b(bool trans, const float* B, int ldb, const std::ptrdiff_t* brow, int k0, int kc, int j0, int nc,
            float* out) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = std::min(NR, nc - jr);
    float* o = out + static_cast<std::ptrdiff_t>(jr) * kc;
    if (!trans) {
      for (int k = 0; k < kc; ++k, o += NR) {
        const float* b = B + (brow ? brow[k0 + k] : static_cast<std::ptrdiff_t>(k0 + k) * ldb) + (j0 + jr);
        if (nr == NR) {
          for (int v = 0; v < NR; v += 4) f32x4_store(o + v, f32x4_load(b + v));
        } else {
          int j = 0;
          for (; j < nr; ++j) o[j] = b[j];
          for (; j < NR; ++j) o[j] = 0.0f;
        }
      }
    } else {
      // Bᵀ: the panel's NR columns are NR rows of B. Full panels go four rows by four k at a time
      // through a 4x4 register transpose (vector loads along the rows); the rest element by element.
      int k = 0;
      if (nr == NR)
        for (; k + 4 <= kc; k += 4)
          for (int q = 0; q < NR; q += 4) {
            const float* b = B + static_cast<std::ptrdiff_t>(j0 + jr + q) * ldb + (k0 + k);
            const f32x4 r0 = f32x4_load(b), r1 = f32x4_load(b + ldb), r2 = f32x4_load(b + 2 * ldb),
                        r3 = f32x4_load(b + 3 * ldb);
            const f32x4 t0 = f32x4_interleave_lo(r0, r1), t1 = f32x4_interleave_lo(r2, r3),
                        t2 = f32x4_interleave_hi(r0, r1), t3 = f32x4_interleave_hi(r2, r3);
            float* d = o + static_cast<std::ptrdiff_t>(k) * NR + q;
            f32x4_store(d, __builtin_shufflevector(t0, t1, 0, 1, 4, 5));           // k
            f32x4_store(d + NR, __builtin_shufflevector(t0, t1, 2, 3, 6, 7));      // k + 1
            f32x4_store(d + 2 * NR, __builtin_shufflevector(t2, t3, 0, 1, 4, 5));  // k + 2
            f32x4_store(d + 3 * NR, __builtin_shufflevector(t2, t3, 2, 3, 6, 7));  // k + 3
          }
      for (float* ok = o + static_cast<std::ptrdiff_t>(k) * NR; k < kc; ++k, ok += NR) {
        int j = 0;
        for (; j < nr; ++j) ok[j] = B[static_cast<std::ptrdiff_t>(j0 + jr + j) * ldb + (k0 + k)];
        for (; j < NR; ++j) ok[j] = 0.0f;
      }
    }
  }
}

// The register tile: acc[MR x NR] = Ap[MR x kc] * Bp[kc x NR]; then C = acc + (accumulate ? C : 0)
// (scaled by beta on the first K block). Kept out of line: V8 only optimizes functions that are
// entered many times, not a long loop inside one call (docs/TOOLCHAIN.md).
// Why 4 x 8: V8 maps SIMD128 onto the 16 xmm registers of x86-64, and 4 x 8 (8 accumulators, two B
// vectors, one broadcast A) fits them with room to spare, where 4 x 16 (16 accumulators) spills.
// Measured in Node's V8 on packed panels (kc = 256): 4 x 8 about 48 GFLOP/s, 4 x 16 about 40,
// 8 x 8 about 40, 6 x 8 about 31; variants that load four A values and broadcast by shuffle 43-45.
// In the engine (st build, Node, batch 64), against 4 x 16: NetB training 340 -> 589 img/s,
// inference 1150 -> 1746 img/s, one-image latency 2.2 -> 1.14 ms; NetA training 2380 -> 3894
// img/s. 2 x 16 came close (latency 1.7 ms); 5 x 8 was slower than 4 x 16.
// b_row(k) gives row k of the B panel (NR floats): packed, or read in place (micro_brows).
template <class BRow>
inline __attribute__((always_inline)) void micro_tile(int kc, const float* __restrict Ap, BRow b_row, float* C, int ldc,
                                                      float beta, int mr, int nr) {
  constexpr int NV = NR / kLanes;
  fvec acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = fvec_zero();
  for (int k = 0; k < kc; ++k, Ap += MR) {
    const float* __restrict Bk = b_row(k);
    fvec b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) b[v] = fvec_load(Bk + kLanes * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const fvec a = fvec_splat(Ap[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = fvec_madd(a, b[v], acc[i][v]);
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        fvec r = acc[i][v];
        if (beta != 0.0f) r += fvec_splat(beta) * fvec_load(c + kLanes * v);
        fvec_store(c + kLanes * v, r);
      }
    }
    return;
  }
  alignas(64) float tile[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) fvec_store(&tile[i][kLanes * v], acc[i][v]);
  for (int i = 0; i < mr; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    for (int j = 0; j < nr; ++j) c[j] = tile[i][j] + (beta != 0.0f ? beta * c[j] : 0.0f);
  }
}

// Where the k loop of a micro-kernel sits in the 64-byte lines of code changes its speed by up to
// a quarter on x86 (AMD Zen 5, this machine's: micro_brows' 128-byte loop starting 16..56 bytes into
// a line gave NetA a one-image latency of 0.048 ms, at 0 bytes 0.052, at 8 bytes 0.059; micro's
// 123-byte loop, a 64 x 256 x 400 GEMM: 300 us at 16..48, 320-335 at 0 and 56, 370 at 8). With the
// default 16-byte function alignment that position followed the size of all the code the linker
// put before this file, so unrelated changes moved it: the kernels-by-family change (3d4b680)
// moved micro_brows' loop from byte 40 to byte 8 (NetA latency 0.049 -> 0.060 ms) and micro's from
// 8 to 40. Both micro-kernels therefore start a 64-byte line, which makes the position a property
// of their own code: with GCC 12 -O3, micro_brows' loop at byte 56 (its default loop alignment),
// micro's at byte 32 (its loops aligned to 32 bytes). To check after changing them or the
// compiler: `objdump -d` the binary, find each function's backward jump, and take the target
// address mod 64. Neither attribute changes an instruction, only padding (wasm has no such layout).
#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define CNN_MICRO_LOOPS_ALIGN_32 optimize("align-loops=32")
#else
#define CNN_MICRO_LOOPS_ALIGN_32
#endif
__attribute__((noinline, aligned(64), CNN_MICRO_LOOPS_ALIGN_32)) void micro(int kc, const float* __restrict Ap,
                                                                            const float* __restrict Bp, float* C,
                                                                            int ldc, float beta, int mr, int nr) {
  micro_tile(
      kc, Ap, [Bp](int k) { return Bp + static_cast<std::ptrdiff_t>(k) * NR; }, C, ldc, beta, mr, nr);
}

// The same with B read in place, row k at B + rows[k] (gemm_f32_brows, a full NR-wide panel): a
// stride-1 convolution reads its padded input directly instead of packing it first. The same
// products in the same order as micro on the packed panel, so the same result to the bit.
__attribute__((noinline, aligned(64))) void micro_brows(int kc, const float* __restrict Ap, const float* B,
                                                        const std::ptrdiff_t* __restrict rows, float* C, int ldc,
                                                        float beta, int mr) {
  micro_tile(
      kc, Ap, [B, rows](int k) { return B + rows[k]; }, C, ldc, beta, mr, NR);
}

// One row of A (M = 1, A not transposed): a dense layer on a single image. Packing B would copy the
// whole weight matrix to use each element once, so these read B in place. Columns [j0, j1) of
// c = a·op(B) + beta·c; each element's sum runs in the same order whatever the range, so the result
// does not depend on how the columns are split over threads.
// Bᵀ (B is N x K, the dense layer's weights): four dot products at once, a loaded once for all four.
void gemv_bt(int K, const float* a, const float* B, int ldb, float beta, float* c, int j0, int j1) {
  constexpr int L = kLanes;
  int j = j0;
  for (; j + 4 <= j1; j += 4) {
    const float* b0 = B + static_cast<std::ptrdiff_t>(j) * ldb;
    const float *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    fvec s0 = fvec_zero(), s1 = s0, s2 = s0, s3 = s0;
    int k = 0;
    for (; k + L <= K; k += L) {
      const fvec x = fvec_load(a + k);
      s0 = fvec_madd(x, fvec_load(b0 + k), s0);
      s1 = fvec_madd(x, fvec_load(b1 + k), s1);
      s2 = fvec_madd(x, fvec_load(b2 + k), s2);
      s3 = fvec_madd(x, fvec_load(b3 + k), s3);
    }
    float r[4] = {fvec_sum(s0), fvec_sum(s1), fvec_sum(s2), fvec_sum(s3)};
    for (; k < K; ++k) {
      r[0] = madd1(a[k], b0[k], r[0]);
      r[1] = madd1(a[k], b1[k], r[1]);
      r[2] = madd1(a[k], b2[k], r[2]);
      r[3] = madd1(a[k], b3[k], r[3]);
    }
    for (int q = 0; q < 4; ++q) c[j + q] = r[q] + (beta != 0.0f ? beta * c[j + q] : 0.0f);
  }
  for (; j < j1; ++j) {
    const float* b = B + static_cast<std::ptrdiff_t>(j) * ldb;
    fvec s = fvec_zero();
    int k = 0;
    for (; k + L <= K; k += L) s = fvec_madd(fvec_load(a + k), fvec_load(b + k), s);
    float r = fvec_sum(s);
    for (; k < K; ++k) r = madd1(a[k], b[k], r);
    c[j] = r + (beta != 0.0f ? beta * c[j] : 0.0f);
  }
}

// B not transposed (K x N): c[j0..j1) accumulates a[k] * row k of B, four vectors of columns at a
// time (16 at 4 lanes). With brow, row k of B starts at B + brow[k] (gemm_f32_brows). A column in
// the scalar tail gets the same roundings as in a vector lane (madd1), so a split of the columns
// over threads at any multiple of 4 gives the same bits.
constexpr int kGemvCols = 4 * kLanes;
void gemv_b(int K, const float* a, const float* B, int ldb, const std::ptrdiff_t* brow, float beta, float* c, int j0,
            int j1) {
  constexpr int L = kLanes;
  auto row = [&](int k) { return B + (brow ? brow[k] : static_cast<std::ptrdiff_t>(k) * ldb); };
  int j = j0;
  for (; j + kGemvCols <= j1; j += kGemvCols) {
    fvec s0 = fvec_zero(), s1 = s0, s2 = s0, s3 = s0;
    for (int k = 0; k < K; ++k) {
      const float* b = row(k) + j;
      const fvec x = fvec_splat(a[k]);
      s0 = fvec_madd(x, fvec_load(b), s0);
      s1 = fvec_madd(x, fvec_load(b + L), s1);
      s2 = fvec_madd(x, fvec_load(b + 2 * L), s2);
      s3 = fvec_madd(x, fvec_load(b + 3 * L), s3);
    }
    const fvec s[4] = {s0, s1, s2, s3};
    for (int v = 0; v < 4; ++v) {
      fvec r = s[v];
      if (beta != 0.0f) r += fvec_splat(beta) * fvec_load(c + j + L * v);
      fvec_store(c + j + L * v, r);
    }
  }
  for (; j < j1; ++j) {
    float r = 0.0f;
    for (int k = 0; k < K; ++k) r = madd1(a[k], row(k)[j], r);
    c[j] = r + (beta != 0.0f ? beta * c[j] : 0.0f);
  }
}

struct PackBuffers {
  std::vector<float> a, b;
};
PackBuffers& buffers() {
  thread_local PackBuffers p;
  return p;
}

}  // namespace

namespace {
void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const std::ptrdiff_t* arow,
                 const float* B, int ldb, const std::ptrdiff_t* brow, float beta, float* C, int ldc);
void gemm_split(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const std::ptrdiff_t* arow,
                const float* B, int ldb, const std::ptrdiff_t* brow, float beta, float* C, int ldc);
}  // namespace

void gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc) {
  gemm_split(trans_a, trans_b, M, N, K, A, lda, nullptr, B, ldb, nullptr, beta, C, ldc);
}

void gemm_f32_brows(bool trans_a, int M, int N, int K, const float* A, int lda, const float* B,
                    const std::ptrdiff_t* brow, float beta, float* C, int ldc) {
  gemm_split(trans_a, false, M, N, K, A, lda, nullptr, B, 0, brow, beta, C, ldc);
}

void gemm_f32_arows(bool trans_b, int M, int N, int K, const float* A, const std::ptrdiff_t* arow, const float* B,
                    int ldb, float beta, float* C, int ldc) {
  gemm_split(false, trans_b, M, N, K, A, 0, arow, B, ldb, nullptr, beta, C, ldc);
}

namespace {

// Splits C into column blocks (or row blocks when C is narrow) computed by separate threads. Each
// element is computed by exactly the same sequence of operations whatever the split, so the result
// is bit-identical for any number of threads.
void gemm_split(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const std::ptrdiff_t* arow,
                const float* B, int ldb, const std::ptrdiff_t* brow, float beta, float* C, int ldc) {
  const int threads = num_threads();
  const double macs = static_cast<double>(M) * N * K;
  if (M == 1 && !trans_a && K > 0 && N > 0) {
    if (arow) A += arow[0];
    auto columns = [&](std::size_t j0, std::size_t j1) {
      if (trans_b)
        gemv_bt(K, A, B, ldb, beta, C, static_cast<int>(j0), static_cast<int>(j1));
      else
        gemv_b(K, A, B, ldb, brow, beta, C, static_cast<int>(j0), static_cast<int>(j1));
    };
    // Ranges of at least half a million multiply-adds (a multiple of kGemvCols columns).
    constexpr std::size_t cols = kGemvCols;
    const std::size_t grain =
        std::max<std::size_t>(cols, (500000 / static_cast<std::size_t>(K) + cols - 1) / cols * cols);
    parallel_ranges(static_cast<std::size_t>(N), grain, columns);
    return;
  }
  // Below about a million multiply-adds (some 50 us of one core) a split costs more than it saves:
  // waking a sleeping worker takes tens of microseconds in a browser. This keeps NetA's one-image
  // forward (its second convolution is 0.8 M) on one thread.
  if (threads == 1 || macs < 1.0e6 || M <= 0 || N <= 0) {
    gemm_serial(trans_a, trans_b, M, N, K, A, lda, arow, B, ldb, brow, beta, C, ldc);
    return;
  }
  if (N >= 2 * NR * threads || N >= M) {
    const int per = ((N + threads - 1) / threads + NR - 1) / NR * NR;
    const int tasks = (N + per - 1) / per;
    parallel_for(tasks, [&](int t) {
      const int j0 = t * per, n = std::min(per, N - j0);
      gemm_serial(trans_a, trans_b, M, n, K, A, lda, arow, trans_b ? B + static_cast<std::ptrdiff_t>(j0) * ldb : B + j0,
                  ldb, brow, beta, C + j0, ldc);
    });
  } else {
    const int per = ((M + threads - 1) / threads + MR - 1) / MR * MR;
    const int tasks = (M + per - 1) / per;
    parallel_for(tasks, [&](int t) {
      const int i0 = t * per, m = std::min(per, M - i0);
      const float* Ai = arow ? A : trans_a ? A + i0 : A + static_cast<std::ptrdiff_t>(i0) * lda;
      gemm_serial(trans_a, trans_b, m, N, K, Ai, lda, arow ? arow + i0 : nullptr, B, ldb, brow, beta,
                  C + static_cast<std::ptrdiff_t>(i0) * ldc, ldc);
    });
  }
}

void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const std::ptrdiff_t* arow,
                 const float* B, int ldb, const std::ptrdiff_t* brow, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[static_cast<std::ptrdiff_t>(i) * ldc + j] *= beta;
    return;
  }
  PackBuffers& pb = buffers();
  const int nc_max = std::min(NC, (N + NR - 1) / NR * NR), kc_max = std::min(KC, K);
  const std::size_t need_b = static_cast<std::size_t>(nc_max) * kc_max;
  const std::size_t need_a = static_cast<std::size_t>(std::min(MC, (M + MR - 1) / MR * MR)) * kc_max;
  // Grown once to the largest panels (2 MB + 64 kB per thread), so that a thread allocates at most
  // once in its life however the shapes it meets later vary.
  if (pb.b.size() < need_b) pb.b.resize(static_cast<std::size_t>(NC) * KC);
  if (pb.a.size() < need_a) pb.a.resize(static_cast<std::size_t>(MC) * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const float beta_k = pc == 0 ? beta : 1.0f;
      // B given by rows (a stride-1 convolution's padded input) is read in place, all but a
      // last partial panel, which is packed on its own: the image is small enough to stay in
      // cache, and packing it cost as much as a quarter of the multiply-adds. Measured in
      // Chromium's V8 against packing (st build, batch 64, two runs, same page): NetA inference
      // 17.7k -> 19.7k and 17.4k -> 18.4k img/s, training +4-7 %; NetB within noise.
      if (!brow) pack_b(trans_b, B, ldb, brow, pc, kc, jc, nc, pb.b.data());
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        pack_a(trans_a, A, lda, arow, ic, mc, pc, kc, pb.a.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          float* Cj = C + static_cast<std::ptrdiff_t>(ic) * ldc + (jc + jr);
          if (brow && nr == NR) {
            for (int ir = 0; ir < mc; ir += MR)
              micro_brows(kc, pb.a.data() + static_cast<std::ptrdiff_t>(ir) * kc, B + (jc + jr), brow + pc,
                          Cj + static_cast<std::ptrdiff_t>(ir) * ldc, ldc, beta_k, std::min(MR, mc - ir));
            continue;
          }
          const float* Bp = pb.b.data() + static_cast<std::ptrdiff_t>(jr) * kc;
          if (brow) {
            Bp = pb.b.data();
            pack_b(false, B, ldb, brow, pc, kc, jc + jr, nr, pb.b.data());
          }
          for (int ir = 0; ir < mc; ir += MR)
            micro(kc, pb.a.data() + static_cast<std::ptrdiff_t>(ir) * kc, Bp,
                  Cj + static_cast<std::ptrdiff_t>(ir) * ldc, ldc, beta_k, std::min(MR, mc - ir), nr);
        }
      }
    }
  }
}

}  // namespace

}  // namespace cnn::kernels::CNN_SIMD_NS
