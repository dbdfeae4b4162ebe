// One training step (train_step.h): compute_gradients is the step without the update, and both leave
// every parameter's gradient and every layer's output gradient (Model::gradient) readable.
#include <cstring>

#include "test_util.h"
#include "train/train_step.h"

namespace cnn::test {
namespace {

const char* kNet = R"({"input":[1,6,6],"seed":11,"layers":[
  {"type":"conv2d","name":"conv","filters":3,"kernel":3,"pad":1},{"type":"relu","name":"relu"},
  {"type":"maxpool2d","name":"pool","size":2},{"type":"dense","name":"fc","units":4}]})";

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(TrainStep, ComputeGradientsIsTheStepWithoutTheUpdate) {
  Model a = Model::from_string(kNet), b = Model::from_string(kNet);
  Rng rng(3);
  const Tensor x = random_tensor({5, 1, 6, 6}, rng);
  const std::vector<int> labels{0, 3, 1, 2, 3};
  StepOptions o;
  o.reg = {0.0f, 0.01f};
  Tensor ga, gb;
  const StepResult ra = compute_gradients(a, x, labels, a.params(), ga, o);
  EXPECT_FALSE(ra.updated);
  EXPECT_TRUE(ra.finite);
  auto sgd = make_optimizer({{"type", "sgd"}, {"lr", 0.1}});
  const StepResult rb = train_step(b, x, labels, b.params(), *sgd, gb, o);
  EXPECT_TRUE(rb.updated);
  EXPECT_EQ(ra.loss, rb.loss);
  ASSERT_TRUE(same_bits(ga, gb));
  for (std::size_t k = 0; k < a.params().size(); ++k) {
    SCOPED_TRACE(a.params()[k].name);
    EXPECT_TRUE(same_bits(*a.params()[k].grad, *b.params()[k].grad));     // the same gradients
    EXPECT_FALSE(same_bits(*a.params()[k].value, *b.params()[k].value));  // only the step updated
  }
  // Both leave each layer's output gradient; the output's is dL/doutput.
  for (const char* layer : {"conv", "relu", "pool", "fc"}) {
    SCOPED_TRACE(layer);
    EXPECT_TRUE(same_bits(a.gradient(layer), b.gradient(layer)));
    EXPECT_EQ(a.gradient(layer).shape(), a.activation(layer).shape());
  }
  EXPECT_TRUE(same_bits(b.gradient("fc"), gb));
  // A gradient pass again gives the same (the gradients are zeroed first, not accumulated).
  Tensor again;
  compute_gradients(a, x, labels, a.params(), again, o);
  EXPECT_TRUE(same_bits(*a.params()[0].grad, *b.params()[0].grad));
}

TEST(TrainStep, TrainingChoosesTheForwardMode) {
  Model m = Model::from_string(R"({"input":[1,4,4],"seed":2,"layers":[
    {"type":"dense","units":16},{"type":"dropout","p":0.5},{"type":"dense","name":"out","units":3}]})");
  Rng rng(8);
  const Tensor x = random_tensor({4, 1, 4, 4}, rng);
  const std::vector<int> labels{0, 1, 2, 0};
  Tensor g;
  StepOptions o;
  o.training = false;
  const float eval1 = compute_gradients(m, x, labels, m.params(), g, o).loss;
  const float eval2 = compute_gradients(m, x, labels, m.params(), g, o).loss;
  EXPECT_EQ(eval1, eval2);
  EXPECT_EQ(eval1, compute_loss(LossKind::softmax_cross_entropy, m.forward(x, false), labels, nullptr));
  o.training = true;  // dropout on
  EXPECT_NE(compute_gradients(m, x, labels, m.params(), g, o).loss, eval1);
}

}  // namespace
}  // namespace cnn::test
