// Models as graphs: building from JSON, shape errors, whole-model gradient check through residual
// and concat branches, each layer's output gradient (Model::gradient), losses, batch-norm folding,
// seeded initialization.
#include "nn/loss.h"
#include "test_util.h"

namespace cnn::test {

// The first standard normals of Rng(42), printed by the native build.
constexpr float kSeed42Normals[4] = {0.922699571f, -0.295231521f, -1.32086897f, -0.94276005f};

static const char* kResNetInception = R"({
  "name": "tiny-graph", "input": [2, 6, 6], "seed": 5,
  "layers": [
    {"type": "conv2d", "name": "stem", "filters": 4, "kernel": 3, "pad": 1},
    {"type": "batchnorm", "name": "bn1"},
    {"type": "tanh", "name": "act1"},
    {"type": "conv2d", "name": "branch", "filters": 4, "kernel": 3, "pad": 1},
    {"type": "add", "name": "res", "inputs": ["act1", "branch"]},
    {"type": "conv2d", "name": "a", "filters": 2, "kernel": 1, "inputs": ["res"]},
    {"type": "conv2d", "name": "b", "filters": 3, "kernel": 3, "pad": 1, "inputs": ["res"]},
    {"type": "concat", "name": "cat", "inputs": ["a", "b", "res"]},
    {"type": "avgpool2d", "size": 2},
    {"type": "dense", "units": 3}
  ]})";

