// Each fast kernel against its scalar reference, over many shapes: tile edges, K below/at/above the
// packing depth, odd sizes, all transposes, beta 0 and 1, leading dimensions larger than the width.
#include <atomic>
#include <cmath>

#include "core/parallel.h"
#include "kernels/gemm.h"
#include "nn/loss.h"
#include "test_util.h"

namespace cnn::test {

static std::vector<float> randv(std::size_t n, Rng& r) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform(-1.0f, 1.0f);
  return v;
}

TEST(KernelGemm, MatchesScalarReference) {
  Rng r(5);
  const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 13, 15, 16, 17, 31, 33, 64, 65, 100};
  const int ks[] = {1, 3, 16, 25, 255, 256, 257, 600};
  int cases = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (float beta : {0.0f, 1.0f})
        for (int M : sizes)
          for (int N : {1, 4, 15, 16, 17, 40, 77})
            for (int K : ks) {
              if ((M * N * K) % 7 != 0 && M > 5 && K > 16) continue;  // thin the grid, keep every edge kind
              const int pad = 3;
              const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
              auto A = randv(static_cast<std::size_t>(lda) * (ta ? K : M), r);
              auto B = randv(static_cast<std::size_t>(ldb) * (tb ? N : K), r);
              auto C0 = randv(static_cast<std::size_t>(ldc) * M, r);
              auto C1 = C0;
              if (beta == 0.0f)  // beta 0 must not read C: poison it
                for (float& c : C1) c = std::nanf("");
              kernels::gemm_f32_scalar(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, beta, C0.data(), ldc);
              kernels::gemm_f32(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, beta, C1.data(), ldc);
              for (int i = 0; i < M; ++i)
                for (int j = 0; j < N; ++j) {
                  const float want = C0[i * ldc + j], got = C1[i * ldc + j];
                  ASSERT_NEAR(got, want, 1e-5f * K + 1e-5f)
                      << "ta=" << ta << " tb=" << tb << " beta=" << beta << " M=" << M << " N=" << N << " K=" << K
                      << " at " << i << "," << j;
                }
              ++cases;
            }
  EXPECT_GT(cases, 1000);
}

// B by row offsets (rows overlapping, as a stride-1 convolution reads its padded input) against
// gemm_f32 on the same rows copied out into an ordinary matrix; both transposes of A, 1-3 threads.
TEST(KernelGemm, RowOffsetsMatchACopiedMatrix) {
  Rng r(9);
  const int saved = num_threads();
  for (int threads : {1, 3})
    for (int M : {1, 5, 16, 37})
      for (int N : {3, 8, 61, 300})
        for (int K : {1, 25, 260})
          for (bool ta : {false, true}) {
            set_num_threads(threads);
            auto A = randv(static_cast<std::size_t>(M) * K, r),
                 base = randv(static_cast<std::size_t>(N + 3 * K + 7), r);
            std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(K));
            std::vector<float> B(static_cast<std::size_t>(K) * N);
            for (int k = 0; k < K; ++k) {
              rows[static_cast<std::size_t>(k)] = (k * 7) % (3 * K + 7);
              std::copy_n(base.data() + rows[static_cast<std::size_t>(k)], N,
                          B.data() + static_cast<std::size_t>(k) * N);
            }
            std::vector<float> C0(static_cast<std::size_t>(M) * N), C1(C0.size());
            kernels::gemm_f32(ta, false, M, N, K, A.data(), ta ? M : K, B.data(), N, 0.0f, C0.data(), N);
            kernels::gemm_f32_rows(ta, M, N, K, A.data(), ta ? M : K, base.data(), rows.data(), 0.0f, C1.data(), N);
            ASSERT_EQ(C0, C1) << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " threads=" << threads;
          }
  set_num_threads(saved);
}

