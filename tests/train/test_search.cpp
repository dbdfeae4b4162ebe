// Hyperparameter search: seeded log-uniform sampling within range, the grid as the full product,
// refinement narrowing around the best trials, the mapping of names to the configuration, and a
// tiny end-to-end search with its results table.
#include <algorithm>
#include <cmath>
#include <set>

#include "test_util.h"
#include "train/search.h"

namespace cnn::test {

static SearchSpace space(const char* text) { return SearchSpace::from_json(json::parse(text)); }

TEST(Search, LogUniformSamplingStaysInRangeAndIsSeeded) {
  const SearchSpace s = space(R"({"lr": {"log": [1e-4, 1e-1]}, "momentum": {"uniform": [0.5, 0.9]},
                                  "units": {"int": [2, 5]}, "optimizer": ["adam", "sgd"], "batch": 32})");
  Rng r1(7), r2(7), r3(8);
  const auto a = sample_random(s, 2000, r1);
  const auto b = sample_random(s, 2000, r2);
  const auto c = sample_random(s, 2000, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  int below_geo_mean = 0, decades[3] = {0, 0, 0};
  std::set<long long> units;
  std::set<std::string> opts;
  for (const json& p : a) {
    const double lr = p["lr"];
    ASSERT_GE(lr, 1e-4);
    ASSERT_LE(lr, 1e-1);
    below_geo_mean += lr < std::sqrt(1e-4 * 1e-1);
    decades[std::min(2, static_cast<int>(std::floor(std::log10(lr) + 4)))]++;
    const double m = p["momentum"];
    ASSERT_GE(m, 0.5);
    ASSERT_LE(m, 0.9);
    ASSERT_TRUE(p["units"].is_number_integer());
    units.insert(p["units"].get<long long>());
    opts.insert(p["optimizer"].get<std::string>());
    EXPECT_EQ(p["batch"], 32);
  }
  // Log-uniform: half below the geometric mean, each decade about a third.
  EXPECT_NEAR(below_geo_mean / 2000.0, 0.5, 0.05);
  for (int d : decades) EXPECT_NEAR(d / 2000.0, 1.0 / 3, 0.05);
  EXPECT_EQ(units, (std::set<long long>{2, 3, 4, 5}));
  EXPECT_EQ(opts, (std::set<std::string>{"adam", "sgd"}));
}

TEST(Search, GridEnumeratesTheProduct) {
  const SearchSpace s = space(R"({"lr": {"log": [1e-3, 1e-1]}, "optimizer": ["adam", "sgd"], "batch": [32, 64],
                                  "units": {"int": [1, 2]}, "seed": 3})");
  const auto g = grid_points(s, 3);
  // Names sorted: batch (2) x lr (3) x optimizer (2) x seed (1) x units (2, deduplicated from 3 steps).
  ASSERT_EQ(g.size(), 24u);
  EXPECT_EQ(grid_size(s, 3), 24u);
  std::set<std::string> distinct;
  for (const json& p : g) distinct.insert(p.dump());
  EXPECT_EQ(distinct.size(), 24u);
  EXPECT_EQ(g[0], json::parse(R"({"batch":32,"lr":0.001,"optimizer":"adam","seed":3,"units":1})"));
  EXPECT_EQ(g[1]["units"], 2);  // the last name varies fastest
  EXPECT_EQ(g[2]["optimizer"], "sgd");
  EXPECT_NEAR(g[4]["lr"].get<double>(), 1e-2, 1e-12);  // geometric steps
  EXPECT_EQ(g[8]["lr"].get<double>(), 1e-1);           // exact ends
  EXPECT_EQ(g[12]["batch"], 64);                       // the first name varies slowest
  EXPECT_EQ(grid_points(s, 1).size(), 4u);
  EXPECT_NEAR(grid_points(s, 1)[0]["lr"].get<double>(), 1e-2, 1e-12);  // one step: the middle
}

