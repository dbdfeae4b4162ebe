// The model file module (io/model_file.h): sections written and read back, the bytes the front ends
// wrote before it existed, bad files refused, the training-configuration comparison, and a
// checkpoint read against the run it continues.
#include "io/model_file.h"
#include "io/serialize.h"
#include "test_util.h"

namespace cnn::test {

// Dropout and batch norm: a checkpoint must carry RNG states and buffers.
static const char* kNet = R"({"input":[1,8,8],"seed":3,"layers":[
  {"type":"conv2d","name":"c1","filters":3,"kernel":3},{"type":"batchnorm","name":"bn"},{"type":"relu"},
  {"type":"dropout","name":"drop","p":0.3},{"type":"dense","name":"fc","units":2}]})";

static const json kConfig = {{"iterations", 20},
                             {"batch", 8},
                             {"optimizer", {{"type", "adam"}, {"lr", 0.005}}},
                             {"augment", {{"translate", 1}}}};

TEST(ModelFile, SectionsRoundTrip) {
  const Dataset train = bars(40, 3);
  ModelFile f(Model::from_string(kNet));
  Preprocess pre(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  pre.fit(train);
  f.preprocess = pre;
  f.metrics = {{"history", json::array()}, {"test_accuracy", 0.5}};
  const auto bytes = f.encode({{"note", "hello"}});
  ModelFile g = ModelFile::decode(bytes.data(), bytes.size());
  EXPECT_EQ(model_document(g.model), model_document(f.model));
  ASSERT_TRUE(g.preprocess.has_value());
  EXPECT_EQ(g.preprocess->to_json(), pre.to_json());
  EXPECT_EQ(g.metrics, f.metrics);
  EXPECT_FALSE(g.is_checkpoint());
  EXPECT_TRUE(g.train_config.is_null());
  // Written again, the same bytes (the "note" section is not kept: only the known sections are).
  EXPECT_EQ(g.encode({{"note", "hello"}}), bytes);
}

// The bytes are those the command line and the bindings assembled by hand before (model_document plus
// the sections), so files written before and after this module are the same.
TEST(ModelFile, BytesAreThoseOfTheDocument) {
  const Dataset train = bars(40, 3);
  ModelFile f(Model::from_string(kNet));
  Preprocess pre;  // the identity, still written when set (the command line writes what it trained with)
  f.preprocess = pre;
  Trainer t(f.model, train, nullptr, f.preprocessing(), TrainConfig::from_json(kConfig));
  t.run(7);
  json doc = model_document(f.model);
  doc["preprocess"] = pre.to_json();
  doc["metrics"] = training_metrics(t);
  doc["training"] = t.checkpoint();
  EXPECT_EQ(f.encode_checkpoint(t), encode_bundle(doc));
  doc["train_config"] = {{"preprocess", "none"}};
  EXPECT_EQ(f.encode_checkpoint(t, {{"preprocess", "none"}}), encode_bundle(doc));
  EXPECT_TRUE(f.training.is_null());  // encode_checkpoint leaves the file as it was
  json plain = model_document(f.model);
  plain["preprocess"] = pre.to_json();
  EXPECT_EQ(f.encode(), encode_bundle(plain));
  f.preprocess.reset();
  EXPECT_EQ(f.encode(), encode_model(f.model));
}

TEST(ModelFile, RefusesBadFiles) {
  ModelFile f(Model::from_string(kNet));
  auto bytes = f.encode();
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 10);
  EXPECT_NE(error_of([&] { ModelFile::decode(cut.data(), cut.size(), "m.cnn"); }).find("m.cnn: the file is truncated"),
            std::string::npos);
  const std::vector<std::uint8_t> text{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!'};
  EXPECT_NE(error_of([&] { ModelFile::decode(text.data(), text.size(), "x"); }).find("not a model file"),
            std::string::npos);
  // A preprocessing fitted on images of another shape.
  Preprocess other(PreprocessConfig::from_json({{"mean", "pixel"}}));
  Dataset wide = bars(10, 1);
  wide.w = 4, wide.h = 16;
  other.fit(wide);
  f.preprocess = other;
  bytes = f.encode();
  EXPECT_NE(error_of([&] { ModelFile::decode(bytes.data(), bytes.size()); }).find("fitted on images of"),
            std::string::npos);
  // "preprocess": null is none.
  f.preprocess.reset();
  bytes = f.encode({{"preprocess", nullptr}});
  EXPECT_FALSE(ModelFile::decode(bytes.data(), bytes.size()).preprocess.has_value());
  EXPECT_NE(error_of([&] { f.encode(json::array()); }).find("must be a JSON object"), std::string::npos);
}

TEST(ModelFile, ConfigDifferenceNamesTheKeys) {
  const TrainConfig a = TrainConfig::from_json(kConfig);
  EXPECT_EQ(config_difference(a, TrainConfig::from_json(kConfig)), "");
  json other = kConfig;
  other["batch"] = 16;
  other["iterations"] = 30;
  EXPECT_EQ(config_difference(a, TrainConfig::from_json(other)), "batch, iterations");
  other = kConfig;
  other["freeze"] = {"c1"};  // written only when set: a key only one side has
  EXPECT_EQ(config_difference(a, TrainConfig::from_json(other)), "freeze");
  EXPECT_EQ(config_difference(TrainConfig::from_json(other), a), "freeze");
}

TEST(ModelFile, CheckpointResumesBitForBit) {
  const Dataset train = bars(100, 3);
  Preprocess pre;
  Model a = Model::from_string(kNet);
  Trainer ta(a, train, nullptr, pre, TrainConfig::from_json(kConfig));
  ta.run();

  ModelFile b(Model::from_string(kNet));
  Trainer tb(b.model, train, nullptr, b.preprocessing(), TrainConfig::from_json(kConfig));
  tb.run(9);
  const auto bytes = b.encode_checkpoint(tb, kConfig);
  EXPECT_TRUE(ModelFile::decode(bytes.data(), bytes.size()).is_checkpoint());

  Model c = Model::from_string(kNet);
  Checkpoint k = read_checkpoint(bytes.data(), bytes.size(), c);
  EXPECT_EQ(config_difference(k.config, TrainConfig::from_json(kConfig)), "");
  EXPECT_FALSE(k.preprocess.has_value());
  Trainer tc(c, train, nullptr, pre, k.config);
  tc.restore(k.training);
  c.copy_state_from(k.weights);
  EXPECT_EQ(tc.iteration(), 9);
  tc.run();
  EXPECT_EQ(model_document(c), model_document(a));
}

TEST(ModelFile, ReadCheckpointRefusesWhatDoesNotFit) {
  ModelFile saved(Model::from_string(kNet));
  auto bytes = saved.encode();
  Model m = Model::from_string(kNet);
  EXPECT_NE(error_of([&] {
              read_checkpoint(bytes.data(), bytes.size(), m);
            }).find("checkpoint: the file has no \"training\" section (a saved model, not a checkpoint)"),
            std::string::npos);
  const Dataset train = bars(40, 3);
  Trainer t(saved.model, train, nullptr, saved.preprocessing(), TrainConfig::from_json(kConfig));
  bytes = saved.encode_checkpoint(t);
  Model wider = Model::from_string(R"({"input":[1,8,8],"seed":4,"layers":[
    {"type":"conv2d","name":"c1","filters":8,"kernel":3,"pad":1},{"type":"dense","name":"fc","units":2}]})");
  EXPECT_NE(error_of([&] { read_checkpoint(bytes.data(), bytes.size(), wider); }).find("parameter 'c1."),
            std::string::npos);
}

}  // namespace cnn::test