// A by row offsets (as a stride-1 convolution's filter gradient reads its padded input) against
// gemm_f32 on the rows copied out; both transposes of B, 1-3 threads (splits by rows and columns).
TEST(KernelGemm, ARowOffsetsMatchACopiedMatrix) {
  Rng r(10);
  const int saved = num_threads();
  for (int threads : {1, 3})
    for (int M : {1, 5, 16, 37, 290})
      for (int N : {3, 8, 61})
        for (int K : {1, 25, 260, 600})  // 290 x 8 x 600 is split by rows
          for (bool tb : {false, true}) {
            set_num_threads(threads);
            const int span = 3 * K + 7;
            auto base = randv(static_cast<std::size_t>(span + K), r), B = randv(static_cast<std::size_t>(K) * N, r);
            std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(M));
            std::vector<float> A(static_cast<std::size_t>(M) * K);
            for (int i = 0; i < M; ++i) {
              rows[static_cast<std::size_t>(i)] = (i * 7) % span;
              std::copy_n(base.data() + rows[static_cast<std::size_t>(i)], K,
                          A.data() + static_cast<std::size_t>(i) * K);
            }
            std::vector<float> C0(static_cast<std::size_t>(M) * N), C1(C0.size());
            kernels::gemm_f32(false, tb, M, N, K, A.data(), K, B.data(), tb ? K : N, 0.0f, C0.data(), N);
            kernels::gemm_f32_arows(tb, M, N, K, base.data(), rows.data(), B.data(), tb ? K : N, 0.0f, C1.data(), N);
            ASSERT_EQ(C0, C1) << "M=" << M << " N=" << N << " K=" << K << " tb=" << tb << " threads=" << threads;
          }
  set_num_threads(saved);
}

// The direct filter gradient for few taps against the reference GEMM on the rows copied out:
// filter counts around the 4-filter block, odd and even tap counts, pixel counts around the vector
// width, beta 0 (out is poisoned) and 1, both output layouts.
TEST(KernelConvTaps, MatchesGemmOnCopiedRows) {
  Rng r(14);
  int cases = 0;
  for (int M : {1, 3, 4, 5, 8, 32})
    for (int T : {1, 2, 9, 25})
      for (int P : {1, 3, 4, 17, 896})
        for (float beta : {0.0f, 1.0f})
          for (bool transposed : {false, true}) {
            const int span = 2 * P + 11;
            auto x = randv(static_cast<std::size_t>(span + P), r), dy = randv(static_cast<std::size_t>(M) * P, r);
            std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(T));
            std::vector<float> X(static_cast<std::size_t>(T) * P);
            for (int t = 0; t < T; ++t) {
              rows[static_cast<std::size_t>(t)] = (t * 5) % span;
              std::copy_n(x.data() + rows[static_cast<std::size_t>(t)], P, X.data() + static_cast<std::size_t>(t) * P);
            }
            // want[M x T] = dy[M x P] * Xᵀ + beta * want
            auto want = randv(static_cast<std::size_t>(M) * T, r);
            std::vector<float> got(want.size());
            const int sm = transposed ? 1 : T, st = transposed ? M : 1;
            for (int m = 0; m < M; ++m)
              for (int t = 0; t < T; ++t)
                got[static_cast<std::size_t>(m * sm + t * st)] = beta == 0.0f ? std::nanf("") : want[m * T + t];
            kernels::gemm_f32_scalar(false, true, M, T, P, dy.data(), P, X.data(), P, beta, want.data(), T);
            kernels::conv_dw_taps_f32(M, T, P, dy.data(), x.data(), rows.data(), beta, got.data(), sm, st);
            for (int m = 0; m < M; ++m)
              for (int t = 0; t < T; ++t)
                ASSERT_NEAR(got[static_cast<std::size_t>(m * sm + t * st)], want[m * T + t], 1e-5f * P + 1e-5f)
                    << "M=" << M << " T=" << T << " P=" << P << " beta=" << beta << " at " << m << "," << t;
            ++cases;
          }
  EXPECT_GT(cases, 400);
}

