// Augmentation: reproducible from its seed, exact geometric checks, bounds, the JSON configuration.

#include "data_util.h"

namespace cnn::test {
namespace {

Tensor ramp_batch(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
  Tensor x = zeros({n, c, h, w});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  return x;
}

TEST(DataAugment, SameSeedSameOutput) {
  const AugmentConfig cfg = AugmentConfig::from_json(json::parse(
      R"({"translate":2,"crop":1,"rotate":10,"scale":0.1,"flip":true,"brightness":0.1,"contrast":0.1,"cutout":3})"));
  const Tensor x = ramp_batch(8, 2, 10, 9);
  Tensor a, b, c;
  Rng r1(7), r2(7), r3(8);
  augment(x, a, cfg, r1);
  augment(x, b, cfg, r2);
  augment(x, c, cfg, r3);
  ASSERT_EQ(shape_of(a), shape_of(x));
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]) << i;
  EXPECT_NE(a, c);
  EXPECT_NE(a, x);
  EXPECT_EQ(r1.state(), r2.state());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(std::isfinite(a.data()[i]));
  // Disabled: no change and no random numbers drawn.
  Tensor y = x;
  Rng r4(7);
  augment(y, AugmentConfig{}, r4);
  EXPECT_EQ(y, x);
  EXPECT_EQ(r4.state(), Rng(7).state());
}

TEST(DataAugment, TranslationMovesABrightPixelByOne) {
  const std::size_t H = 7, W = 8;
  std::vector<float> src(H * W, 0.0f), dst(H * W);
  src[3 * W + 4] = 1.0f;
  ImageTransform t;
  t.dx = 1;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(dst[3 * W + 5], 1.0f);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f);
  t.dx = 0;
  t.dy = -1;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(dst[2 * W + 4], 1.0f);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f);
  // A half-pixel shift through the bilinear path spreads it over two pixels.
  t.dy = 0;
  t.dx = 0.5f;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_FLOAT_EQ(dst[3 * W + 4], 0.5f);
  EXPECT_FLOAT_EQ(dst[3 * W + 5], 0.5f);
  // Shifted out of the image: zeros come in.
  t.dx = 8;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 0.0f);

  // Random translation by at most 1: the pixel lands within 1 of where it was, intact.
  AugmentConfig cfg;
  cfg.translate = 1;
  Rng rng(3);
  Tensor x = zeros({50, 1, H, W});
  for (std::size_t k = 0; k < 50; ++k) x.data()[k * H * W + 3 * W + 4] = 1.0f;
  augment(x, cfg, rng);
  std::set<std::pair<int, int>> moves;
  for (std::size_t k = 0; k < 50; ++k) {
    const float* img = x.data() + k * H * W;
    const auto at = std::max_element(img, img + H * W) - img;
    EXPECT_EQ(img[at], 1.0f);
    EXPECT_EQ(std::accumulate(img, img + H * W, 0.0f), 1.0f);
    const int dy = static_cast<int>(at / W) - 3, dx = static_cast<int>(at % W) - 4;
    EXPECT_LE(std::abs(dx), 1);
    EXPECT_LE(std::abs(dy), 1);
    moves.insert({dy, dx});
  }
  EXPECT_EQ(moves.size(), 9u) << "all nine shifts occur";
}