TEST(Search, RefineNarrowsAroundTheBest) {
  const SearchSpace s = space(R"({"lr": {"log": [1e-4, 1e-0]}, "l2": {"uniform": [0, 1]},
                                  "units": {"int": [8, 64]}, "optimizer": ["adam", "sgd", "rmsprop"]})");
  auto trial = [](int i, double acc, double lr, double l2, int units, const char* opt) {
    Trial t;
    t.index = i;
    t.val_accuracy = acc;
    t.params = {{"lr", lr}, {"l2", l2}, {"units", units}, {"optimizer", opt}};
    return t;
  };
  std::vector<Trial> trials{trial(1, 0.50, 1e-4, 0.9, 8, "sgd"), trial(2, 0.95, 1e-2, 0.5, 32, "adam"),
                            trial(3, 0.90, 1e-3, 0.4, 40, "rmsprop"), trial(4, 0.10, 1.0, 0.0, 64, "sgd")};
  trials.push_back(trial(5, 0.99, 1e-2, 0.5, 32, "adam"));
  trials.back().status = "diverged";  // ignored

  const SearchSpace one = refine_space(s, trials, 1);
  const SearchDim* lr = one.find("lr");
  // Best: lr 1e-2 -> log10 -2 +- 4/4 decades = [1e-3, 1e-1], half the coarse width.
  EXPECT_NEAR(lr->lo, 1e-3, 1e-12);
  EXPECT_NEAR(lr->hi, 1e-1, 1e-12);
  EXPECT_NEAR(one.find("l2")->lo, 0.25, 1e-12);
  EXPECT_NEAR(one.find("l2")->hi, 0.75, 1e-12);
  EXPECT_EQ(one.find("units")->lo, 18);  // 32 - 14 (56/4), outward rounding
  EXPECT_EQ(one.find("units")->hi, 46);
  EXPECT_EQ(one.find("optimizer")->choices, (std::vector<json>{"adam"}));

  const SearchSpace two = refine_space(s, trials, 2);
  EXPECT_NEAR(two.find("lr")->lo, 1e-4, 1e-12);  // [1e-3, 1e-2] +- 1 decade, clipped to the coarse range
  EXPECT_NEAR(two.find("lr")->hi, 1e-1, 1e-12);
  EXPECT_EQ(two.find("optimizer")->choices, (std::vector<json>{"adam", "rmsprop"}));  // original order

  // Narrowed ranges sample inside themselves; refining never leaves the coarse range.
  Rng r(1);
  for (const json& p : sample_random(one, 200, r)) {
    EXPECT_GE(p["lr"].get<double>(), 1e-3 * (1 - 1e-9));
    EXPECT_LE(p["lr"].get<double>(), 1e-1 * (1 + 1e-9));
    EXPECT_EQ(p["optimizer"], "adam");
  }
  std::vector<Trial> failed(1);
  failed[0].status = "diverged";
  EXPECT_EQ(refine_space(s, failed, 2).to_json(), s.to_json());
}

TEST(Search, SpaceErrorsAndNames) {
  for (const char* bad : {R"({"lr": {"log": [0, 1]}})", R"({"lr": {"log": [1, 0.1]}})", R"({"lr": {"logs": [1, 2]}})",
                          R"({"lr": []})", R"({"units": {"int": [1.5, 3]}})", R"([1, 2])", R"({})"})
    EXPECT_THROW(space(bad), Error) << bad;
  const SearchSpace s = space(R"({"lr": {"log": [1e-3, 1e-1]}, "optimizer": ["adam"], "c": 4})");
  EXPECT_EQ(s.dims.size(), 3u);
  EXPECT_EQ(s.dims[0].name, "c");  // sorted
  EXPECT_EQ(SearchSpace::from_json(s.to_json()).to_json(), s.to_json());

  json desc = json::parse(R"({"input":[1,4,4],"layers":[{"type":"dense","name":"fc","units":3},
                                                         {"type":"dropout","name":"drop","p":0.5}]})");
  json tc{{"batch", 8}, {"optimizer", {{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}}};
  apply_trial({{"lr", 0.01},
               {"optimizer", "adam"},
               {"optimizer.beta1", 0.8},
               {"batch", 16},
               {"l2", 1e-4},
               {"augment.translate", 2},
               {"model.drop.p", 0.25},
               {"schedule", "cosine"},
               {"schedule.total", 100}},
              desc, tc);
  // momentum is not an option of adam: left out.
  EXPECT_EQ(tc["optimizer"], json::parse(R"({"type":"adam","lr":0.01,"beta1":0.8})"));
  EXPECT_EQ(tc["batch"], 16);
  EXPECT_EQ(tc["augment"]["translate"], 2);
  EXPECT_EQ(tc["schedule"], json::parse(R"({"type":"cosine","total":100})"));
  EXPECT_EQ(desc["layers"][1]["p"], 0.25);
  EXPECT_NO_THROW(TrainConfig::from_json(tc));
  json d2 = desc, t2 = tc;
  EXPECT_THROW(apply_trial({{"learning_rate", 0.1}}, d2, t2), Error);
  EXPECT_THROW(apply_trial({{"optimizer.betta1", 0.1}}, d2, t2), Error);
  EXPECT_THROW(apply_trial({{"model.nope.p", 0.1}}, d2, t2), Error);
  EXPECT_THROW(validate_space(space(R"({"optimizer": ["adam", "adamm"]})"), desc, tc), Error);
  EXPECT_THROW(validate_space(space(R"({"batch": [0, 8]})"), desc, tc), Error);
  EXPECT_NO_THROW(validate_space(space(R"({"lr": {"log": [1e-4, 1e-1]}, "optimizer": ["adam", "sgd"]})"), desc, tc));
}