TEST(KernelIm2col, MatchesDirectIndexing) {
  Rng r(6);
  for (int S : {1, 2, 3})
    for (int P : {0, 1, 2})
      for (int F : {1, 3, 4, 5, 7}) {
        const int C = 2, H = 7, W = 8;
        if ((H - F + 2 * P) % S || (W - F + 2 * P) % S) continue;
        kernels::ConvGeom g{C, H, W, F, F, S, S, P, P, (H - F + 2 * P) / S + 1, (W - F + 2 * P) / S + 1};
        auto x = randv(static_cast<std::size_t>(C) * H * W, r);
        std::vector<float> col(static_cast<std::size_t>(C) * F * F * g.OH * g.OW);
        kernels::im2col_f32(g, x.data(), col.data(), g.OH * g.OW);
        std::vector<float> rows(col.size());
        kernels::im2row_f32(g, x.data(), rows.data());
        const int ckk = C * F * F, ohw = g.OH * g.OW;
        for (int k = 0; k < ckk; ++k)
          for (int p = 0; p < ohw; ++p) ASSERT_EQ(rows[p * ckk + k], col[k * ohw + p]) << "im2row at " << p << "," << k;
        std::vector<float> xpad(static_cast<std::size_t>(C) * (H + 2 * P) * (W + 2 * P), 0.0f), rows2(rows.size());
        kernels::pad_image_f32(g, x.data(), xpad.data());
        kernels::im2row_padded_f32(g, xpad.data(), rows2.data());
        ASSERT_EQ(rows2, rows) << "im2row from the padded image, S=" << S << " P=" << P << " F=" << F;
        std::vector<float> back(x.size(), 0.0f);
        kernels::col2im_add_f32(g, col.data(), g.OH * g.OW, back.data());
        std::vector<int> uses(x.size(), 0);
        for (int c = 0; c < C; ++c)
          for (int i = 0; i < F; ++i)
            for (int j = 0; j < F; ++j)
              for (int oh = 0; oh < g.OH; ++oh)
                for (int ow = 0; ow < g.OW; ++ow) {
                  const int h = oh * S - P + i, w = ow * S - P + j;
                  const bool in = h >= 0 && h < H && w >= 0 && w < W;
                  const float want = in ? x[(c * H + h) * W + w] : 0.0f;
                  ASSERT_EQ(col[(((c * F + i) * F + j) * g.OH + oh) * g.OW + ow], want);
                  if (in) uses[(c * H + h) * W + w]++;
                }
        // col2im is im2col's adjoint: each input gets back its value times the number of windows using it.
        for (std::size_t e = 0; e < x.size(); ++e) ASSERT_NEAR(back[e], x[e] * uses[e], 1e-5f);
      }
}

// Threads split the output into disjoint blocks: results are bit-identical for 1 and N threads,
// for the kernels and for a whole training step.
TEST(KernelThreads, IdenticalForAnyThreadCount) {
  Rng r(12);
  const int M = 70, N = 301, K = 333;
  auto A = randv(static_cast<std::size_t>(M) * K, r), B = randv(static_cast<std::size_t>(K) * N, r);
  std::vector<float> C1(static_cast<std::size_t>(M) * N), C3(C1.size()), Ct(C1.size());
  const int saved = num_threads();
  set_num_threads(1);
  kernels::gemm_f32(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C1.data(), N);
  set_num_threads(3);
  kernels::gemm_f32(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C3.data(), N);
  EXPECT_EQ(C1, C3);
  // Narrow C: split by rows. Aᵀ·B with M > N.
  set_num_threads(1);
  kernels::gemm_f32(true, false, N, 20, K, B.data(), N, A.data(), 20, 0.0f, Ct.data(), 20);
  std::vector<float> Ct1(Ct.begin(), Ct.begin() + N * 20);
  set_num_threads(4);
  kernels::gemm_f32(true, false, N, 20, K, B.data(), N, A.data(), 20, 0.0f, Ct.data(), 20);
  EXPECT_EQ(Ct1, std::vector<float>(Ct.begin(), Ct.begin() + N * 20));
  // One row of A (a dense layer on one image) takes the unpacked path, split by columns; wide
  // enough (K * N) that it is split, for both op(B).
  const int Kv = 4000, Nv = 301;
  auto x = randv(Kv, r), W = randv(static_cast<std::size_t>(Kv) * Nv, r);
  for (int tb = 0; tb < 2; ++tb) {
    std::vector<float> y1(Nv), y3(Nv), yref(Nv);
    set_num_threads(1);
    kernels::gemm_f32(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, y1.data(), Nv);
    set_num_threads(3);
    kernels::gemm_f32(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, y3.data(), Nv);
    EXPECT_EQ(y1, y3) << "trans_b=" << tb;
    kernels::gemm_f32_scalar(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, yref.data(), Nv);
    for (int j = 0; j < Nv; ++j) ASSERT_NEAR(y1[j], yref[j], 1e-3f) << "trans_b=" << tb << " j=" << j;
  }

  auto train_step = [&](int threads) {
    set_num_threads(threads);
    Model m = Model::from_string(R"({"input":[3,16,16],"seed":2,"layers":[
      {"type":"conv2d","filters":32,"kernel":3,"pad":1},{"type":"relu"},{"type":"maxpool2d","size":2},
      {"type":"conv2d","filters":64,"kernel":3,"pad":1},{"type":"relu"},{"type":"dense","units":10}]})");
    Rng rr(5);
    const Tensor x = random_tensor({16, 3, 16, 16}, rr);
    std::vector<int> y(16);
    for (int& v : y) v = static_cast<int>(rr.below(10));
    Tensor g;
    m.zero_grad();
    softmax_cross_entropy(m.forward(x, true), y, &g);
    m.backward(g);
    std::vector<float> out;
    for (auto& p : m.params()) out.insert(out.end(), p.grad->data(), p.grad->data() + p.grad->size());
    return out;
  };
  EXPECT_EQ(train_step(1), train_step(2));
  set_num_threads(saved);
}

