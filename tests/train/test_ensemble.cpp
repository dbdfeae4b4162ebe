// Ensembles and test-time augmentation: an ensemble of one model is the model, TTA with only the
// identity view is plain evaluation, views are exact pixel shifts, and the average is of softmax
// probabilities.
#include <cmath>

#include "nn/loss.h"
#include "test_util.h"
#include "train/ensemble.h"

namespace cnn::test {

// Ten classes of 8x8 images: a bright pixel block whose position encodes the class, with noise.
static Dataset blocks(std::size_t n, std::uint32_t seed) {
  Dataset d;
  d.n = n, d.c = 1, d.h = 8, d.w = 8, d.num_classes = 10;
  Rng r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(r.below(10));
    d.labels.push_back(y);
    for (int h = 0; h < 8; ++h)
      for (int w = 0; w < 8; ++w) {
        const bool on = h / 3 == y / 3 && w / 2 == y % 3;
        d.pixels.push_back(static_cast<std::uint8_t>(on ? 180 + r.below(70) : r.below(90)));
      }
  }
  return d;
}

static const char* kNet = R"({"input":[1,8,8],"seed":%d,"layers":[
  {"type":"conv2d","name":"c1","filters":4,"kernel":3,"pad":1},{"type":"relu"},
  {"type":"maxpool2d","size":2},{"type":"dense","name":"fc","units":10}]})";

static Model net(int seed) {
  char b[512];
  std::snprintf(b, sizeof b, kNet, seed);
  return Model::from_string(b);
}

static Preprocess fitted(const Dataset& d) {
  Preprocess p(PreprocessConfig::from_json({{"mean", "channel"}, {"std", true}}));
  p.fit(d);
  return p;
}

TEST(Ensemble, OneModelWithTheIdentityViewIsPlainEvaluation) {
  const Dataset d = blocks(300, 1);
  const Preprocess pre = fitted(d);
  Model m = net(3);
  const Evaluation want = evaluate(m, d, pre, 64);
  for (const std::vector<View>& views : {tta_views(false), std::vector<View>{{0, 0}}}) {
    const EnsembleEvaluation got = evaluate_ensemble({{&m, &pre}}, d, views, 64);
    EXPECT_EQ(got.combined.predicted, want.predicted);
    EXPECT_EQ(got.combined.accuracy, want.accuracy);
    EXPECT_EQ(got.combined.confusion, want.confusion);
    EXPECT_EQ(got.combined.per_class, want.per_class);
    EXPECT_EQ(got.combined.wrong, want.wrong);
    EXPECT_NEAR(got.combined.loss, want.loss, 1e-5 * std::max(1.0, want.loss));
    ASSERT_EQ(got.member_accuracy.size(), 1u);
    EXPECT_EQ(got.member_accuracy[0], want.accuracy);
  }
  // An ensemble of one model, twice: the same average.
  const EnsembleEvaluation twice = evaluate_ensemble({{&m, &pre}, {&m, &pre}}, d, tta_views(false), 64);
  EXPECT_EQ(twice.combined.predicted, want.predicted);
}

TEST(Ensemble, AveragesSoftmaxProbabilitiesOverModelsAndViews) {
  const Dataset d = blocks(8, 2);
  const Preprocess pre = fitted(d);
  const Preprocess none;
  Model a = net(3), b = net(4);
  Tensor x;
  std::vector<int> y;
  std::vector<std::size_t> idx{0, 1, 2, 3, 4, 5, 6, 7};
  batch(d, idx, x, y);  // raw [0, 1] pixels
  const std::vector<View> views = tta_views(true);
  ASSERT_EQ(views.size(), 5u);
  std::vector<double> probs;
  std::vector<std::vector<double>> member;
  ensemble_probabilities({{&a, &pre}, {&b, &none}}, x, views, probs, &member);
  ASSERT_EQ(probs.size(), 80u);

  // By hand: shift, preprocess (a only), forward, softmax, average.
  std::vector<double> want(80, 0.0);
  for (int k = 0; k < 2; ++k) {
    Model& m = k == 0 ? a : b;
    for (const View& v : views) {
      Tensor s = zeros({8, 1, 8, 8});
      for (int n = 0; n < 8; ++n)
        for (int r = 0; r < 8; ++r)
          for (int c = 0; c < 8; ++c) {
            const int rr = r - v.dy, cc = c - v.dx;  // +dx moves the image right
            s.data()[n * 64 + r * 8 + c] =
                rr >= 0 && rr < 8 && cc >= 0 && cc < 8 ? x.data()[n * 64 + rr * 8 + cc] : 0.0f;
          }
      if (k == 0) pre.apply(s);
      const Tensor p = softmax(m.forward(s, false));
      for (std::size_t i = 0; i < 80; ++i) want[i] += p.data()[i] / 10.0;
    }
  }
  for (std::size_t i = 0; i < 80; ++i) EXPECT_NEAR(probs[i], want[i], 1e-6) << i;
  double sum = 0;
  for (std::size_t j = 0; j < 10; ++j) sum += probs[j];
  EXPECT_NEAR(sum, 1.0, 1e-9);
  for (std::size_t i = 0; i < 80; ++i) EXPECT_NEAR(probs[i], (member[0][i] + member[1][i]) / 2, 1e-12);
}

TEST(Ensemble, TtaAndEnsemblesOfTrainedModelsDoNotHurt) {
  const Dataset train = blocks(600, 3), test = blocks(300, 4);
  const Preprocess pre = fitted(train);
  std::vector<Model> models;
  for (int s = 0; s < 3; ++s) {
    models.push_back(net(10 + s));
    Trainer t(models.back(), train, nullptr, pre,
              TrainConfig::from_json({{"epochs", 3},
                                      {"batch", 32},
                                      {"optimizer", {{"type", "adam"}, {"lr", 0.01}}},
                                      {"augment", {{"translate", 1}}},
                                      {"seed", s + 1}}));
    t.run();
  }
  std::vector<EnsembleMember> members;
  double best_single = 0;
  for (auto& m : models) {
    members.push_back({&m, &pre});
    best_single = std::max(best_single, evaluate(m, test, pre).accuracy);
  }
  const EnsembleEvaluation e = evaluate_ensemble(members, test, tta_views(true));
  EXPECT_GT(best_single, 0.8);
  EXPECT_GE(e.combined.accuracy, best_single - 0.02);
  EXPECT_EQ(e.member_accuracy.size(), 3u);
}

TEST(Ensemble, RefusesMismatchedModels) {
  const Dataset d = blocks(10, 5);
  const Preprocess pre;
  Model a = net(1);
  Model other = Model::from_string(R"({"input":[1,8,8],"layers":[{"type":"dense","units":5}]})");
  Model wide = Model::from_string(R"({"input":[1,6,6],"layers":[{"type":"dense","units":10}]})");
  EXPECT_THROW(evaluate_ensemble({{&a, &pre}, {&other, &pre}}, d, tta_views(false)), Error);
  EXPECT_THROW(evaluate_ensemble({{&a, &pre}, {&wide, &pre}}, d, tta_views(false)), Error);
  EXPECT_THROW(evaluate_ensemble({{&wide, &pre}}, d, tta_views(false)), Error);
  EXPECT_THROW(evaluate_ensemble({}, d, tta_views(false)), Error);
}

}  // namespace cnn::test
