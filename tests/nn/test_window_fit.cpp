// Convolution and pooling output sizes as PyTorch, Keras and ONNX compute them,
// floor((in + 2p - f)/s) + 1, and the note that names the rows and columns no window reads
// (nn/layers/window.h). Windows that do not tile the input must still compute the right values and
// gradients on every path (im2col, grouped, depthwise, the first-layer filter gradient).
#include <gtest/gtest.h>

#include "nn/layers/conv2d.h"
#include "nn/layers/window.h"
#include "test_util.h"

namespace cnn {
namespace {

using test::build_layer;

TEST(WindowFit, FloorsAndNamesTheUnreadRowsAndColumns) {
  // 3x3, stride 2, pad 1 on 28: the ResNet / MobileNet downsampling; only padding is left unread.
  AxisFit a = fit_axis(28, 3, 2, 1);
  EXPECT_EQ(a.out, 14);
  EXPECT_TRUE(a.unread.empty());
  // The notes' 7x7 input, 3x3 filter, stride 3: (7 - 3)/3 + 1 = 2.33 -> 2, the last row unread.
  a = fit_axis(7, 3, 3, 0);
  EXPECT_EQ(a.out, 2);
  EXPECT_EQ(a.unread, std::vector<int>{6});
  // A 1x1 window with stride 2 skips every other row.
  a = fit_axis(6, 1, 2, 0);
  EXPECT_EQ(a.out, 3);
  EXPECT_EQ(a.unread, (std::vector<int>{1, 3, 5}));
  // Tiling exactly: nothing to say.
  a = fit_axis(28, 5, 1, 2);
  EXPECT_EQ(a.out, 28);
  EXPECT_TRUE(a.unread.empty());
}

TEST(WindowFit, ConvolutionFloorsLikePyTorchAndSaysWhatIsNotRead) {
  test::BuiltLayer b =
      build_layer({{"type", "conv2d"}, {"name", "c"}, {"filters", 1}, {"kernel", 3}, {"stride", 3}}, {{1, 1, 7, 7}});
  EXPECT_EQ(b.out, (Shape{1, 2, 2}));
  EXPECT_EQ(b.layer->note(),
            "does not tile its 7x7 input: row 6 and column 6 (counting from 0) are never read; height floor((7 - "
            "3)/3) + 1 = 2, width floor((7 - 3)/3) + 1 = 2");
  b = build_layer({{"type", "conv2d"}, {"filters", 4}, {"kernel", 3}, {"stride", 2}, {"pad", 1}}, {{1, 8, 28, 28}});
  EXPECT_EQ(b.out, (Shape{4, 14, 14}));
  EXPECT_EQ(b.layer->note(), "");
  b = build_layer({{"type", "conv2d"}, {"filters", 4}, {"kernel", 1}, {"stride", 2}}, {{1, 8, 7, 6}});
  EXPECT_EQ(b.out, (Shape{4, 4, 3}));
  EXPECT_EQ(b.layer->note(),
            "does not tile its 7x6 input: rows 1, 3 and 5 (3 of 7) and columns 1, 3 and 5 (3 of 6) (counting from 0) "
            "are never read; height floor((7 - 1)/2) + 1 = 4, width floor((6 - 1)/2) + 1 = 3");
  // Still refused: a filter larger than the padded input.
  EXPECT_NE(test::error_of([] {
              build_layer({{"type", "conv2d"}, {"name", "c"}, {"filters", 1}, {"kernel", 9}}, {{1, 1, 7, 7}});
            }).find("larger than the padded input"),
            std::string::npos);
}

TEST(WindowFit, PoolingFloorsAndRefusesCeilMode) {
  test::BuiltLayer b = build_layer({{"type", "maxpool2d"}, {"size", 3}, {"stride", 2}}, {{1, 2, 28, 28}});
  EXPECT_EQ(b.out, (Shape{2, 13, 13}));
  EXPECT_EQ(b.layer->note(),
            "does not tile its 28x28 input: row 27 and column 27 (counting from 0) are never read; height floor((28 - "
            "3)/2) + 1 = 13, width floor((28 - 3)/2) + 1 = 13");
  b = build_layer({{"type", "avgpool2d"}, {"size", 2}}, {{1, 2, 28, 28}});
  EXPECT_EQ(b.layer->note(), "");
  EXPECT_NE(test::error_of([] {
              build_layer({{"type", "maxpool2d"}, {"size", 3}, {"stride", 2}, {"ceil_mode", true}}, {{1, 1, 8, 8}});
            }).find("ceil_mode is not supported"),
            std::string::npos);
}

// A direct convolution, the definition: y[k][o][p] = b[k] + sum over the group's c, i, j of
// w[k][c][i][j] * x[c][o*s + i - pad][p*s + j - pad] (zero outside).
std::vector<float> direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, int groups, int s, int pad) {
  const int N = static_cast<int>(x.shape()[0]), C = static_cast<int>(x.shape()[1]);
  const int H = static_cast<int>(x.shape()[2]), W = static_cast<int>(x.shape()[3]);
  const int K = static_cast<int>(w.shape()[0]), Cg = static_cast<int>(w.shape()[1]);
  const int F = static_cast<int>(w.shape()[2]);
  const int OH = (H + 2 * pad - F) / s + 1, OW = (W + 2 * pad - F) / s + 1, Kg = K / groups;
  std::vector<float> y;
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k)
      for (int o = 0; o < OH; ++o)
        for (int p = 0; p < OW; ++p) {
          double acc = b.size() ? b.data()[k] : 0.0;
          for (int c = 0; c < Cg; ++c)
            for (int i = 0; i < F; ++i)
              for (int j = 0; j < F; ++j) {
                const int r = o * s + i - pad, q = p * s + j - pad;
                if (r < 0 || r >= H || q < 0 || q >= W) continue;
                const int cin = (k / Kg) * Cg + c;
                acc += static_cast<double>(w.data()[((k * Cg + c) * F + i) * F + j]) *
                       x.data()[((n * C + cin) * H + r) * W + q];
              }
          y.push_back(static_cast<float>(acc));
        }
  (void)C;
  return y;
}