// Two classes of 6x6 images: a bright left or right half, with noise.
static Dataset halves(std::size_t n, std::uint32_t seed) {
  Dataset d;
  d.n = n, d.c = 1, d.h = 6, d.w = 6, d.num_classes = 2;
  Rng r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(r.below(2));
    d.labels.push_back(y);
    for (int h = 0; h < 6; ++h)
      for (int w = 0; w < 6; ++w)
        d.pixels.push_back(static_cast<std::uint8_t>((w < 3) == (y == 0) ? 150 + r.below(100) : r.below(100)));
  }
  return d;
}

TEST(Search, RunsTrialsScoresOnValidationAndRefines) {
  const json desc = json::parse(R"({"input":[1,6,6],"seed":1,"layers":[{"type":"dense","name":"fc","units":2}]})");
  const json tc{{"iterations", 10}, {"batch", 8}, {"optimizer", {{"type", "sgd"}}}};
  const Dataset train = halves(64, 1), val = halves(40, 2);
  Preprocess pre;
  SearchOptions opt;
  opt.trials = 3;
  opt.refine = 1;
  opt.seed = 5;
  SearchSpace fine;
  int calls = 0;
  const SearchSpace s = space(R"({"lr": {"log": [1e-3, 1e3]}, "batch": [4, 8]})");
  const auto trials = run_search(
      desc, tc, s, opt, train, val, pre, [&](const Trial&) { ++calls; }, &fine);
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(trials[0].round, 1);
  EXPECT_EQ(trials[5].round, 2);
  EXPECT_LT(fine.find("lr")->hi / fine.find("lr")->lo, 1e6);  // narrowed
  for (const Trial& t : trials) {
    EXPECT_TRUE(t.ok() || t.status == "diverged") << t.status;
    if (t.ok()) {
      EXPECT_EQ(t.iterations, 10);
      EXPECT_GE(t.val_accuracy, 0.0);
      EXPECT_LE(t.val_accuracy, 1.0);
    }
  }
  // The same seed: the same trials and scores.
  const auto again = run_search(desc, tc, s, opt, train, val, pre);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(again[i].params, trials[i].params);
    EXPECT_EQ(again[i].val_accuracy, trials[i].val_accuracy);
  }
  // A trial evaluated by hand gives the recorded validation accuracy (scored on the validation set).
  const Trial best = ranked(trials)[0];
  json d = desc, c = tc;
  apply_trial(best.params, d, c);
  Model m(d);
  Trainer t(m, train, nullptr, pre, TrainConfig::from_json(c));
  t.run();
  EXPECT_EQ(evaluate(m, val, pre).accuracy, best.val_accuracy);

  const std::string table = search_table(trials, s);
  EXPECT_NE(table.find("trial  round  batch"), std::string::npos) << table;
  EXPECT_NE(table.find("val_acc"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 7);
  const std::string csv = search_csv(trials, s);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "trial,round,batch,lr,val_acc,val_loss,time_s,train_loss,iterations,status");
  const json j = search_json(trials, s, &fine);
  EXPECT_EQ(j["trials"].size(), 6u);
  EXPECT_EQ(j["trials"][0]["trial"], best.index);
  EXPECT_TRUE(j.contains("fine_space"));

  SearchOptions grid;
  grid.method = "grid";
  grid.steps = 2;
  EXPECT_EQ(run_search(desc, tc, s, grid, train, val, pre).size(), 4u);
}

}  // namespace cnn::test
