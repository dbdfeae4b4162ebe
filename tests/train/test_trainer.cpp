// Save/load, the training loop, checkpoints that resume bit for bit, divergence, early stopping.
#include <cstdio>

#include "io/serialize.h"
#include "test_util.h"
#include "train/trainer.h"

namespace cnn::test {

static const char* kNet = R"({"input":[1,8,8],"seed":4,"layers":[
  {"type":"conv2d","name":"c1","filters":4,"kernel":3,"pad":1},{"type":"batchnorm","name":"bn"},
  {"type":"relu"},{"type":"maxpool2d","size":2},{"type":"dropout","name":"drop","p":0.2},
  {"type":"dense","name":"fc","units":2}]})";

static std::vector<float> all_params(Model& m) {
  std::vector<float> v;
  for (auto& p : m.params()) v.insert(v.end(), p.value->data(), p.value->data() + p.value->size());
  for (auto& [n, t] : m.buffers()) v.insert(v.end(), t->data(), t->data() + t->size());
  return v;
}

TEST(Serialize, LoadedModelGivesBitIdenticalOutputs) {
  Model m = Model::from_string(kNet);
  Rng r(1);
  for (int i = 0; i < 3; ++i) m.forward(random_tensor({8, 1, 8, 8}, r), true);  // move BN statistics
  const Tensor x = random_tensor({5, 1, 8, 8}, r);
  const Tensor want = m.forward(x, false);
  const std::string path = ::testing::TempDir() + "model.cnn";
  save_model(m, path, {{"metrics", {{"note", "test"}}}});
  Model l = load_model(path);
  const Tensor& got = l.forward(x, false);
  ASSERT_EQ(shape_of(got), shape_of(want));
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got.data()[i], want.data()[i]);
  EXPECT_EQ(all_params(l), all_params(m));
}

TEST(Serialize, RefusesBadFiles) {
  Model m = Model::from_string(kNet);
  auto bytes = encode_bundle(model_document(m));
  auto msg = [](const std::vector<std::uint8_t>& b) {
    try {
      model_from_document(decode_bundle(b.data(), b.size(), "f.cnn"), "f.cnn");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + bytes.size() - 6)).find("truncated"),
            std::string::npos);
  EXPECT_NE(msg(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 30)).find("truncated"), std::string::npos);
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(msg(bad).find("not a model file"), std::string::npos);
  bad = bytes;
  bad[16] = ']';  // break the JSON header
  EXPECT_NE(msg(bad).find("not valid JSON"), std::string::npos);
  // A document whose weights do not fit the architecture.
  json doc = model_document(m);
  doc["architecture"]["layers"][5]["units"] = 3;
  auto mism = encode_bundle(doc);
  EXPECT_NE(msg(mism).find("fc.weight"), std::string::npos);
  doc = model_document(m);
  doc["params"].erase("c1.bias");
  auto missing = encode_bundle(doc);
  EXPECT_NE(msg(missing).find("'c1.bias' is missing"), std::string::npos);
}

TEST(Trainer, LearnsAndEvaluates) {
  const Dataset train = bars(512, 1), val = bars(128, 2);
  Model m = Model::from_string(kNet);
  TrainConfig cfg =
      TrainConfig::from_json({{"epochs", 3}, {"batch", 16}, {"optimizer", {{"type", "adam"}, {"lr", 0.01}}}});
  Preprocess pre;
  Trainer t(m, train, &val, pre, cfg);
  std::vector<float> losses;
  t.on_progress = [&](const Progress& p) { losses.push_back(p.loss); };
  int epochs = 0;
  t.on_epoch = [&](const EpochRecord&) { ++epochs; };
  EXPECT_FALSE(t.run());
  EXPECT_EQ(t.status(), Trainer::Status::finished);
  EXPECT_EQ(epochs, 3);
  EXPECT_EQ(losses.size(), 3u * 32u);  // iterations_per_epoch = 512 / 16
  EXPECT_LT(losses.back(), losses.front() * 0.5f);
  const Evaluation e = evaluate(m, val, pre);
  EXPECT_GT(e.accuracy, 0.95);
  EXPECT_NEAR(t.history().back().val_accuracy, e.accuracy, 1e-9);
  long total = 0;
  for (auto& row : e.confusion)
    for (int v : row) total += v;
  EXPECT_EQ(total, 128);
}

// A run interrupted by a checkpoint and resumed in a fresh process continues exactly as if it had
// not stopped: dropout masks, augmentation, shuffling, Adam's moments, the schedule.
TEST(Trainer, CheckpointResumesBitForBit) {
  const Dataset train = bars(100, 3);
  const json cfgj = {{"iterations", 23},
                     {"batch", 8},
                     {"optimizer", {{"type", "adam"}, {"lr", 0.005}}},
                     {"schedule", {{"type", "cosine"}, {"warmup", 3}, {"total", 23}}},
                     {"augment", {{"translate", 1}, {"brightness", 0.1}}},
                     {"l2", 1e-3}};
  Preprocess pre;
  Model a = Model::from_string(kNet);
  Trainer ta(a, train, nullptr, pre, TrainConfig::from_json(cfgj));
  ta.run();
  ASSERT_EQ(ta.status(), Trainer::Status::finished);

  Model b = Model::from_string(kNet);
  std::vector<std::uint8_t> saved;
  {
    Trainer tb(b, train, nullptr, pre, TrainConfig::from_json(cfgj));
    tb.run(16);  // stops mid-epoch (12 iterations per epoch)
    json doc = model_document(b);
    doc["training"] = tb.checkpoint();
    saved = encode_bundle(doc);
  }
  const json doc = decode_bundle(saved.data(), saved.size());
  Model c = model_from_document(doc);
  Trainer tc(c, train, nullptr, pre, TrainConfig::from_json(doc["training"]["config"]));
  tc.restore(doc["training"]);
  EXPECT_EQ(tc.iteration(), 16);
  tc.run();
  EXPECT_EQ(tc.status(), Trainer::Status::finished);
  EXPECT_EQ(all_params(c), all_params(a));
}

