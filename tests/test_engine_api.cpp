// Engine entry points the wasm bindings forward to (wasm_build/bindings.cpp): datasets from memory,
// preprocessing chosen by a training configuration, model files in memory and their header, and
// time-sliced training with its progress.
#include "data/dataset.h"
#include "io/serialize.h"
#include "test_util.h"
#include "train/trainer.h"

namespace cnn::test {

namespace {

// Two classes of 6x6 images: a bright top or bottom half.
Dataset halves(std::size_t n) {
  std::vector<std::uint8_t> px, lb;
  Rng r(3);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 2);
    lb.push_back(static_cast<std::uint8_t>(y));
    for (int k = 0; k < 36; ++k)
      px.push_back(static_cast<std::uint8_t>(((k < 18) == (y == 0)) ? 150 + r.below(100) : r.below(80)));
  }
  return dataset_from_memory(px.data(), px.size(), lb.data(), lb.size(), static_cast<long>(n), 1, 6, 6, 2);
}

const char* kNet = R"({"input":[1,6,6],"seed":2,"layers":[{"type":"conv2d","name":"c","filters":2,"kernel":3},
  {"type":"relu"},{"type":"dropout","name":"drop","p":0.3},{"type":"dense","name":"fc","units":2}]})";

}  // namespace

TEST(EngineApi, DatasetFromMemory) {
  const std::vector<std::uint8_t> px{0, 51, 255, 7, 1, 2, 3, 4, 5, 6, 7, 8}, lb{2, 0};
  const Dataset d = dataset_from_memory(px.data(), px.size(), lb.data(), lb.size(), 2, 3, 2, 1, 3);
  EXPECT_EQ(d.n, 2u);
  EXPECT_EQ(d.sample_shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.pixels, px);
  EXPECT_EQ(d.labels, (std::vector<int>{2, 0}));
  auto make = [&](std::size_t np, std::size_t nl, long n, long c, int classes) {
    return error_of([&] { dataset_from_memory(px.data(), np, lb.data(), nl, n, c, 2, 1, classes); });
  };
  EXPECT_NE(make(11, 2, 2, 3, 3).find("11 pixel bytes, expected N*C*H*W = 2*3*2*1"), std::string::npos);
  EXPECT_NE(make(12, 1, 2, 3, 3).find("1 labels for 2 images"), std::string::npos);
  EXPECT_NE(make(12, 2, 2, 3, 2).find("label 2 of sample 0 is outside 0..1"), std::string::npos);
  EXPECT_NE(make(12, 2, 0, 3, 3).find("must be positive"), std::string::npos);
  EXPECT_NE(make(12, 2, 2, -3, 3).find("must be positive"), std::string::npos);
  EXPECT_NE(make(12, 2, 2, 3, 0).find("num_classes must be >= 1"), std::string::npos);
}