TEST(DataAugment, FlipTwiceIsIdentity) {
  const Tensor x = ramp_batch(1, 3, 5, 6);
  std::vector<float> once(x.size()), twice(x.size());
  ImageTransform t;
  t.flip = true;
  transform_image(x.data(), once.data(), 3, 5, 6, t);
  transform_image(once.data(), twice.data(), 3, 5, 6, t);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(twice[i], x.data()[i]);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 0; y < 5; ++y)
      for (std::size_t xx = 0; xx < 6; ++xx) EXPECT_EQ(once[(c * 5 + y) * 6 + xx], x.data()[(c * 5 + y) * 6 + 5 - xx]);
  // Random flips only ever mirror or keep an image.
  AugmentConfig cfg;
  cfg.flip = true;
  Tensor b = ramp_batch(20, 1, 4, 4), orig = b;
  Rng rng(2);
  augment(b, cfg, rng);
  int flipped = 0;
  for (std::size_t k = 0; k < 20; ++k) {
    bool same = true, mirror = true;
    for (std::size_t y = 0; y < 4; ++y)
      for (std::size_t xx = 0; xx < 4; ++xx) {
        same &= b.data()[k * 16 + y * 4 + xx] == orig.data()[k * 16 + y * 4 + xx];
        mirror &= b.data()[k * 16 + y * 4 + xx] == orig.data()[k * 16 + y * 4 + 3 - xx];
      }
    EXPECT_TRUE(same || mirror);
    flipped += mirror && !same;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 20);
}

TEST(DataAugment, RotateZeroAndScaleZeroAreIdentity) {
  const Tensor x = ramp_batch(4, 2, 6, 7);
  Tensor y = x;
  Rng rng(1);
  augment(y, AugmentConfig::from_json(json::parse(R"({"rotate":0,"scale":0})")), rng);
  EXPECT_EQ(y, x);
  std::vector<float> out(2 * 6 * 7);
  ImageTransform t;  // angle 0, scale 1
  transform_image(x.data(), out.data(), 2, 6, 7, t);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], x.data()[i]);
  // 90 degrees counter-clockwise about the centre of a 5x5 image: right of centre -> above it.
  std::vector<float> src(25, 0.0f), dst(25);
  src[2 * 5 + 4] = 1.0f;
  t.angle_deg = 90;
  transform_image(src.data(), dst.data(), 1, 5, 5, t);
  EXPECT_NEAR(dst[0 * 5 + 2], 1.0f, 1e-5f);
  EXPECT_NEAR(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f, 1e-5f);
  // Scale 2 about the centre: the pixel one right of the centre moves to two right.
  src.assign(25, 0.0f);
  src[2 * 5 + 3] = 1.0f;
  t = ImageTransform{};
  t.scale = 2.0f;
  transform_image(src.data(), dst.data(), 1, 5, 5, t);
  EXPECT_NEAR(dst[2 * 5 + 4], 1.0f, 1e-6f);
  EXPECT_NEAR(dst[2 * 5 + 2], 0.0f, 1e-6f);
  // Small random rotations and scales keep the image close to the original.
  AugmentConfig cfg;
  cfg.rotate = 10;
  cfg.scale = 0.1f;
  Tensor z = ramp_batch(3, 1, 9, 9);
  augment(z, cfg, rng);
  for (std::size_t i = 0; i < z.size(); ++i) EXPECT_TRUE(z.data()[i] >= -1e-6f && z.data()[i] <= 1.0f + 1e-6f);
}

TEST(DataAugment, CutoutZeroesExactlyASquare) {
  const std::size_t C = 2, H = 12, W = 10, K = 4;
  AugmentConfig cfg;
  cfg.cutout = static_cast<int>(K);
  Rng rng(4);
  Tensor x = zeros({30, C, H, W});
  x.fill(1.0f);
  augment(x, cfg, rng);
  std::set<std::pair<std::size_t, std::size_t>> corners;
  for (std::size_t k = 0; k < 30; ++k) {
    std::size_t top = H, left = W, bottom = 0, right = 0, zeros_n = 0;
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t xx = 0; xx < W; ++xx) {
        const bool z0 = x.data()[((k * C + 0) * H + y) * W + xx] == 0.0f;
        const bool z1 = x.data()[((k * C + 1) * H + y) * W + xx] == 0.0f;
        EXPECT_EQ(z0, z1) << "every channel";
        if (!z0) continue;
        ++zeros_n;
        top = std::min(top, y);
        left = std::min(left, xx);
        bottom = std::max(bottom, y);
        right = std::max(right, xx);
      }
    EXPECT_EQ(zeros_n, K * K);
    EXPECT_EQ(bottom - top + 1, K);
    EXPECT_EQ(right - left + 1, K);
    corners.insert({top, left});
  }
  EXPECT_GT(corners.size(), 10u);
  // Larger than the image: everything.
  cfg.cutout = 20;
  Tensor all = zeros({1, 1, 3, 3});
  all.fill(1.0f);
  augment(all, cfg, rng);
  EXPECT_EQ(all, zeros({1, 1, 3, 3}));
  // The deterministic helper clips at the border.
  std::vector<float> img(16, 1.0f);
  cutout_image(img.data(), 1, 4, 4, 2, 3, 3);
  EXPECT_EQ(std::count(img.begin(), img.end(), 0.0f), 2);
}