TEST(Model, BuildsGraphAndInfersShapes) {
  Model m = Model::from_string(kResNetInception);
  EXPECT_EQ(m.output_shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(m.node(m.find("cat")).shape, (Shape{9, 6, 6}));
  EXPECT_EQ(m.node(m.find("avgpool2d_9")).shape, (Shape{9, 3, 3}));
  const std::string s = m.summary();
  EXPECT_NE(s.find("Total params"), std::string::npos);
  // The description round-trips to the same architecture.
  Model again(m.description());
  EXPECT_EQ(again.param_count(), m.param_count());
  EXPECT_EQ(again.macs(), m.macs());
}

TEST(Model, ClearErrors) {
  auto msg = [](const std::string& text) {
    try {
      Model::from_string(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(msg(R"({"input":[1,28],"layers":[{"type":"relu"}]})").find("[C, H, W]"), std::string::npos);
  EXPECT_NE(msg(R"({"input":[1,7,7],"layers":[{"type":"conv2d","name":"c1","filters":2,"kernel":9}]})")
                .find("conv2d layer 'c1'"),
            std::string::npos);
  EXPECT_NE(msg(R"({"input":[1,8,8],"layers":[{"type":"add","inputs":["nope","input"]}]})").find("not an earlier"),
            std::string::npos);
  EXPECT_NE(
      msg(R"({"input":[1,8,8],"layers":[{"type":"relu","name":"x"},{"type":"relu","name":"x"}]})").find("two layers"),
      std::string::npos);
  Model m = Model::from_string(R"({"input":[1,4,4],"layers":[{"type":"dense","units":2}]})");
  Tensor wrong = zeros({2, 1, 5, 4});
  EXPECT_THROW(m.forward(wrong, false), Error);
}

// Whole-model gradient check: L = loss(model(x)) + regularization, w.r.t. every parameter.
TEST(Model, GradientCheckThroughGraph) {
  Model m = Model::from_string(kResNetInception);
  Rng rng(9);
  const Tensor x = random_tensor({3, 2, 6, 6}, rng);
  const std::vector<int> labels{0, 2, 1};
  const Regularization reg{0.0f, 0.05f};
  auto loss = [&](Tensor* g) {
    const Tensor& y = m.forward(x, true);
    double l = compute_loss(LossKind::softmax_cross_entropy, y, labels, g);
    return l + reg.apply(m.params(), false);
  };
  m.zero_grad();
  Tensor g;
  loss(&g);
  m.backward(g);
  reg.apply(m.params(), true);
  const float h = 1e-2f;
  int bad = 0;
  for (auto& p : m.params()) {
    for (std::size_t i = 0; i < p.value->size(); i += 3) {
      const float keep = p.value->data()[i];
      p.value->data()[i] = keep + h;
      const double fp = loss(nullptr);
      p.value->data()[i] = keep - h;
      const double fm = loss(nullptr);
      p.value->data()[i] = keep;
      const double num = (fp - fm) / (2 * h), an = p.grad->data()[i];
      if (std::fabs(num - an) > 2e-3 + 3e-2 * std::fabs(num) && bad++ < 5)
        ADD_FAILURE() << p.name << "[" << i << "] analytic " << an << " numeric " << num;
    }
  }
}

// Model::gradient(name) is dL/d(that layer's output) of the last backward: the output's is the loss
// gradient given to backward, and each earlier layer's is the central difference of the loss w.r.t.
// that layer's output, computed by running the rest of the chain as its own model (same weights).
TEST(Model, GradientOfEachLayerOutput) {
  const json desc = json::parse(R"({"input": [1, 3, 3], "seed": 8, "layers": [
      {"type": "dense", "name": "fc1", "units": 6},
      {"type": "tanh", "name": "t"},
      {"type": "dense", "name": "fc2", "units": 4}]})");
  Model m(desc);
  Rng rng(12);
  const Tensor x = random_tensor({3, 1, 3, 3}, rng);
  const std::vector<int> labels{0, 3, 2};
  const auto expect_error = [&](const std::string& name, const std::string& mentions) {
    const std::string e = error_of([&] { m.gradient(name); });
    EXPECT_NE(e.find(mentions), std::string::npos) << name << ": " << e;
  };
  expect_error("fc2", "no gradient yet");
  m.forward(x, true);
  expect_error("t", "no gradient yet");  // a forward is not a backward
  Tensor g;
  compute_loss(LossKind::softmax_cross_entropy, m.forward(x, true), labels, &g);
  m.zero_grad();
  m.backward(g);
  expect_error("nope", "no layer named 'nope'");
  expect_error("input", "model input");
  const Tensor& last = m.gradient("fc2");
  ASSERT_EQ(shape_of(last), shape_of(g));
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(last.data()[i], g.data()[i]) << i;

  // The chain after `from` as a model of its own, with the trained model's weights.
  const auto tail = [&](const std::string& from) {
    json d = desc;
    const int k = m.find(from);
    d["input"] = m.node(k).shape;
    d["layers"] = json(std::vector<json>(desc["layers"].begin() + k, desc["layers"].end()));
    Model t(d);
    for (const Param& p : t.params())
      for (const Param& q : m.params())
        if (p.name == q.name) *p.value = *q.value;
    return t;
  };
  for (const std::string name : {"fc1", "t"}) {
    SCOPED_TRACE(name);
    const Tensor dy = m.gradient(name);
    Tensor h = m.activation(name);
    ASSERT_EQ(shape_of(dy), shape_of(h));
    Model t = tail(name);
    const float step = 1e-2f;
    for (std::size_t i = 0; i < h.size(); ++i) {
      const float keep = h.data()[i];
      h.data()[i] = keep + step;
      const double fp = compute_loss(LossKind::softmax_cross_entropy, t.forward(h, true), labels, nullptr);
      h.data()[i] = keep - step;
      const double fm = compute_loss(LossKind::softmax_cross_entropy, t.forward(h, true), labels, nullptr);
      h.data()[i] = keep;
      EXPECT_NEAR(dy.data()[i], (fp - fm) / (2 * step), 2e-4) << i;
    }
  }
  // The tanh layer's output gradient, by hand: fc2's weights transposed times the output gradient.
  const Tensor& w2 = *m.params()[2].value;  // fc2.weight {4, 6}
  ASSERT_EQ(m.params()[2].name, "fc2.weight");
  const Tensor& dt = m.gradient("t");
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t j = 0; j < 6; ++j) {
      double want = 0;
      for (std::size_t o = 0; o < 4; ++o) want += w2.data()[o * 6 + j] * g.data()[n * 4 + o];
      EXPECT_NEAR(dt.data()[n * 6 + j], want, 1e-6) << n << "," << j;
    }
  // A later forward (another batch) leaves the last backward's gradients.
  m.forward(random_tensor({5, 1, 3, 3}, rng), false);
  EXPECT_EQ(m.gradient("fc2").shape()[0], 3u);
  EXPECT_EQ(m.gradient("fc2").data()[1], g.data()[1]);
}

TEST(Model, NoGradientForALayerThatDoesNotLeadToTheOutput) {
  Model m = Model::from_string(R"({"input": [1, 2, 2], "layers": [
      {"type": "dense", "name": "side", "units": 2, "inputs": ["input"]},
      {"type": "dense", "name": "out", "units": 2, "inputs": ["input"]}]})");
  Tensor x = zeros({1, 1, 2, 2});
  Tensor g;
  compute_loss(LossKind::softmax_cross_entropy, m.forward(x, true), {1}, &g);
  m.backward(g);
  EXPECT_EQ(m.gradient("out").size(), 2u);
  EXPECT_NE(error_of([&] { m.gradient("side"); }).find("does not lead to the output"), std::string::npos);
}

TEST(Loss, GradientCheckBothLosses) {
  Rng rng(4);
  for (LossKind k : {LossKind::softmax_cross_entropy, LossKind::hinge}) {
    Tensor s = random_tensor({4, 5, 1, 1}, rng);
    for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] *= 3.0f;
    const std::vector<int> y{0, 3, 4, 1};
    Tensor g;
    compute_loss(k, s, y, &g);
    for (std::size_t i = 0; i < s.size(); ++i) {
      const float keep = s.data()[i], h = 1e-3f;
      s.data()[i] = keep + h;
      const double fp = compute_loss(k, s, y, nullptr);
      s.data()[i] = keep - h;
      const double fm = compute_loss(k, s, y, nullptr);
      s.data()[i] = keep;
      EXPECT_NEAR(g.data()[i], (fp - fm) / (2 * h), 2e-3) << loss_name(k) << " " << i;
    }
  }
  Tensor s = zeros({1, 3, 1, 1});
  EXPECT_THROW(compute_loss(LossKind::hinge, s, {3}, nullptr), Error);
}

