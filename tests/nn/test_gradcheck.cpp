// Central-difference gradient checks of every layer's backward, for its inputs and each parameter,
// over several shapes (stride > 1 and padding included), in both modes where a layer has two. One
// test per kind of the layer-kind table (nn/layers/registry.h); a kind without a case fails.
// WholeModel*: the whole-model check of gradcheck.h (`cnn gradcheck`) on a zoo net.
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "nn/layers/dropout.h"
#include "test_util.h"
#include "train/gradcheck.h"

namespace cnn::test {

// The cases of each layer kind, keyed by the kind's name. Every kind of the table (layer_kinds())
// must have one, and every entry here must be a kind: see the tests below.
const std::map<std::string, std::function<void()>>& gradcheck_cases() {
  static const std::map<std::string, std::function<void()>> cases{
      {"conv2d",
       [] {
         grad_check({{"type", "conv2d"}, {"filters", 3}, {"kernel", 3}, {"pad", 1}}, {{2, 2, 5, 5}});
         grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}, {"stride", 2}, {"pad", 1}}, {{2, 3, 7, 7}});
         grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", {3, 2}}, {"stride", {2, 1}}, {"pad", {1, 0}}},
                    {{1, 2, 5, 4}});
         grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", 1}}, {{2, 3, 3, 3}});
         grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", 3}, {"groups", 2}, {"bias", false}},
                    {{2, 4, 4, 4}});
         grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 5}, {"pad", 2}, {"stride", 3}}, {{1, 1, 7, 7}});
         // Stride 1 computes dx as a forward correlation of the padded dY with the turned filters:
         // non-square filters, padding from 0 up to kernel - 1 on each axis, groups; and padding as
         // large as the kernel, which takes the im2col path instead.
         grad_check({{"type", "conv2d"}, {"filters", 3}, {"kernel", {3, 2}}, {"pad", {2, 0}}}, {{2, 2, 5, 4}});
         grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", {2, 3}}, {"pad", {1, 1}}, {"groups", 2}},
                    {{2, 4, 4, 5}});
         grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 2}, {"pad", 2}}, {{1, 2, 3, 3}});
         // One input channel: the filter gradient by the direct few-taps kernel (5 filters: 4 + 1).
         grad_check({{"type", "conv2d"}, {"filters", 5}, {"kernel", 3}, {"pad", 1}}, {{2, 1, 6, 5}});
       }},
      {"depthwise_conv2d",
       [] {
         grad_check({{"type", "depthwise_conv2d"}, {"kernel", 3}, {"pad", 1}}, {{2, 3, 5, 5}});
         grad_check({{"type", "depthwise_conv2d"}, {"kernel", 3}, {"stride", 2}, {"pad", 1}, {"multiplier", 2}},
                    {{1, 2, 5, 5}});
       }},
      {"maxpool2d",
       [] {
         grad_check({{"type", "maxpool2d"}, {"size", 2}}, {{2, 2, 4, 4}}, {}, true);
         grad_check({{"type", "maxpool2d"}, {"size", 3}, {"stride", 2}}, {{1, 2, 7, 7}}, {}, true);
         grad_check({{"type", "maxpool2d"}, {"size", 3}}, {{1, 1, 8, 8}}, {}, true);
       }},
      {"avgpool2d",
       [] {
         grad_check({{"type", "avgpool2d"}, {"size", 2}}, {{2, 2, 4, 6}});
         grad_check({{"type", "avgpool2d"}, {"size", 3}, {"stride", 2}}, {{1, 2, 7, 7}});
       }},
      {"global_avgpool",
       [] {
         grad_check({{"type", "global_avgpool"}}, {{2, 3, 4, 5}});
       }},
      {"dense",
       [] {
         grad_check({{"type", "dense"}, {"units", 5}}, {{3, 2, 3, 3}});
         grad_check({{"type", "dense"}, {"units", 3}, {"bias", false}}, {{2, 7, 1, 1}});
       }},
      {"flatten",
       [] {
         grad_check({{"type", "flatten"}}, {{2, 2, 3, 3}});
       }},
      {"relu",
       [] {
         grad_check({{"type", "relu"}}, {{2, 3, 4, 4}});
       }},
      {"sigmoid",
       [] {
         grad_check({{"type", "sigmoid"}}, {{2, 3, 4, 4}});
       }},
      {"tanh",
       [] {
         grad_check({{"type", "tanh"}}, {{2, 3, 4, 4}});
       }},
      {"gelu",
       [] {
         grad_check({{"type", "gelu"}}, {{2, 3, 4, 4}});
       }},
      {"leaky_relu",
       [] {
         grad_check({{"type", "leaky_relu"}, {"slope", 0.1}}, {{2, 3, 4, 4}});
       }},
      {"elu",
       [] {
         grad_check({{"type", "elu"}, {"alpha", 0.7}}, {{2, 3, 4, 4}});
       }},
      {"prelu",
       [] {
         grad_check({{"type", "prelu"}}, {{2, 3, 4, 4}});
       }},
      {"maxout",
       [] {
         grad_check({{"type", "maxout"}, {"k", 2}}, {{2, 4, 3, 3}}, {}, true);
         grad_check({{"type", "maxout"}, {"k", 3}}, {{2, 6, 1, 1}}, {}, true);
       }},
      {"batchnorm",  // both modes
       [] {
         GradCheck train;
         GradCheck infer;
         infer.training = false;
         grad_check({{"type", "batchnorm"}}, {{3, 2, 3, 3}}, train);
         grad_check({{"type", "batchnorm"}}, {{6, 4, 1, 1}}, train);
         grad_check({{"type", "batchnorm"}}, {{3, 2, 3, 3}}, infer);
       }},
      {"layernorm",
       [] {
         grad_check({{"type", "layernorm"}}, {{2, 3, 3, 3}});
       }},
      {"groupnorm",
       [] {
         grad_check({{"type", "groupnorm"}, {"groups", 2}}, {{2, 4, 3, 3}});
         grad_check({{"type", "groupnorm"}, {"groups", 1}}, {{2, 3, 2, 2}});
       }},
      {"lrn",
       [] {
         grad_check({{"type", "lrn"}, {"size", 3}, {"alpha", 0.5}, {"beta", 0.75}, {"k", 1.0}}, {{2, 5, 2, 2}});
         grad_check({{"type", "lrn"}, {"size", 4}, {"alpha", 0.8}, {"beta", 0.6}, {"k", 2.0}}, {{1, 6, 2, 2}});
       }},
      {"dropout",  // both modes, with the mask held fixed
       [] {
         for (bool training : {true, false}) {
           BuiltLayer b = build_layer({{"type", "dropout"}, {"p", 0.4}}, {{2, 3, 4, 4}});
           static_cast<Dropout&>(*b.layer).fix_mask(true);
           Rng rng(3);
           GradCheck o;
           o.training = training;
           grad_check_layer(*b.layer, {random_tensor({2, 3, 4, 4}, rng)}, o);
         }
       }},
      {"add",
       [] {
         grad_check({{"type", "add"}}, {{2, 3, 2, 2}, {2, 3, 2, 2}, {2, 3, 2, 2}});
       }},
      {"concat",
       [] {
         grad_check({{"type", "concat"}}, {{2, 1, 3, 3}, {2, 3, 3, 3}});
       }},
  };
  return cases;
}