TEST(DataAugment, BrightnessAndContrastStayInBounds) {
  AugmentConfig cfg;
  cfg.brightness = 0.1f;
  Rng rng(6);
  Tensor x = ramp_batch(40, 1, 4, 4), orig = x;
  augment(x, cfg, rng);
  double lo = 1, hi = -1;
  for (std::size_t k = 0; k < 40; ++k) {
    const float delta = x.data()[k * 16] - orig.data()[k * 16];
    EXPECT_LE(std::fabs(delta), 0.1f + 1e-6f);
    lo = std::min(lo, static_cast<double>(delta));
    hi = std::max(hi, static_cast<double>(delta));
    for (std::size_t j = 0; j < 16; ++j) EXPECT_NEAR(x.data()[k * 16 + j] - orig.data()[k * 16 + j], delta, 1e-6f);
  }
  EXPECT_LT(lo, -0.03);
  EXPECT_GT(hi, 0.03);
  // Contrast: deviations from the image mean scale by a factor in [0.9, 1.1]; the mean stays.
  cfg = AugmentConfig{};
  cfg.contrast = 0.1f;
  x = orig;
  augment(x, cfg, rng);
  for (std::size_t k = 0; k < 40; ++k) {
    double m0 = 0, m1 = 0;
    for (std::size_t j = 0; j < 16; ++j) {
      m0 += orig.data()[k * 16 + j];
      m1 += x.data()[k * 16 + j];
    }
    EXPECT_NEAR(m0, m1, 1e-4);
    m0 /= 16;
    for (std::size_t j = 0; j < 16; ++j) {
      const double d0 = orig.data()[k * 16 + j] - m0, d1 = x.data()[k * 16 + j] - m0;
      if (std::fabs(d0) > 0.05) {
        EXPECT_GE(d1 / d0, 0.9 - 1e-4);
        EXPECT_LE(d1 / d0, 1.1 + 1e-4);
      }
    }
  }
}

TEST(DataAugment, JsonConfig) {
  const json j =
      json::parse(R"({"translate":2,"rotate":10,"scale":0.1,"flip":false,"brightness":0.1,"contrast":0.1,"cutout":8})");
  const AugmentConfig c = AugmentConfig::from_json(j);
  EXPECT_EQ(c.translate, 2);
  EXPECT_EQ(c.crop, 0);
  EXPECT_FLOAT_EQ(c.rotate, 10.0f);
  EXPECT_FLOAT_EQ(c.scale, 0.1f);
  EXPECT_FALSE(c.flip);
  EXPECT_FLOAT_EQ(c.brightness, 0.1f);
  EXPECT_FLOAT_EQ(c.contrast, 0.1f);
  EXPECT_EQ(c.cutout, 8);
  EXPECT_TRUE(c.any());
  EXPECT_FALSE(AugmentConfig::from_json(json::object()).any());
  const AugmentConfig back = AugmentConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"rotation":5})")); }), "unknown key 'rotation'");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"scale":1.5})")); }), "'scale' must be in [0, 1)");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"translate":-1})")); }), "'translate'");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"flip":1})")); }), "'flip' must be true or false");
  Tensor bad = zeros({2, 3});
  Rng rng(1);
  EXPECT_HAS(error_of([&] { augment(bad, c, rng); }), "NCHW");
}

}  // namespace
}  // namespace cnn::test
