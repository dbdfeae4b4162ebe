// Forward results checked against values computed by hand (the notes' examples), shape inference,
// parameter and MAC counts, and the errors that bad configurations get.
#include "nn/layers/batchnorm.h"
#include "nn/layers/conv2d.h"
#include "test_util.h"

namespace cnn::test {

static Tensor make(const Shape& s, const std::vector<float>& v) {
  Tensor t = zeros(s);
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

static Tensor run(Layer& l, const Tensor& x, bool training = false) {
  Tensor y;
  l.forward({&x}, y, training);
  return y;
}

TEST(Conv2D, NotesExample5x5Input3x3Filter) {
  // The notes' example: the 5x5 binary image convolved with the 3x3 "X" filter gives a 3x3 map.
  BuiltLayer b = build_layer({{"type", "conv2d"}, {"filters", 1}, {"kernel", 3}}, {{1, 1, 5, 5}});
  auto& c = static_cast<Conv2D&>(*b.layer);
  std::vector<float> f{1, 0, 1, 0, 1, 0, 1, 0, 1};
  std::copy(f.begin(), f.end(), c.weight.data());
  Tensor x = make({1, 1, 5, 5}, {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0});
  Tensor y = run(c, x);
  ASSERT_EQ(shape_of(y), (Shape{1, 1, 3, 3}));
  const std::vector<float> want{4, 3, 4, 2, 4, 3, 2, 3, 4};
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(y.data()[i], want[i]) << i;
}

TEST(Conv2D, Notes32x32x3TenFilters5x5Pad2) {
  BuiltLayer b =
      build_layer({{"type", "conv2d"}, {"filters", 10}, {"kernel", 5}, {"stride", 1}, {"pad", 2}}, {{1, 3, 32, 32}});
  EXPECT_EQ(b.out, (Shape{10, 32, 32}));
  EXPECT_EQ(b.layer->param_count(), 760);  // 5*5*3*10 weights + 10 biases
  EXPECT_EQ(b.layer->macs(), 10LL * 32 * 32 * 5 * 5 * 3);
}

TEST(Conv2D, FloorsAStrideThatDoesNotTile) {
  // The notes: a 7x7 input, 3x3 filter, stride 3 gives (7-3)/3+1 = 2.33; PyTorch floors it to 2 and
  // never reads the last row and column, which note() says (tests/nn/test_window_fit.cpp).
  BuiltLayer b =
      build_layer({{"type", "conv2d"}, {"name", "c"}, {"filters", 1}, {"kernel", 3}, {"stride", 3}}, {{1, 1, 7, 7}});
  EXPECT_EQ(b.out, (Shape{1, 2, 2}));
  EXPECT_NE(b.layer->note().find("row 6 and column 6"), std::string::npos) << b.layer->note();
  // Stride 2 fits: (7-3)/2+1 = 3.
  EXPECT_EQ(build_layer({{"type", "conv2d"}, {"filters", 1}, {"kernel", 3}, {"stride", 2}}, {{1, 1, 7, 7}}).out,
            (Shape{1, 3, 3}));
  // Pad 1 keeps a 7x7 input at 7x7 with a 3x3 filter (the notes' "7x7 output!").
  EXPECT_EQ(build_layer({{"type", "conv2d"}, {"filters", 1}, {"kernel", 3}, {"pad", 1}}, {{1, 1, 7, 7}}).out,
            (Shape{1, 7, 7}));
}

TEST(Conv2D, OneByOneAndDepthwiseCounts) {
  BuiltLayer one = build_layer({{"type", "conv2d"}, {"filters", 16}, {"kernel", 1}}, {{1, 64, 8, 8}});
  EXPECT_EQ(one.out, (Shape{16, 8, 8}));
  EXPECT_EQ(one.layer->param_count(), 64 * 16 + 16);
  BuiltLayer dw = build_layer({{"type", "depthwise_conv2d"}, {"kernel", 3}, {"pad", 1}}, {{1, 32, 8, 8}});
  EXPECT_EQ(dw.out, (Shape{32, 8, 8}));
  EXPECT_EQ(dw.layer->param_count(), 32 * 9 + 32);
  EXPECT_EQ(dw.layer->macs(), 32LL * 8 * 8 * 9);
}

TEST(Pool, NotesMaxPoolExample) {
  BuiltLayer b = build_layer({{"type", "maxpool2d"}, {"size", 2}, {"stride", 2}}, {{1, 1, 4, 4}});
  Tensor y = run(*b.layer, make({1, 1, 4, 4}, {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4}));
  ASSERT_EQ(shape_of(y), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(std::vector<float>(y.data(), y.data() + 4), (std::vector<float>{6, 8, 3, 4}));
  BuiltLayer a = build_layer({{"type", "avgpool2d"}, {"size", 2}}, {{1, 1, 4, 4}});
  Tensor z = run(*a.layer, make({1, 1, 4, 4}, {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4}));
  EXPECT_EQ(std::vector<float>(z.data(), z.data() + 4), (std::vector<float>{3.25f, 5.25f, 2, 2}));
  BuiltLayer g = build_layer({{"type", "global_avgpool"}}, {{1, 1, 4, 4}});
  EXPECT_FLOAT_EQ(run(*g.layer, make({1, 1, 4, 4}, {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4})).data()[0],
                  50.0f / 16);
  EXPECT_EQ(build_layer({{"type", "maxpool2d"}, {"size", 3}}, {{1, 16, 14, 14}}).out, (Shape{16, 4, 4}));
}

TEST(Activations, HandValues) {
  const Tensor x = make({1, 1, 1, 4}, {-2.0f, -0.5f, 0.0f, 1.5f});
  auto f = [&](const json& cfg) {
    BuiltLayer b = build_layer(cfg, {{1, 1, 1, 4}});
    Tensor y = run(*b.layer, x);
    return std::vector<float>(y.data(), y.data() + 4);
  };
  auto near = [](std::vector<float> got, std::vector<float> want) {
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
  };
  near(f({{"type", "relu"}}), {0, 0, 0, 1.5f});
  near(f({{"type", "leaky_relu"}, {"slope", 0.1}}), {-0.2f, -0.05f, 0, 1.5f});
  near(f({{"type", "prelu"}}), {-0.5f, -0.125f, 0, 1.5f});
  near(f({{"type", "sigmoid"}}), {0.11920292f, 0.37754067f, 0.5f, 0.81757448f});
  near(f({{"type", "tanh"}}), {-0.96402758f, -0.46211716f, 0, 0.90514825f});
  near(f({{"type", "elu"}, {"alpha", 1.0}}), {-0.86466472f, -0.39346934f, 0, 1.5f});
  near(f({{"type", "gelu"}}), {-0.04550027f, -0.15426877f, 0, 1.39978921f});
  // Maxout over pairs of channels.
  BuiltLayer m = build_layer({{"type", "maxout"}, {"k", 2}}, {{1, 4, 1, 1}});
  Tensor y = run(*m.layer, make({1, 4, 1, 1}, {1, 3, -2, -5}));
  ASSERT_EQ(shape_of(y), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(y.data()[0], 3);
  EXPECT_EQ(y.data()[1], -2);
}

TEST(BatchNorm, HandComputedBatch) {
  // One channel, batch of 4 values 1, 2, 3, 6: mean 3, biased variance (4+1+0+9)/4 = 3.5.
  BuiltLayer b = build_layer({{"type", "batchnorm"}, {"momentum", 0.1}, {"eps", 0.0001}}, {{4, 1, 1, 1}});
  auto& bn = static_cast<BatchNorm&>(*b.layer);
  bn.weight.data()[0] = 2.0f;
  bn.bias.data()[0] = 0.5f;
  Tensor y = run(bn, make({4, 1, 1, 1}, {1, 2, 3, 6}), true);
  const float s = 1.0f / std::sqrt(3.5f + 0.0001f);
  const float want[4] = {-2 * 2 * s + 0.5f, -1 * 2 * s + 0.5f, 0.5f, 3 * 2 * s + 0.5f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y.data()[i], want[i], 1e-5f);
  // Running averages: 0.9 * 0 + 0.1 * 3 and 0.9 * 1 + 0.1 * (14 / 3) (unbiased).
  EXPECT_NEAR(bn.running_mean.data()[0], 0.3f, 1e-6f);
  EXPECT_NEAR(bn.running_var.data()[0], 0.9f + 0.1f * 14.0f / 3.0f, 1e-6f);
  // Inference uses the running averages.
  Tensor z = run(bn, make({4, 1, 1, 1}, {1, 2, 3, 6}), false);
  EXPECT_NEAR(z.data()[0], 2.0f * (1 - 0.3f) / std::sqrt(bn.running_var.data()[0] + 0.0001f) + 0.5f, 1e-5f);
}

TEST(Dropout, InvertedScalingAndIdentityAtInference) {
  BuiltLayer b = build_layer({{"type", "dropout"}, {"p", 0.25}}, {{1, 1, 100, 100}});
  Tensor x = zeros({1, 1, 100, 100});
  x.fill(1.0f);
  Tensor y = run(*b.layer, x, true);
  int kept = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    ASSERT_TRUE(y.data()[i] == 0.0f || std::fabs(y.data()[i] - 1.0f / 0.75f) < 1e-6f);
    kept += y.data()[i] != 0.0f;
  }
  EXPECT_NEAR(kept / 10000.0, 0.75, 0.03);
  Tensor z = run(*b.layer, x, false);
  for (std::size_t i = 0; i < z.size(); ++i) ASSERT_EQ(z.data()[i], 1.0f);
}

TEST(Layers, BadConfigurationsGetClearErrors) {
  auto msg = [](const json& cfg, const std::vector<Shape>& shapes) {
    try {
      build_layer(cfg, shapes);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg({{"type", "conv2d"}, {"kernel", 3}}, {{1, 1, 5, 5}}).find("filters"), std::string::npos);
  EXPECT_NE(msg({{"type", "conv2d"}, {"filters", 2}, {"kernel", 9}}, {{1, 1, 5, 5}}).find("larger"), std::string::npos);
  EXPECT_NE(msg({{"type", "conv2d"}, {"filters", 3}, {"kernel", 1}, {"groups", 2}}, {{1, 4, 5, 5}}).find("divisible"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "maxout"}, {"k", 3}}, {{1, 4, 5, 5}}).find("divisible"), std::string::npos);
  EXPECT_NE(msg({{"type", "conv2d"}, {"filters", "8"}, {"kernel", 3}}, {{1, 1, 5, 5}}).find("integer"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "nonsense"}}, {{1, 1, 5, 5}}).find("unknown layer type"), std::string::npos);
  EXPECT_NE(msg({{"type", "dropout"}, {"p", 1.0}}, {{1, 1, 5, 5}}).find("[0, 1)"), std::string::npos);
  EXPECT_NE(msg({{"type", "maxpool2d"}, {"size", 6}}, {{1, 1, 5, 5}}).find("larger"), std::string::npos);
  EXPECT_NE(msg({{"type", "concat"}}, {{1, 1, 5, 5}, {1, 2, 4, 4}}).find("same height"), std::string::npos);
  EXPECT_NE(msg({{"type", "add"}}, {{1, 1, 5, 5}, {1, 2, 5, 5}}).find("same shape"), std::string::npos);
}

}  // namespace cnn::test