// The pool under stress: many short jobs of varying size back to back, where a worker that wakes
// late for one job must not take part in the next one. Every task runs exactly once per call.
TEST(KernelThreads, EveryTaskRunsOncePerCall) {
  const int saved = num_threads();
  for (int threads : {2, 3, 4}) {
    set_num_threads(threads);
    std::vector<std::atomic<int>> hits(16);
    for (int call = 0; call < 20000; ++call) {
      const int tasks = 2 + call % 15;
      for (int t = 0; t < tasks; ++t) hits[static_cast<std::size_t>(t)].store(0);
      parallel_for(tasks, [&](int t) { hits[static_cast<std::size_t>(t)].fetch_add(1); });
      for (int t = 0; t < tasks; ++t)
        ASSERT_EQ(hits[static_cast<std::size_t>(t)].load(), 1) << "call " << call << " task " << t;
    }
  }
  set_num_threads(saved);
}

// Depthwise kernels against direct loops, with stride, padding, non-square filters and multipliers.
TEST(KernelDepthwise, MatchesDirectLoops) {
  Rng r(8);
  struct Case {
    int C, H, W, FH, FW, S, P, M;
  };
  for (const Case& k : {Case{3, 7, 7, 3, 3, 1, 1, 1}, Case{2, 9, 8, 3, 2, 1, 0, 2}, Case{4, 9, 9, 3, 3, 2, 1, 1},
                        Case{2, 8, 8, 5, 5, 1, 2, 3}, Case{1, 10, 10, 4, 4, 3, 0, 1}}) {
    const int OH = (k.H - k.FH + 2 * k.P) / k.S + 1, OW = (k.W - k.FW + 2 * k.P) / k.S + 1;
    kernels::ConvGeom g{k.C, k.H, k.W, k.FH, k.FW, k.S, k.S, k.P, k.P, OH, OW};
    auto x = randv(static_cast<std::size_t>(k.C) * k.H * k.W, r);
    auto w = randv(static_cast<std::size_t>(k.C) * k.M * k.FH * k.FW, r);
    auto dy = randv(static_cast<std::size_t>(k.C) * k.M * OH * OW, r);
    std::vector<float> y(dy.size()), dx(x.size(), 0.0f), dw(w.size(), 0.0f);
    kernels::depthwise_forward_f32(g, k.M, x.data(), w.data(), y.data());
    kernels::depthwise_backward_f32(g, k.M, x.data(), w.data(), dy.data(), dx.data(), dw.data());
    std::vector<double> ry(y.size(), 0.0), rdx(x.size(), 0.0), rdw(w.size(), 0.0);
    for (int c = 0; c < k.C; ++c)
      for (int m = 0; m < k.M; ++m)
        for (int oh = 0; oh < OH; ++oh)
          for (int ow = 0; ow < OW; ++ow)
            for (int i = 0; i < k.FH; ++i)
              for (int j = 0; j < k.FW; ++j) {
                const int h = oh * k.S - k.P + i, wc = ow * k.S - k.P + j;
                if (h < 0 || h >= k.H || wc < 0 || wc >= k.W) continue;
                const int f = c * k.M + m, yi = (f * OH + oh) * OW + ow, xi = (c * k.H + h) * k.W + wc,
                          wi = (f * k.FH + i) * k.FW + j;
                ry[yi] += static_cast<double>(w[wi]) * x[xi];
                rdx[xi] += static_cast<double>(w[wi]) * dy[yi];
                rdw[wi] += static_cast<double>(x[xi]) * dy[yi];
              }
    expect_near_all(y.data(), ry, 1e-5f, 1e-5f, "y");
    expect_near_all(dx.data(), rdx, 1e-5f, 1e-5f, "dx");
    expect_near_all(dw.data(), rdw, 1e-5f, 1e-4f, "dw");
  }
}

}  // namespace cnn::test