TEST(EngineApi, PreprocessFromATrainingConfiguration) {
  const Dataset d = halves(40);
  // The default is the command line's: channel mean and std fitted on the training set.
  Preprocess cli(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  cli.fit(d);
  for (const json& spec : {json(nullptr), json("standardize")})
    EXPECT_EQ(fit_preprocess(spec, d).to_json(), cli.to_json()) << spec;
  EXPECT_TRUE(fit_preprocess("none", d).is_identity());
  const Preprocess pixel = fit_preprocess({{"mean", "pixel"}, {"std", false}}, d);
  EXPECT_TRUE(pixel.fitted());
  EXPECT_EQ(pixel.pixel_mean().size(), 36u);
  EXPECT_EQ(fit_preprocess(cli.to_json(), d).to_json(), cli.to_json());  // a fitted state is kept
  EXPECT_NE(error_of([&] { fit_preprocess("zca", d); }).find("\"standardize\", \"none\" or a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of([&] { fit_preprocess({{"meen", "channel"}}, d); }).find("unknown key 'meen'"), std::string::npos);
  // A state fitted on other images.
  const std::vector<std::uint8_t> px(2 * 16, 9), lb{0, 1};
  const Dataset other = dataset_from_memory(px.data(), px.size(), lb.data(), lb.size(), 2, 1, 4, 4, 2);
  EXPECT_NE(error_of([&] {
              fit_preprocess(fit_preprocess(nullptr, other).to_json(), d);
            }).find("fitted on images of [1x4x4] but the training set has images of [1x6x6]"),
            std::string::npos);

  EXPECT_EQ(preprocess_for(cli.to_json(), {1, 6, 6}).to_json(), cli.to_json());
  EXPECT_TRUE(preprocess_for(Preprocess().to_json(), {1, 6, 6}).is_identity());
  EXPECT_NE(error_of([&] {
              preprocess_for(cli.to_json(), {1, 4, 4});
            }).find("but the model has images of [1x4x4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { preprocess_for({{"mean", "channel"}}, {1, 6, 6}); }).find("not fitted"), std::string::npos);
  EXPECT_NE(error_of([&] { preprocess_for("x", {1, 6, 6}); }).find("expected a JSON object"), std::string::npos);
}

TEST(EngineApi, ModelFilesInMemoryAndTheirHeader) {
  Model m = Model::from_string(kNet);
  const json extra{{"preprocess", Preprocess().to_json()}, {"metrics", {{"test_accuracy", 0.5}}}, {"note", "x"}};
  const std::vector<std::uint8_t> bytes = encode_model(m, extra);
  const std::string path = ::testing::TempDir() + "engine_api.cnn";
  save_model(m, path, extra);
  EXPECT_EQ(read_file_bytes(path), bytes);
  const json doc = decode_bundle(bytes.data(), bytes.size());
  EXPECT_EQ(doc["note"], "x");
  EXPECT_NE(error_of([&] { encode_model(m, json::array()); }).find("must be a JSON object"), std::string::npos);

  json info = model_file_info(bytes.data(), bytes.size(), "f.cnn");
  EXPECT_EQ(info["architecture"], m.description());
  EXPECT_EQ(info["metrics"]["test_accuracy"], 0.5);
  EXPECT_EQ(info["note"], "x");
  EXPECT_EQ(info["param_count"], m.param_count());
  EXPECT_EQ(info["has_training"], false);
  EXPECT_FALSE(info.contains("params"));
  EXPECT_FALSE(info.contains("buffers"));

  // With a training section: only its small parts.
  const Dataset d = halves(20);
  Preprocess pre;
  Trainer t(m, d, nullptr, pre, TrainConfig::from_json({{"iterations", 3}, {"batch", 4}}));
  t.run(2);
  const auto ck = encode_model(m, {{"training", t.checkpoint()}});
  info = model_file_info(ck.data(), ck.size());
  EXPECT_EQ(info["has_training"], true);
  EXPECT_EQ(info["training"]["iteration"], 2);
  EXPECT_EQ(info["training"]["config"], t.config().to_json());
  EXPECT_FALSE(info["training"].contains("optimizer_state"));

  // The header alone keeps the array references, and a file whose floats are cut off is refused.
  const json header = decode_bundle_header(bytes.data(), bytes.size());
  EXPECT_TRUE(header["params"]["fc.weight"]["data"].contains("$f32"));
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 8);
  EXPECT_NE(error_of([&] { model_file_info(cut.data(), cut.size(), "f.cnn"); }).find("f.cnn: the file is truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model_file_info(cut.data(), 3, "f.cnn"); }).find("not a model file"), std::string::npos);
}

TEST(EngineApi, TimeSlicedTrainingAndProgress) {
  const Dataset d = halves(64);
  Model m = Model::from_string(kNet);
  Preprocess pre;
  Trainer t(m, d, nullptr, pre,
            TrainConfig::from_json({{"epochs", 3}, {"batch", 8}, {"optimizer", {{"type", "sgd"}, {"lr", 0.05}}}}));
  EXPECT_EQ(t.progress().iteration, 0);
  EXPECT_EQ(t.progress().total_iterations, 24);
  EXPECT_EQ(t.progress().epochs, 3);
  EXPECT_EQ(t.progress().iterations_per_epoch, 8);
  EXPECT_FLOAT_EQ(t.progress().lr, 0.05f);
  Progress last;
  t.on_progress = [&](const Progress& p) { last = p; };
  EXPECT_TRUE(t.run_for(0, 5));  // steps only
  EXPECT_EQ(t.iteration(), 5);
  EXPECT_EQ(t.progress().to_json(), last.to_json());
  EXPECT_EQ(t.progress().to_json()["iteration"], 5);
  EXPECT_TRUE(t.run_for(1e-9));  // a time limit that has passed after one iteration
  EXPECT_EQ(t.iteration(), 6);
  EXPECT_TRUE(t.run_for(-1, 0));  // no step at all
  EXPECT_EQ(t.iteration(), 6);
  EXPECT_STREQ(Trainer::status_name(t.status()), "running");
  EXPECT_FALSE(t.run_for(60.0));  // the rest
  EXPECT_EQ(t.iteration(), 24);
  EXPECT_STREQ(Trainer::status_name(t.status()), "finished");
  EXPECT_STREQ(Trainer::status_name(Trainer::Status::early_stopped), "early_stopped");
  EXPECT_STREQ(Trainer::status_name(Trainer::Status::diverged), "diverged");

  // A restored trainer reports the checkpoint's position.
  Model m2 = Model::from_string(kNet);
  Trainer t2(m2, d, nullptr, pre, t.config());
  json ck = t.checkpoint();
  t2.restore(ck);
  EXPECT_EQ(t2.progress().iteration, 24);
  EXPECT_EQ(t2.progress().epoch, t.epoch());
  EXPECT_EQ(t2.progress().smoothed_loss, t.progress().smoothed_loss);

  EXPECT_NE(error_of([&] { evaluate(m, d, pre, 0); }).find("batch must be at least 1"), std::string::npos);
}

}  // namespace cnn::test
