// Every model of the zoo (web/models/*.json) builds for 28x28 inputs, gives 10 outputs, and
// back-propagates correctly (a sampled whole-model gradient check).
#include <fstream>
#include <sstream>

#include "test_util.h"
#include "train/gradcheck.h"

namespace cnn::test {

class Zoo : public ::testing::TestWithParam<std::string> {};

TEST_P(Zoo, BuildsAndBackpropagates) {
  std::ifstream f(data_dir() + "/../web/models/" + GetParam() + ".json");
  ASSERT_TRUE(f) << GetParam();
  std::stringstream ss;
  ss << f.rdbuf();
  Model m = Model::from_string(ss.str());
  EXPECT_EQ(m.input_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(shape_size(m.output_shape()), 10u);
  Rng rng(3);
  const Tensor x = random_tensor({2, 1, 28, 28}, rng);
  const std::vector<int> y{3, 7};
  const GradCheckResult r = gradient_check(m, x, y, LossKind::softmax_cross_entropy, 4);
  for (const auto& row : r.rows)
    EXPECT_LE(row.max_error, 1.0) << row.param << ": max |numeric - analytic| " << row.max_abs;
  EXPECT_GT(r.checked, 3 * r.skipped) << "too many entries sit on a kink";
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo,
                         ::testing::Values("lenet5", "convnetjs", "keras_mnist", "vgg_small", "resnet_small",
                                           "inception_small", "nin_small", "mobilenet_small"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace cnn::test
