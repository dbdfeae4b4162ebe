// gradient_entries (train/gradcheck.h), the per-entry gradient check behind the Lab's "gradcheck"
// (wasm Model.gradientCheck): the relative errors of a smooth net are small, a scaled analytic
// gradient (the Lab's "break it") gives exactly the relative error of its factor, `only` picks one
// parameter, the measured float32 noise is at least the loss's own rounding, and bad options are
// refused.
#include <cmath>
#include <limits>

#include "test_util.h"
#include "train/gradcheck.h"

namespace cnn::test {

namespace {

Model small_net() {
  return Model::from_string(R"({"input": [2, 5, 5], "seed": 3, "layers": [
      {"type": "conv2d", "name": "conv", "filters": 3, "kernel": 3, "pad": 1},
      {"type": "tanh", "name": "act"},
      {"type": "dense", "name": "out", "units": 3}]})");
}

void batch(Tensor& x, std::vector<int>& y) {
  x = zeros({2, 2, 5, 5});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.37f * static_cast<float>(i));
  y = {0, 2};
}

}  // namespace

TEST(GradientEntries, SmoothNetHasSmallRelativeErrors) {
  Model m = small_net();
  Tensor x;
  std::vector<int> y;
  batch(x, y);
  GradEntriesOptions o;
  o.per_param = 10;
  const GradEntriesResult r = gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o);
  ASSERT_EQ(r.params.size(), 4u);
  EXPECT_EQ(r.params[0].param, "conv.weight");
  EXPECT_EQ(r.params[0].entries.size(), 10u);
  EXPECT_EQ(r.params[1].entries.size(), 3u);  // all of a smaller tensor
  const float lf = static_cast<float>(r.loss);
  const double ulp = std::nextafter(lf, std::numeric_limits<float>::infinity()) - lf;
  EXPECT_GE(r.loss_noise, ulp / std::sqrt(12.0) * 0.999);
  EXPECT_NEAR(r.quotient_noise, r.loss_noise / (std::sqrt(2.0) * 1e-3), 1e-6 * r.quotient_noise);  // h = 1e-3f
  for (const GradEntries& t : r.params)
    for (const GradEntry& e : t.entries) {
      EXPECT_FALSE(e.kink) << t.param << " " << e.index;  // tanh: no kinks
      EXPECT_DOUBLE_EQ(e.rel, relative_error(e.analytic, e.numeric));
      // float32: within the quotient's noise, or a small relative error
      EXPECT_LT(std::fabs(e.analytic - e.numeric), 3 * r.quotient_noise + 1e-2 * std::fabs(e.numeric))
          << t.param << " " << e.index << ": " << e.analytic << " vs " << e.numeric;
    }
}

TEST(GradientEntries, ScaledGradientAndOnlyOneParameter) {
  Model m = small_net();
  Tensor x;
  std::vector<int> y;
  batch(x, y);
  GradEntriesOptions o;
  o.per_param = 6;
  const GradEntriesResult plain = gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o);
  o.only = "conv.weight";
  o.scale_param = "conv.weight";
  o.scale = -1.0;
  const GradEntriesResult flipped = gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o);
  ASSERT_EQ(flipped.params.size(), 1u);
  ASSERT_EQ(flipped.params[0].entries.size(), plain.params[0].entries.size());
  for (std::size_t i = 0; i < flipped.params[0].entries.size(); ++i) {
    const GradEntry &a = plain.params[0].entries[i], &b = flipped.params[0].entries[i];
    EXPECT_EQ(b.analytic, -a.analytic);
    EXPECT_EQ(b.numeric, a.numeric);  // the loss's own: the same evaluations
    EXPECT_NEAR(b.rel, 2.0, 0.05);
  }
  o.scale = 0.5;
  const GradEntriesResult half = gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o);
  for (const GradEntry& e : half.params[0].entries) EXPECT_NEAR(e.rel, 0.5, 0.02);
}

TEST(GradientEntries, RefusesBadOptions) {
  Model m = small_net();
  Tensor x;
  std::vector<int> y;
  batch(x, y);
  GradEntriesOptions o;
  o.only = "nope";
  EXPECT_THROW(gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o), Error);
  o.only.clear();
  o.scale_param = "conv.nope";
  EXPECT_THROW(gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o), Error);
  o.scale_param.clear();
  o.h = 0.0f;
  EXPECT_THROW(gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o), Error);
  o.h = 1e-3f;
  o.per_param = 0;
  EXPECT_THROW(gradient_entries(m, x, y, LossKind::softmax_cross_entropy, o), Error);
}

}  // namespace cnn::test