TEST(Trainer, DivergenceStopsAndKeepsLastGoodWeights) {
  Dataset train = bars(64, 4);
  Rng r(9);
  for (int& y : train.labels) y = static_cast<int>(r.below(2));  // unlearnable: the gradient never vanishes
  Model m = Model::from_string(R"({"input":[1,8,8],"layers":[{"type":"dense","units":2}]})");
  Preprocess pre;
  TrainConfig cfg = TrainConfig::from_json(
      {{"iterations", 50}, {"batch", 8}, {"optimizer", {{"type", "sgd"}, {"lr", 1e38}, {"momentum", 0.9}}}});
  Trainer t(m, train, nullptr, pre, cfg);
  std::vector<float> before;
  t.on_progress = [&](const Progress&) { before = all_params(m); };
  t.run();
  EXPECT_EQ(t.status(), Trainer::Status::diverged);
  EXPECT_NE(t.message().find("smaller learning rate"), std::string::npos) << t.message();
  for (float v : all_params(m)) ASSERT_TRUE(std::isfinite(v));
  if (!before.empty()) EXPECT_EQ(all_params(m), before);
}

TEST(Trainer, AFiniteButExplodingLossCountsAsDiverged) {
  Dataset train = bars(64, 4);
  Rng r(9);
  for (int& y : train.labels) y = static_cast<int>(r.below(2));
  Model m = Model::from_string(R"({"input":[1,8,8],"layers":[{"type":"dense","units":2}]})");
  Preprocess pre;
  // lr 1e6 without momentum: the logits reach about 1e6, far from overflow, but the loss explodes.
  TrainConfig cfg =
      TrainConfig::from_json({{"iterations", 50}, {"batch", 8}, {"optimizer", {{"type", "sgd"}, {"lr", 1e6}}}});
  Trainer t(m, train, nullptr, pre, cfg);
  t.run();
  EXPECT_EQ(t.status(), Trainer::Status::diverged);
  EXPECT_NE(t.message().find("exploded to"), std::string::npos) << t.message();
  EXPECT_LT(t.iteration(), 50);
  for (float v : all_params(m)) ASSERT_TRUE(std::isfinite(v));
}

TEST(Trainer, EarlyStoppingRestoresBestWeights) {
  const Dataset train = bars(64, 5), val = bars(64, 6);
  Model m = Model::from_string(R"({"input":[1,8,8],"layers":[{"type":"dense","units":2}]})");
  Preprocess pre;
  // lr 0: validation accuracy never improves after the first epoch.
  TrainConfig cfg = TrainConfig::from_json(
      {{"epochs", 10}, {"batch", 8}, {"patience", 2}, {"optimizer", {{"type", "sgd"}, {"lr", 1e-12}}}});
  Trainer t(m, train, &val, pre, cfg);
  t.run();
  EXPECT_EQ(t.status(), Trainer::Status::early_stopped);
  EXPECT_EQ(t.history().size(), 3u);
}

TEST(Trainer, RefusesDataThatDoesNotFit) {
  const Dataset train = bars(16, 7);
  Preprocess pre;
  Model wrong_input = Model::from_string(R"({"input":[1,28,28],"layers":[{"type":"dense","units":2}]})");
  EXPECT_THROW(Trainer(wrong_input, train, nullptr, pre, TrainConfig()), Error);
  Model one_class = Model::from_string(R"({"input":[1,8,8],"layers":[{"type":"dense","units":1}]})");
  try {
    Trainer(one_class, train, nullptr, pre, TrainConfig());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 classes"), std::string::npos);
  }
}

// The presets have one owner, the engine: the page, the widget and the command line send names.
TEST(Trainer, ResolvesSchedulePresetsFromTheRunAndAugmentationPresetsByName) {
  const Dataset train = bars(100, 3);  // 12 iterations an epoch with batch 8
  Preprocess pre;
  Model m = Model::from_string(kNet);
  Trainer t(m, train, nullptr, pre,
            TrainConfig::from_json({{"epochs", 5}, {"batch", 8}, {"schedule", "cosine"}, {"augment", "digits"}}));
  EXPECT_EQ(t.config().schedule, json({{"type", "cosine"}, {"total", 60}, {"warmup", 6}}));
  EXPECT_EQ(t.config().augment.to_json(),
            AugmentConfig::from_json({{"translate", 2}, {"rotate", 10}, {"scale", 0.1}}).to_json());
  Model m2 = Model::from_string(kNet);
  Trainer t2(m2, train, nullptr, pre,
             TrainConfig::from_json({{"epochs", 5}, {"batch", 8}, {"schedule", {{"type", "cosine"}, {"warmup", 0}}}}));
  EXPECT_EQ(t2.config().schedule, json({{"type", "cosine"}, {"warmup", 0}, {"total", 60}}));  // given sizes kept
  Model m3 = Model::from_string(kNet);
  Trainer t3(m3, train, nullptr, pre, TrainConfig::from_json({{"epochs", 5}, {"batch", 8}, {"schedule", "step"}}));
  EXPECT_EQ(t3.config().schedule, json({{"type", "step"}, {"step_size", 20}}));
  try {
    AugmentConfig::from_json("wild");
    ADD_FAILURE() << "an unknown preset was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: none, digits, strong"), std::string::npos) << e.what();
  }
}

}  // namespace cnn::test
