// Parity with PyTorch: forward outputs and the gradients for inputs and parameters of every layer
// kind, compared with the golden files written by tests/golden/gen_golden.py. The kinds come from
// the layer-kind table (nn/layers/registry.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "nn/layers/batchnorm.h"
#include "nn/loss.h"
#include "test_util.h"

namespace cnn::test {

static json load_golden(const std::string& kind) {
  std::ifstream f(data_dir() + "/golden/" + kind + ".json");
  if (!f) throw Error("missing golden file for " + kind);
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

static Tensor tensor_from(const json& shape, const json& flat) {
  Tensor t = zeros(shape.get<Shape>());
  auto v = flat.get<std::vector<float>>();
  EXPECT_EQ(v.size(), t.size());
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

static void set_flat(Tensor* t, const json& flat, const std::string& what) {
  auto v = flat.get<std::vector<float>>();
  ASSERT_EQ(v.size(), t->size()) << what;
  std::copy(v.begin(), v.end(), t->data());
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesPyTorch) {
  const json g = load_golden(GetParam());
  ASSERT_FALSE(g["cases"].empty());
  const float rtol = 1e-4f, atol = 2e-5f;
  for (const json& c : g["cases"]) {
    SCOPED_TRACE(GetParam() + ": " + c["name"].get<std::string>());
    std::vector<Shape> shapes;
    std::vector<Tensor> xs;
    for (std::size_t i = 0; i < c["inputs"].size(); ++i) {
      shapes.push_back(c["input_shapes"][i].get<Shape>());
      xs.push_back(tensor_from(c["input_shapes"][i], c["inputs"][i]));
    }
    BuiltLayer b = build_layer(c["layer"], shapes);
    Layer& l = *b.layer;
    for (auto& p : l.params()) {
      ASSERT_TRUE(c["params"].contains(p.name)) << "golden file lacks param " << p.name;
      set_flat(p.value, c["params"][p.name], p.name);
    }
    if (c.contains("buffers"))
      for (auto& [name, t] : l.buffers()) set_flat(t, c["buffers"][name], name);
    std::vector<const Tensor*> in;
    for (auto& x : xs) in.push_back(&x);
    Tensor y;
    const bool training = c["training"].get<bool>();
    l.forward(in, y, training);
    ASSERT_EQ(shape_of(y), c["output_shape"].get<Shape>());
    expect_near_all(y.data(), c["output"].get<std::vector<double>>(), rtol, atol, "output");
    if (c.contains("buffers_after"))
      for (auto& [name, t] : l.buffers())
        expect_near_all(t->data(), c["buffers_after"][name].get<std::vector<double>>(), rtol, atol, name);
    const Tensor dy = tensor_from(c["output_shape"], c["grad_output"]);
    std::vector<Tensor> dxs(xs.size());
    std::vector<Tensor*> dx;
    for (auto& d : dxs) dx.push_back(&d);
    for (auto& p : l.params()) p.grad->fill(0.0f);
    l.backward(in, y, dy, dx);
    for (std::size_t i = 0; i < xs.size(); ++i)
      expect_near_all(dxs[i].data(), c["grad_inputs"][i].get<std::vector<double>>(), 2 * rtol, 5 * atol,
                      "grad_input " + std::to_string(i));
    for (auto& p : l.params())
      expect_near_all(p.grad->data(), c["grad_params"][p.name].get<std::vector<double>>(), 2 * rtol, 5 * atol,
                      "grad " + p.name);
  }
}

// Every kind of the layer-kind table (nn/layers/registry.h) has a golden file, tests/golden/<kind>.json;
// a kind without one fails here with "missing golden file for <kind>". The exceptions, with why:
const std::map<std::string, std::string> kNoGolden{
    {"dropout",
     "its masks come from the engine's own generator, which PyTorch cannot reproduce; "
     "the scaling, the identity at inference and the gradient are tested in test_layers.cpp and "
     "test_gradcheck.cpp"},
};

std::vector<std::string> golden_kinds() {
  std::vector<std::string> v;
  for (const std::string& t : layer_types())
    if (!kNoGolden.count(t)) v.push_back(t);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Layers, Golden, ::testing::ValuesIn(golden_kinds()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GoldenFiles, EveryFileIsARegisteredKind) {
  const std::vector<std::string> kinds = layer_types();
  auto is_kind = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
  for (const auto& [kind, why] : kNoGolden) EXPECT_TRUE(is_kind(kind)) << kind;
  // The files of tests/golden/: one per layer kind, and the losses, regularizers and optimizers.
  const std::set<std::string> others{"losses", "regularizers", "optim"};
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() + "/golden")) {
    if (e.path().extension() != ".json") continue;
    const std::string stem = e.path().stem().string();
    ++files;
    if (!others.count(stem)) EXPECT_TRUE(is_kind(stem)) << "tests/golden/" << stem << ".json names no layer kind";
  }
  EXPECT_EQ(files, golden_kinds().size() + others.size());
}

TEST(GoldenLoss, MatchesPyTorch) {
  const json g = load_golden("losses");
  for (const json& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Tensor logits = tensor_from(c["logits_shape"], c["logits"]);
    Tensor grad;
    const float loss = compute_loss(loss_from_string(c["loss"]), logits, c["labels"].get<std::vector<int>>(), &grad);
    EXPECT_NEAR(loss, c["loss_value"].get<double>(), 1e-5 + 1e-5 * std::fabs(c["loss_value"].get<double>()));
    expect_near_all(grad.data(), c["grad_logits"].get<std::vector<double>>(), 1e-4f, 1e-6f, "grad_logits");
  }
}

TEST(GoldenRegularizer, MatchesPyTorch) {
  const json g = load_golden("regularizers");
  for (const json& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto w = c["weights"].get<std::vector<float>>();
    Tensor wt = zeros({w.size()}), gt = zeros({w.size()});
    std::copy(w.begin(), w.end(), wt.data());
    Regularization r{c["l1"].get<float>(), c["l2"].get<float>()};
    const double pen = r.apply({{"w", &wt, &gt, ParamRole::weight, 1}}, true);
    EXPECT_NEAR(pen, c["penalty"].get<double>(), 1e-5 * (1 + std::fabs(c["penalty"].get<double>())));
    expect_near_all(gt.data(), c["grad"].get<std::vector<double>>(), 1e-5f, 1e-6f, "grad");
  }
}

}  // namespace cnn::test