class GradCheckKind : public ::testing::TestWithParam<std::string> {};

TEST_P(GradCheckKind, Backward) {
  const auto& cases = gradcheck_cases();
  const auto it = cases.find(GetParam());
  ASSERT_NE(it, cases.end())
      << "layer kind '" << GetParam()
      << "' has no gradient check: add a case to gradcheck_cases() (tests/nn/test_gradcheck.cpp)";
  it->second();
}

INSTANTIATE_TEST_SUITE_P(Layers, GradCheckKind, ::testing::ValuesIn(layer_types()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GradCheckCases, EveryCaseIsARegisteredKind) {
  const std::vector<std::string> kinds = layer_types();
  for (const auto& [name, run] : gradcheck_cases())
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), name), kinds.end())
        << "gradient-check case '" << name << "' names no registered layer kind";
}

// ----------------------------------------------------------------------------- whole model

Model zoo_model(const std::string& name) {
  std::ifstream f(data_dir() + "/../web/models/" + name + ".json");
  if (!f) throw Error("missing zoo model " + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return Model::from_string(ss.str());
}

// The batch `cnn gradcheck` draws (tools/cnn.cpp): pixels uniform in [-1, 1], then the labels.
void cli_batch(const Model& m, int batch, std::uint32_t seed, Tensor& x, std::vector<int>& y) {
  Rng rng(seed);
  x = zeros(batch_shape(static_cast<std::size_t>(batch), m.input_shape()));
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  y.assign(static_cast<std::size_t>(batch), 0);
  for (int& v : y) v = static_cast<int>(rng.below(static_cast<std::uint32_t>(shape_size(m.output_shape()))));
}

std::string rows_str(const GradCheckResult& r) {
  std::ostringstream os;
  for (const auto& row : r.rows)
    os << "\n  " << row.param << ": checked " << row.checked << ", on kink " << row.skipped << ", max abs err "
       << row.max_abs << ", noise " << row.noise << ", err/tol " << row.max_error;
  return os.str();
}

// keras_mnist's back-propagation is right (it matches a float64 re-implementation of the net to
// 1e-7), but its conv1 parameters reach tens of thousands of ReLU and max-pool kinks, dozens of
// which fall inside +-h: `cnn gradcheck --model keras_mnist --batch 1` (seed 1) used to report
// FAILED (conv1.bias err/tol 1.03), and seeds 2 and 7 failed by 2.0 and 1.2. The check now widens
// the tolerance of such parameters by their measured quotient noise.
TEST(WholeModelGradCheck, KerasMnistKinkyEarlyLayersPass) {
  Model m = zoo_model("keras_mnist");
  for (const auto& [batch, seed] : std::vector<std::pair<int, std::uint32_t>>{{1, 1}, {1, 2}, {1, 7}, {2, 11}}) {
    SCOPED_TRACE("batch " + std::to_string(batch) + " seed " + std::to_string(seed));
    Tensor x;
    std::vector<int> y;
    cli_batch(m, batch, seed, x, y);
    const GradCheckResult r = gradient_check(m, x, y, LossKind::softmax_cross_entropy);
    EXPECT_TRUE(r.ok()) << "worst " << r.worst << ", checked " << r.checked << ", skipped " << r.skipped << rows_str(r);
  }
}

// The wider tolerance keeps the check's teeth: gradients a little off still fail, on the smooth
// late layers (5 %) as on the kink-rich first ones (20 %), and so does a gradient taken from the
// neighbouring entry; the true gradients pass.
TEST(WholeModelGradCheck, WrongGradientsStillFail) {
  Model m = zoo_model("keras_mnist");
  Tensor x;
  std::vector<int> y;
  cli_batch(m, 1, 1, x, y);
  m.zero_grad();
  Tensor g;
  compute_loss(LossKind::softmax_cross_entropy, m.forward(x, false), y, &g);
  m.backward(g);
  std::vector<Tensor> grads;
  for (const Param& p : m.params()) grads.push_back(*p.grad);
  auto check = [&](const std::vector<Tensor>& gs) {
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : gs) ptrs.push_back(&t);
    return compare_gradients(m, x, y, LossKind::softmax_cross_entropy, ptrs);
  };
  auto index_of = [&](const std::string& name) {
    for (std::size_t k = 0; k < m.params().size(); ++k)
      if (m.params()[k].name == name) return k;
    throw Error("no parameter " + name);
  };
  const GradCheckResult right = check(grads);
  ASSERT_TRUE(right.ok()) << rows_str(right);

  struct Wrong {
    std::string param;
    float scale;  // the gradient times this
    bool shift;   // or each entry taken from the next one
  };
  for (const Wrong& w :
       {Wrong{"fc1.weight", 1.05f, false}, Wrong{"fc2.bias", 0.95f, false}, Wrong{"conv2.weight", 1.1f, false},
        Wrong{"conv1.bias", 1.2f, false}, Wrong{"conv1.weight", 0.8f, false}, Wrong{"conv2.weight", 1.0f, true},
        Wrong{"conv1.bias", 1.0f, true}}) {
    SCOPED_TRACE(w.param + (w.shift ? " shifted" : " x" + std::to_string(w.scale)));
    std::vector<Tensor> bad = grads;
    Tensor& t = bad[index_of(w.param)];
    for (std::size_t i = 0; i < t.size(); ++i)
      t.data()[i] = w.shift ? grads[index_of(w.param)].data()[(i + 1) % t.size()] : w.scale * t.data()[i];
    const GradCheckResult r = check(bad);
    EXPECT_FALSE(r.ok()) << rows_str(r);
    for (const auto& row : r.rows) EXPECT_EQ(row.max_error > 1.0, row.param == w.param) << rows_str(r);
  }
}

}  // namespace cnn::test
