// The convolution family (kernels/conv/): the cases of kernel_cases.h (conv2d forward and backward
// against direct loops over shapes that reach every algorithm, the few-taps filter gradient), and
// the lowering and depthwise kernels against direct indexing.
#include <set>

#include "core/parallel.h"
#include "kernel_test.h"
#include "kernels/conv/depthwise.h"
#include "kernels/conv/lowering.h"
#include "test_util.h"

namespace cnn::test {

KERNEL_FAMILY_TESTS(KernelConv, "conv");

static std::vector<float> randv(std::size_t n, Rng& r) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform(-1.0f, 1.0f);
  return v;
}

// The test shapes of conv2d reach every algorithm in each direction.
TEST(KernelConv, TestShapesReachEveryAlgorithm) {
  using kernels::ConvAlgo;
  std::set<ConvAlgo> forward, filter_grad, input_grad;
  for (const auto& d : kernel_cases::conv_shapes()) {
    const kernels::Conv2dPlan p = kernel_cases::conv_plan(d);
    forward.insert(p.forward);
    filter_grad.insert(p.filter_grad);
    input_grad.insert(p.input_grad);
  }
  EXPECT_EQ(forward,
            (std::set<ConvAlgo>{ConvAlgo::depthwise, ConvAlgo::pointwise, ConvAlgo::stride1, ConvAlgo::lowered}));
  EXPECT_EQ(filter_grad, (std::set<ConvAlgo>{ConvAlgo::depthwise, ConvAlgo::pointwise, ConvAlgo::stride1,
                                             ConvAlgo::stride1_taps, ConvAlgo::lowered}));
  EXPECT_EQ(input_grad,
            (std::set<ConvAlgo>{ConvAlgo::depthwise, ConvAlgo::pointwise, ConvAlgo::stride1, ConvAlgo::lowered}));
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