TEST(Model, BatchNormFoldingKeepsInferenceOutputs) {
  Model m = Model::from_string(R"({
    "input": [3, 9, 9], "seed": 3,
    "layers": [
      {"type": "conv2d", "name": "c1", "filters": 4, "kernel": 3, "pad": 1, "bias": false},
      {"type": "batchnorm", "name": "bn1"},
      {"type": "relu"},
      {"type": "depthwise_conv2d", "name": "dw", "kernel": 3, "stride": 2, "pad": 1},
      {"type": "batchnorm", "name": "bn2"},
      {"type": "relu", "name": "r2"},
      {"type": "conv2d", "name": "skip", "filters": 4, "kernel": 1, "inputs": ["r2"]},
      {"type": "add", "inputs": ["r2", "skip"]},
      {"type": "dense", "units": 5},
      {"type": "batchnorm", "name": "bn3"}
    ]})");
  Rng rng(2);
  // Train-mode passes move the running statistics away from 0/1; random gamma/beta.
  for (int i = 0; i < 5; ++i) m.forward(random_tensor({8, 3, 9, 9}, rng), true);
  for (auto& p : m.params())
    if (p.name.find("bn") == 0)
      for (std::size_t i = 0; i < p.value->size(); ++i) p.value->data()[i] += 0.3f * rng.uniform(-1.0f, 1.0f);
  const Tensor x = random_tensor({4, 3, 9, 9}, rng);
  const Tensor want = m.forward(x, false);
  Model f = m.fold_batchnorm();
  EXPECT_EQ(f.find("bn1"), -1);
  EXPECT_EQ(f.find("bn2"), -1);
  EXPECT_EQ(f.find("bn3"), -1);
  const Tensor& got = f.forward(x, false);
  ASSERT_EQ(shape_of(got), shape_of(want));
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got.data()[i], want.data()[i], 1e-4f) << i;
}

TEST(Init, SchemesAndFanIn) {
  auto stddev = [](const char* init) {
    Model m(json::parse(std::string(R"({"input":[16,12,12],"init":)") + init +
                        R"(,"layers":[{"type":"conv2d","name":"c","filters":64,"kernel":3}]})"));
    auto p = m.params()[0];
    double s = 0;
    for (std::size_t i = 0; i < p.value->size(); ++i) s += p.value->data()[i] * p.value->data()[i];
    EXPECT_EQ(m.params()[1].value->data()[0], 0.0f);  // bias
    return std::sqrt(s / p.value->size());
  };
  const double fan_in = 3 * 3 * 16;
  EXPECT_NEAR(stddev(R"({"scheme":"normal","std":0.01})"), 0.01, 0.0005);
  EXPECT_NEAR(stddev(R"("xavier")"), 1.0 / std::sqrt(fan_in), 0.002);
  EXPECT_NEAR(stddev(R"("kaiming")"), std::sqrt(2.0 / fan_in), 0.003);
}

TEST(Init, UnknownKeysAreRefused) {
  // {"type": "normal"} used to mean Kaiming silently (the key is "scheme")
  auto build = [](const char* init) {
    Model::from_string(std::string(R"({"input":[1,4,4],"init":)") + init +
                       R"(,"layers":[{"type":"dense","units":3}]})");
  };
  try {
    build(R"({"type":"normal","std":0.01})");
    FAIL() << "an unknown init key was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("init: unknown key 'type' (known: scheme, std)"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(build(R"({"scheme":"normal","std":0.01})"));
  EXPECT_NO_THROW(build(R"({"std":0.02})"));
}

TEST(Init, SameSeedSameWeightsOnEveryBuild) {
  // These numbers were printed by the native build; the wasm build must reproduce them exactly.
  Rng r(42);
  EXPECT_EQ(r.next_u32(), 1608637542u);  // std::mt19937 is specified bit for bit
  Rng n(42);
  const float want[4] = {n.normal(), n.normal(), n.normal(), n.normal()};
  Model m = Model::from_string(R"({"input":[1,4,4],"seed":42,"init":"kaiming","layers":[{"type":"dense","units":3}]})");
  Model m2 =
      Model::from_string(R"({"input":[1,4,4],"seed":42,"init":"kaiming","layers":[{"type":"dense","units":3}]})");
  const float* w = m.params()[0].value->data();
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(w[i], std::sqrt(2.0f / 16) * want[i]);
  for (int i = 0; i < 48; ++i) EXPECT_EQ(w[i], m2.params()[0].value->data()[i]);
  EXPECT_NEAR(want[0], kSeed42Normals[0], 1e-6f);
  EXPECT_NEAR(want[1], kSeed42Normals[1], 1e-6f);
  EXPECT_NEAR(want[2], kSeed42Normals[2], 1e-6f);
  EXPECT_NEAR(want[3], kSeed42Normals[3], 1e-6f);
}

}  // namespace cnn::test
