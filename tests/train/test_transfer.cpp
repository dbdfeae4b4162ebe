// Transfer learning: frozen layers keep their parameters bit for bit while the others train;
// replace_head gives a fresh head with the new number of outputs and keeps everything else.
#include <fstream>
#include <sstream>

#include "io/serialize.h"
#include "test_util.h"
#include "train/trainer.h"

namespace cnn::test {

// Three classes of 8x8 images: a bright bar in row 1, 4 or 6, with noise.
static Dataset bars3(std::size_t n, std::uint32_t seed, int classes = 3) {
  Dataset d;
  d.n = n, d.c = 1, d.h = 8, d.w = 8, d.num_classes = classes;
  Rng r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(r.below(static_cast<std::uint32_t>(classes)));
    d.labels.push_back(y);
    const int row = 1 + 2 * y;
    for (int h = 0; h < 8; ++h)
      for (int w = 0; w < 8; ++w)
        d.pixels.push_back(static_cast<std::uint8_t>(h == row ? 200 + r.below(55) : r.below(60)));
  }
  return d;
}

static const char* kNet = R"({"input":[1,8,8],"seed":4,"layers":[
  {"type":"conv2d","name":"conv1","filters":4,"kernel":3,"pad":1},{"type":"batchnorm","name":"bn"},
  {"type":"relu","name":"relu1"},{"type":"conv2d","name":"conv2","filters":4,"kernel":3,"pad":1},
  {"type":"relu","name":"relu2"},{"type":"maxpool2d","size":2},
  {"type":"dense","name":"fc1","units":8},{"type":"relu"},{"type":"dense","name":"fc","units":2}]})";

static std::vector<float> values(Model& m, const std::string& param) {
  for (auto& p : m.params())
    if (p.name == param) return {p.value->data(), p.value->data() + p.value->size()};
  ADD_FAILURE() << "no parameter " << param;
  return {};
}

TEST(Transfer, FrozenLayersStayBitIdenticalOthersChange) {
  Model m = Model::from_string(kNet);
  const Dataset d = bars3(128, 1, 2);
  Preprocess pre;
  TrainConfig cfg = TrainConfig::from_json({{"iterations", 12},
                                            {"batch", 16},
                                            {"optimizer", {{"type", "adam"}, {"lr", 0.01}}},
                                            {"l2", 1e-3},
                                            {"freeze", {"conv1", "bn", "conv2"}}});
  std::map<std::string, std::vector<float>> before;
  for (auto& p : m.params()) before[p.name] = values(m, p.name);
  Trainer t(m, d, nullptr, pre, cfg);
  t.run();
  ASSERT_EQ(t.status(), Trainer::Status::finished) << t.message();
  for (auto& p : m.params()) {
    const bool frozen = p.name.rfind("conv1.", 0) == 0 || p.name.rfind("conv2.", 0) == 0 || p.name.rfind("bn.", 0) == 0;
    if (frozen)
      EXPECT_EQ(values(m, p.name), before[p.name]) << p.name << " changed although frozen";
    else
      EXPECT_NE(values(m, p.name), before[p.name]) << p.name << " did not train";
  }
  // The optimizer never saw the frozen parameters.
  const json st = t.optimizer().state();
  EXPECT_FALSE(st["params"].contains("conv1.weight"));
  EXPECT_TRUE(st["params"].contains("fc.weight"));
}

TEST(Transfer, FreezeIsPartOfTheConfigurationAndResumes) {
  TrainConfig cfg = TrainConfig::from_json({{"iterations", 6}, {"batch", 8}, {"freeze", {"conv1"}}});
  EXPECT_EQ(cfg.freeze, (std::vector<std::string>{"conv1"}));
  EXPECT_EQ(TrainConfig::from_json(cfg.to_json()).freeze, cfg.freeze);
  EXPECT_FALSE(TrainConfig::from_json({{"batch", 8}}).to_json().contains("freeze"));  // unchanged when unused
  EXPECT_THROW(TrainConfig::from_json({{"freeze", "conv1"}}), Error);
  EXPECT_THROW(TrainConfig::from_json({{"freeze", {1}}}), Error);

  // Unknown layer names are refused when training starts.
  Model m = Model::from_string(kNet);
  const Dataset d = bars3(64, 2, 2);
  Preprocess pre;
  TrainConfig bad = cfg;
  bad.freeze = {"conv9"};
  try {
    Trainer t(m, d, nullptr, pre, bad);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no layer named 'conv9'"), std::string::npos) << e.what();
  }

  // A checkpoint of a run with frozen layers resumes bit for bit.
  Model a = Model::from_string(kNet);
  Trainer ta(a, d, nullptr, pre, cfg);
  ta.run();
  Model b = Model::from_string(kNet);
  Trainer tb(b, d, nullptr, pre, cfg);
  tb.run(3);
  const json doc = model_document(b);
  const json ck = tb.checkpoint();
  Model c = model_from_document(doc);
  Trainer tc(c, d, nullptr, pre, TrainConfig::from_json(ck["config"]));
  tc.restore(ck);
  tc.run();
  for (auto& p : a.params()) EXPECT_EQ(values(c, p.name), values(a, p.name)) << p.name;
}

