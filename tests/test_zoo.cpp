// Every model of the zoo (web/models/*.json) builds for 28x28 inputs, gives 10 outputs, and
// back-propagates correctly (a sampled whole-model gradient check).
#include <fstream>
#include <sstream>

#include "loss.h"
#include "test_util.h"

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
  Rng r(3);
  const Tensor x = random_tensor({2, 1, 28, 28}, r);
  const std::vector<int> y{3, 7};
  auto loss = [&](Tensor* g) { return static_cast<double>(softmax_cross_entropy(m.forward(x, false), y, g)); };
  m.zero_grad();
  Tensor g;
  loss(&g);
  m.backward(g);
  // ReLU and max-pool kinks: a step that crosses one makes the difference quotient meaningless.
  // Where the one-sided quotients on the two sides disagree, the entry sits on a kink (a dead
  // ReLU at exactly 0, a max-pool tie, or a crossing within the step) and is skipped, as ggml's
  // backend tests do; such entries must stay a minority.
  const float h = 1e-3f;
  const double f0 = loss(nullptr);
  int bad = 0, checked = 0, skipped = 0;
  for (auto& p : m.params()) {
    const std::size_t step = std::max<std::size_t>(1, p.value->size() / 4);
    for (std::size_t i = 0; i < p.value->size(); i += step) {
      float* v = p.value->data() + i;
      const float keep = *v;
      *v = keep + h;
      const double fp = loss(nullptr);
      *v = keep - h;
      const double fm = loss(nullptr);
      *v = keep;
      const double right = (fp - f0) / h, left = (f0 - fm) / h, num = (fp - fm) / (2.0 * h);
      if (std::fabs(right - left) > 2e-3 + 0.05 * std::fabs(num)) {
        ++skipped;
        continue;
      }
      ++checked;
      const double an = p.grad->data()[i];
      if (std::fabs(num - an) > 3e-3 + 3e-2 * std::fabs(num) && bad++ < 5)
        ADD_FAILURE() << p.name << "[" << i << "] analytic " << an << " numeric " << num;
    }
  }
  EXPECT_GT(checked, 3 * skipped) << "too many entries sit on a kink";
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo,
                         ::testing::Values("lenet5", "convnetjs", "keras_mnist", "vgg_small", "resnet_small",
                                           "inception_small", "nin_small", "mobilenet_small"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace cnn::test