TEST(WindowFit, ConvolutionsThatDoNotTileComputeTheDefinitionAndItsGradients) {
  struct Case {
    json cfg;
    Shape in;
  };
  const std::vector<Case> cases{
      {{{"type", "conv2d"}, {"filters", 3}, {"kernel", 3}, {"stride", 2}, {"pad", 1}}, {2, 2, 8, 8}},
      {{{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}, {"stride", 3}}, {2, 1, 7, 7}},
      {{{"type", "conv2d"}, {"filters", 4}, {"kernel", 1}, {"stride", 2}}, {1, 3, 7, 6}},
      {{{"type", "conv2d"}, {"filters", 4}, {"kernel", 3}, {"stride", 2}, {"groups", 2}}, {2, 4, 8, 9}},
      {{{"type", "depthwise_conv2d"}, {"kernel", 3}, {"stride", 2}, {"pad", 1}}, {2, 3, 28, 28}},
      {{{"type", "depthwise_conv2d"}, {"kernel", 3}, {"stride", 2}}, {1, 4, 10, 9}},
      {{{"type", "conv2d"}, {"filters", 5}, {"kernel", 5}, {"stride", 2}, {"pad", 1}}, {2, 1, 12, 12}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cfg.dump() + " on " + shape_str(c.in));
    test::BuiltLayer b = build_layer(c.cfg, {c.in});
    auto* conv = dynamic_cast<Conv2D*>(b.layer.get());
    ASSERT_NE(conv, nullptr);
    Rng rng(5);
    for (auto& p : b.layer->params())
      for (std::size_t i = 0; i < p.value->size(); ++i) p.value->data()[i] = rng.uniform(-1.0f, 1.0f);
    const Tensor x = test::random_tensor(c.in, rng);
    Tensor y;
    b.layer->forward({&x}, y, true);
    const int s = c.cfg["stride"].get<int>(), pad = c.cfg.value("pad", 0);
    const std::vector<float> want = direct_conv(x, conv->weight, conv->bias, conv->groups(), s, pad);
    ASSERT_EQ(y.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(y.data()[i], want[i], 1e-4f) << i;
    // The loss is linear in x and in the weights: the central difference is exact up to rounding,
    // and the unread rows' gradient must be exactly what it is, 0.
    test::grad_check(c.cfg, {c.in});
  }
}

TEST(WindowFit, PoolingThatDoesNotTileHasTheRightGradients) {
  test::grad_check({{"type", "maxpool2d"}, {"size", 3}, {"stride", 2}}, {{2, 2, 8, 8}}, {}, true);
  test::grad_check({{"type", "avgpool2d"}, {"size", 3}, {"stride", 2}}, {{2, 2, 8, 9}});
  test::grad_check({{"type", "maxpool2d"}, {"size", 2}, {"stride", 3}}, {{1, 2, 8, 8}}, {}, true);
  test::grad_check({{"type", "avgpool2d"}, {"size", 1}, {"stride", 2}}, {{1, 2, 7, 7}});
}

TEST(WindowFit, SummarySaysWhichLayerDoesNotTile) {
  Model m(json::parse(R"({"input":[1,28,28],"layers":[
      {"type":"conv2d","name":"down","filters":4,"kernel":3,"stride":2,"pad":1},
      {"type":"maxpool2d","name":"pool","size":3,"stride":2},
      {"type":"flatten"},{"type":"dense","units":10}]})"));
  const std::string s = m.summary();
  EXPECT_EQ(s.find("Note: down"), std::string::npos) << s;
  EXPECT_NE(s.find("Note: pool does not tile its 14x14 input: row 13 and column 13"), std::string::npos) << s;
  const json j = m.summary_json();
  EXPECT_FALSE(j["layers"][1].contains("note"));
  EXPECT_NE(j["layers"][2]["note"].get<std::string>().find("row 13 and column 13"), std::string::npos);
}

}  // namespace
}  // namespace cnn