TEST(Transfer, ReplaceHeadGivesAFreshHeadAndKeepsTheRest) {
  Model m = Model::from_string(kNet);
  Rng r(3);
  for (int i = 0; i < 2; ++i) m.forward(random_tensor({4, 1, 8, 8}, r), true);  // move BN statistics
  for (auto& p : m.params())  // distinguishable from a fresh model's weights
    for (std::size_t i = 0; i < p.value->size(); ++i) p.value->data()[i] += 0.25f;
  EXPECT_EQ(m.head_name(), "fc");
  Model h = m.replace_head(5);
  EXPECT_EQ(shape_size(h.output_shape()), 5u);
  EXPECT_EQ(h.node(static_cast<std::size_t>(h.find("fc"))).layer->config()["units"], 5);
  for (auto& p : m.params()) {
    if (p.name.rfind("fc.", 0) == 0) continue;
    EXPECT_EQ(values(h, p.name), values(m, p.name)) << p.name;
  }
  auto hb = h.buffers();
  auto mb = m.buffers();
  for (std::size_t i = 0; i < mb.size(); ++i)
    for (std::size_t k = 0; k < mb[i].second->size(); ++k)
      EXPECT_EQ(hb[i].second->data()[k], mb[i].second->data()[k]) << mb[i].first;
  // The head: freshly initialized (the description's init), its bias zero.
  Model fresh = Model::from_string(kNet).replace_head(5);
  EXPECT_EQ(values(h, "fc.weight"), values(fresh, "fc.weight"));
  EXPECT_EQ(values(h, "fc.weight").size(), 5u * 8u);
  for (float v : values(h, "fc.bias")) EXPECT_EQ(v, 0.0f);
  // It runs and trains on 3 classes.
  const Dataset d = bars3(96, 4, 3);
  Preprocess pre;
  Trainer t(h, d, nullptr, pre,
            TrainConfig::from_json({{"iterations", 30},
                                    {"batch", 16},
                                    {"optimizer", {{"type", "adam"}, {"lr", 0.01}}},
                                    {"freeze", {"conv1", "bn", "conv2", "fc1"}}}));
  t.run();
  EXPECT_EQ(t.status(), Trainer::Status::finished);
  EXPECT_EQ(values(h, "conv1.weight"), values(m, "conv1.weight"));
  EXPECT_GT(evaluate(h, d, pre).accuracy, 0.5);
}

TEST(Transfer, ReplaceHeadOfAModelWithoutDenseLayers) {
  std::ifstream f(data_dir() + "/../web/models/nin_small.json");
  ASSERT_TRUE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  Model m = Model::from_string(ss.str());
  EXPECT_EQ(m.head_name(), "m3_cccp1");
  Model h = m.replace_head(4);
  EXPECT_EQ(h.output_shape(), (Shape{4, 1, 1}));
  EXPECT_EQ(values(h, "m1_conv.weight"), values(m, "m1_conv.weight"));
  EXPECT_THROW(m.replace_head(0), Error);
  Model pool_only = Model::from_string(R"({"input":[1,4,4],"layers":[{"type":"global_avgpool"}]})");
  EXPECT_EQ(pool_only.head_name(), "");
  EXPECT_THROW(pool_only.replace_head(3), Error);
}

TEST(Transfer, ReplaceHeadRefreshesLayersWhoseShapeFollowsTheHead) {
  Model m = Model::from_string(R"({"input":[1,4,4],"seed":2,"layers":[
    {"type":"dense","name":"fc1","units":6},{"type":"dense","name":"fc","units":3},
    {"type":"batchnorm","name":"bn"},{"type":"prelu","name":"pr"}]})");
  Model h = m.replace_head(7);
  EXPECT_EQ(h.output_shape(), (Shape{7, 1, 1}));
  EXPECT_EQ(values(h, "bn.weight").size(), 7u);
  EXPECT_EQ(values(h, "pr.weight").size(), 7u);
  EXPECT_EQ(values(h, "fc1.weight"), values(m, "fc1.weight"));
}

}  // namespace cnn::test
