// Optimizers and learning-rate schedules:
//   OptimGolden    parity with torch.optim on fixed gradient sequences (tests/golden/gen_optim.py)
//   OptimState     checkpoint round trip continues bit for bit; bad states are rejected
//   OptimLookahead against a direct simulation with the wrapped optimizer
//   OptimQuadratic every kind minimizes a small ill-conditioned quadratic
//   OptimConfig    factory options, defaults and errors
//   OptimVector    VectorOptimizer (a raw vector, the wasm Optimizer) against the same optimizer on a model
//   Sched*         schedule values against hand-computed numbers, and errors
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "test_util.h"
#include "train/optim/optimizer.h"
#include "train/optim/optimizers.h"
#include "train/optim/schedule.h"
#include "train/optim/vector_optimizer.h"
#include "train/train_step.h"

namespace cnn::test {
namespace {

json load_optim_golden() {
  std::ifstream f(data_dir() + "/golden/optim.json");
  if (!f) throw Error("missing golden file optim.json (run tests/golden/gen_optim.py)");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

// A set of params with their own storage. Tensors live in std::vectors sized once, so the
// pointers in `params` stay valid.
struct Problem {
  std::vector<Tensor> values, grads;
  std::vector<Param> params;

  void add(const std::string& name, const Shape& shape, ParamRole role) {
    names.push_back(name);
    shapes.push_back(shape);
    roles.push_back(role);
  }
  // Allocates the tensors and the Param list (call after every add()).
  void build() {
    values.clear();
    grads.clear();
    params.clear();
    for (const auto& s : shapes) {
      values.push_back(zeros(s));
      grads.push_back(zeros(s));
    }
    for (std::size_t i = 0; i < shapes.size(); ++i)
      params.push_back({names[i], &values[i], &grads[i], roles[i], shape_size(shapes[i])});
  }
  Problem() = default;
  Problem(const Problem& o) : names(o.names), shapes(o.shapes), roles(o.roles) {
    build();
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = o.values[i];
      grads[i] = o.grads[i];
    }
  }
  Problem& operator=(const Problem&) = delete;

  std::vector<std::string> names;
  std::vector<Shape> shapes;
  std::vector<ParamRole> roles;
};

void set_flat(Tensor& t, const json& flat) {
  const auto v = flat.get<std::vector<float>>();
  ASSERT_EQ(v.size(), t.size());
  std::copy(v.begin(), v.end(), t.data());
}

Problem golden_problem(const json& c) {
  Problem p;
  for (const json& q : c["params"])
    p.add(q["name"], q["shape"].get<Shape>(), q["role"] == "weight" ? ParamRole::weight : ParamRole::bias);
  p.build();
  for (std::size_t i = 0; i < p.values.size(); ++i) set_flat(p.values[i], c["params"][i]["value"]);
  return p;
}

void set_grads(Problem& p, const json& step_grads) {
  for (std::size_t i = 0; i < p.grads.size(); ++i) set_flat(p.grads[i], step_grads[i]);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ----------------------------------------------------------------------------- golden parity

TEST(OptimGolden, MatchesPyTorch) {
  const json g = load_optim_golden();
  ASSERT_GE(g["cases"].size(), 10u);
  std::set<std::string> kinds;
  for (const json& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>() + " " + c["config"].dump());
    auto opt = make_optimizer(c["config"]);
    kinds.insert(opt->name());
    if (opt->name() == "lookahead") kinds.insert(static_cast<Lookahead&>(*opt).inner().name());
    Problem p = golden_problem(c);
    ASSERT_EQ(c["grads"].size(), c["after"].size());
    for (std::size_t s = 0; s < c["grads"].size(); ++s) {
      set_grads(p, c["grads"][s]);
      opt->step(p.params);
      for (std::size_t i = 0; i < p.values.size(); ++i)
        expect_near_all(p.values[i].data(), c["after"][s][i].get<std::vector<double>>(), 1e-5f, 1e-6f,
                        "step " + std::to_string(s + 1) + " " + p.names[i]);
    }
    EXPECT_EQ(opt->steps(), static_cast<long>(c["grads"].size()));
  }
  for (const auto& k : optimizer_types()) EXPECT_TRUE(kinds.count(k)) << "no golden case for " << k;
}

// Weight decay touches role weight only: a bias with zero gradient stays put, a weight shrinks.
TEST(OptimGolden, WeightDecayOnWeightsOnly) {
  for (const char* type : {"sgd", "adagrad", "adadelta", "rmsprop", "adam", "radam"}) {
    SCOPED_TRACE(type);
    Problem p;
    p.add("l.w", {4}, ParamRole::weight);
    p.add("l.b", {4}, ParamRole::bias);
    p.add("bn.gamma", {4}, ParamRole::other);
    p.build();
    for (auto& v : p.values) v.fill(0.5f);
    auto opt = make_optimizer({{"type", type}, {"lr", 0.01}, {"weight_decay", 0.1}});
    for (int s = 0; s < 3; ++s) opt->step(p.params);
    EXPECT_LT(p.values[0](0), 0.5f);
    EXPECT_EQ(p.values[1](0), 0.5f);
    EXPECT_EQ(p.values[2](0), 0.5f);
  }
}

// ----------------------------------------------------------------------------- state

std::vector<json> all_configs() {
  std::vector<json> cfgs;
  // Named: a range-for over load_optim_golden()["cases"] would iterate inside a destroyed temporary
  // (only the reference returned by operator[] is bound, not the json it points into).
  const json golden = load_optim_golden();
  for (const json& c : golden["cases"]) cfgs.push_back(c["config"]);
  cfgs.push_back({{"type", "lookahead"}, {"inner", {{"type", "radam"}, {"lr", 0.01}}}});  // default k 5, alpha 0.5
  return cfgs;
}

// A deterministic gradient sequence for a 3-param problem.
Problem random_problem(std::uint32_t seed) {
  Problem p;
  p.add("conv.w", {2, 3, 2, 2}, ParamRole::weight);
  p.add("conv.b", {2}, ParamRole::bias);
  p.add("bn.gamma", {2}, ParamRole::other);
  p.build();
  Rng rng(seed);
  for (auto& v : p.values) v = random_tensor(shape_of(v), rng);
  return p;
}
void random_grads(Problem& p, Rng& rng) {
  for (auto& g : p.grads) g = random_tensor(shape_of(g), rng);
}

TEST(OptimState, RoundTripContinuesBitForBit) {
  for (const json& cfg : all_configs()) {
    SCOPED_TRACE(cfg.dump());
    Problem a = random_problem(3);
    Rng rng_a(17);
    auto straight = make_optimizer(cfg);
    for (int s = 0; s < 3; ++s) {
      random_grads(a, rng_a);
      straight->step(a.params);
    }
    // Checkpoint through text, as a file would.
    const std::string saved = straight->state().dump();
    Problem b(a);
    Rng rng_b = rng_a;
    auto restored = make_optimizer(cfg);
    restored->load_state(json::parse(saved));
    EXPECT_EQ(restored->steps(), 3);
    for (int s = 0; s < 3; ++s) {
      random_grads(a, rng_a);
      straight->step(a.params);
      random_grads(b, rng_b);
      restored->step(b.params);
    }
    for (std::size_t i = 0; i < a.values.size(); ++i) EXPECT_TRUE(same_bits(a.values[i], b.values[i])) << a.names[i];
    EXPECT_EQ(straight->state(), restored->state());
  }
}

TEST(OptimState, Layout) {
  Problem p = random_problem(1);
  auto opt = make_optimizer({{"type", "adam"}});
  EXPECT_EQ(opt->state()["params"].size(), 0u);  // nothing before the first step
  opt->step(p.params);
  opt->step(p.params);
  const json st = opt->state();
  EXPECT_EQ(st["type"], "adam");
  EXPECT_EQ(st["step"], 2);
  ASSERT_TRUE(st["params"].contains("conv.w"));
  EXPECT_EQ(st["params"]["conv.w"]["step"], 2);
  EXPECT_EQ(st["params"]["conv.w"]["exp_avg"].size(), 24u);
  EXPECT_EQ(st["params"]["conv.w"]["exp_avg_sq"].size(), 24u);
  // A param seen for the first time later starts its own count (as torch's per-param state['step']).
  Problem q;
  q.add("head.w", {3}, ParamRole::weight);
  q.build();
  opt->step(q.params);
  EXPECT_EQ(opt->state()["params"]["head.w"]["step"], 1);
  EXPECT_EQ(opt->state()["params"]["conv.w"]["step"], 2);
  // Plain SGD keeps no buffers, only the counts.
  auto sgd = make_optimizer({{"type", "sgd"}});
  sgd->step(p.params);
  EXPECT_EQ(sgd->state()["params"]["conv.w"].size(), 1u);
  // reset() forgets everything.
  opt->reset();
  EXPECT_EQ(opt->steps(), 0);
  EXPECT_EQ(opt->state()["params"].size(), 0u);
}

// Buffers are allocated once, at a param's first step, and reused.
class InspectableAdam : public Adam {
 public:
  using Adam::Adam;
  const float* buffer(const std::string& name, std::size_t k) const { return slots_.at(name).buf[k].data(); }
};

TEST(OptimState, BuffersAllocatedOnce) {
  Problem p = random_problem(2);
  InspectableAdam opt(AdamOptions{});
  opt.step(p.params);
  const float* m = opt.buffer("conv.w", 0);
  const float* v = opt.buffer("conv.w", 1);
  for (int s = 0; s < 5; ++s) opt.step(p.params);
  EXPECT_EQ(m, opt.buffer("conv.w", 0));
  EXPECT_EQ(v, opt.buffer("conv.w", 1));
}

TEST(OptimState, RejectsBadStates) {
  Problem p = random_problem(4);
  auto adam = make_optimizer({{"type", "adam"}});
  adam->step(p.params);
  const json good = adam->state();
  auto sgd = make_optimizer({{"type", "sgd"}, {"momentum", 0.9}});
  EXPECT_THROW(sgd->load_state(good), Error);  // another kind
  auto fresh = make_optimizer({{"type", "adam"}});
  EXPECT_THROW(fresh->load_state(json::object()), Error);
  json bad = good;
  bad["params"]["conv.w"].erase("exp_avg");
  EXPECT_THROW(fresh->load_state(bad), Error);
  bad = good;
  bad["params"]["conv.w"]["exp_avg"][0] = "x";
  EXPECT_THROW(fresh->load_state(bad), Error);
  bad = good;
  bad["params"]["conv.w"]["extra"] = json::array();
  EXPECT_THROW(fresh->load_state(bad), Error);
  EXPECT_EQ(fresh->steps(), 0);  // failed loads change nothing

  // A state for differently sized params: the step throws and leaves every param untouched.
  bad = good;
  bad["params"]["conv.b"]["exp_avg"] = {1.0, 2.0, 3.0};
  bad["params"]["conv.b"]["exp_avg_sq"] = {1.0, 2.0, 3.0};
  fresh->load_state(bad);
  const Problem before(p);
  try {
    fresh->step(p.params);
    ADD_FAILURE() << "no error for a size mismatch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv.b"), std::string::npos) << e.what();
  }
  for (std::size_t i = 0; i < p.values.size(); ++i) EXPECT_TRUE(same_bits(p.values[i], before.values[i]));

  // A gradient of the wrong size.
  p.grads[0] = zeros({5});
  EXPECT_THROW(adam->step(p.params), Error);
}

// ----------------------------------------------------------------------------- lookahead

void lookahead_vs_simulation(const json& inner_cfg, long k, float alpha) {
  SCOPED_TRACE(inner_cfg.dump() + " k " + std::to_string(k));
  json cfg = {{"type", "lookahead"}, {"k", k}, {"alpha", alpha}, {"inner", inner_cfg}};
  auto la = make_optimizer(cfg);
  auto inner = make_optimizer(inner_cfg);
  Problem real = random_problem(9);
  Problem sim(real);
  std::vector<std::vector<float>> slow;
  for (auto& v : sim.values) slow.emplace_back(v.data(), v.data() + v.size());
  Rng rng(5);
  for (long step = 1; step <= 4 * k + 1; ++step) {
    random_grads(real, rng);
    for (std::size_t i = 0; i < real.grads.size(); ++i) sim.grads[i] = real.grads[i];
    la->step(real.params);
    inner->step(sim.params);
    if (step % k == 0) {
      for (std::size_t i = 0; i < sim.values.size(); ++i)
        for (std::size_t j = 0; j < slow[i].size(); ++j) {
          slow[i][j] = slow[i][j] + alpha * (sim.values[i].data()[j] - slow[i][j]);
          sim.values[i].data()[j] = slow[i][j];
        }
    }
    for (std::size_t i = 0; i < real.values.size(); ++i) {
      std::vector<double> want(sim.values[i].begin(), sim.values[i].end());
      expect_near_all(real.values[i].data(), want, 1e-6f, 1e-7f, "step " + std::to_string(step) + " " + real.names[i]);
    }
  }
}

TEST(OptimLookahead, MatchesSimulation) {
  lookahead_vs_simulation({{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}, 5, 0.5f);
  lookahead_vs_simulation({{"type", "adam"}, {"lr", 0.05}, {"weight_decay", 0.01}}, 3, 0.8f);
  lookahead_vs_simulation({{"type", "rmsprop"}, {"lr", 0.01}}, 1, 0.25f);
}

TEST(OptimLookahead, LearningRateIsTheInnerOnes) {
  auto la = make_optimizer({{"type", "lookahead"}, {"inner", {{"type", "sgd"}, {"lr", 0.2}}}});
  EXPECT_FLOAT_EQ(la->lr(), 0.2f);
  la->set_lr(0.05f);
  EXPECT_FLOAT_EQ(la->lr(), 0.05f);
  EXPECT_FLOAT_EQ(static_cast<Lookahead&>(*la).inner().lr(), 0.05f);
  EXPECT_EQ(la->config()["k"], 5);
  EXPECT_EQ(la->config()["alpha"], 0.5);
}

// ----------------------------------------------------------------------------- quadratic

// f(w) = 1/2 sum a_i (w_i - c_i)^2 with curvatures a_i in [0.2, 2]: every kind must bring it down.
TEST(OptimQuadratic, EveryKindMinimizes) {
  const std::vector<std::pair<json, int>> runs = {
      {{{"type", "sgd"}, {"lr", 0.1}}, 100},
      {{{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}}, 100},
      {{{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}, {"nesterov", true}}, 100},
      {{{"type", "adagrad"}, {"lr", 0.5}}, 100},
      {{{"type", "adadelta"}}, 800},  // starts with steps of about sqrt(eps)
      {{{"type", "rmsprop"}}, 200},
      {{{"type", "adam"}, {"lr", 0.05}}, 200},
      {{{"type", "radam"}, {"lr", 0.05}}, 200},
      {{{"type", "lookahead"}, {"inner", {{"type", "adam"}, {"lr", 0.05}}}}, 200},
  };
  std::set<std::string> kinds;
  for (const auto& [cfg, steps] : runs) {
    SCOPED_TRACE(cfg.dump());
    Problem p;
    p.add("q.w", {16}, ParamRole::weight);
    p.build();
    Rng rng(21);
    std::vector<float> a(16), c(16);
    for (int i = 0; i < 16; ++i) {
      a[i] = rng.uniform(0.2f, 2.0f);
      c[i] = rng.uniform(-1.0f, 1.0f);
      p.values[0](i) = rng.uniform(-3.0f, 3.0f);
    }
    auto loss = [&] {
      double f = 0;
      for (int i = 0; i < 16; ++i) f += 0.5 * a[i] * std::pow(p.values[0](i) - c[i], 2.0);
      return f;
    };
    auto opt = make_optimizer(cfg);
    kinds.insert(opt->name());
    const double f0 = loss();
    for (int s = 0; s < steps; ++s) {
      for (int i = 0; i < 16; ++i) p.grads[0](i) = a[i] * (p.values[0](i) - c[i]);
      opt->step(p.params);
    }
    EXPECT_LT(loss(), 0.05 * f0) << "from " << f0;
  }
  EXPECT_EQ(kinds.size(), optimizer_types().size());
}

// ----------------------------------------------------------------------------- configuration

TEST(OptimConfig, DefaultsAndRebuild) {
  struct Want {
    const char* type;
    double lr;
  };
  for (const Want& w : {Want{"sgd", 0.01}, Want{"adagrad", 1e-2}, Want{"adadelta", 1.0}, Want{"rmsprop", 1e-2},
                        Want{"adam", 1e-3}, Want{"radam", 1e-3}}) {
    SCOPED_TRACE(w.type);
    auto opt = make_optimizer(std::string(w.type));  // a bare string is a type
    EXPECT_EQ(opt->name(), w.type);
    EXPECT_FLOAT_EQ(opt->lr(), static_cast<float>(w.lr));
    EXPECT_EQ(opt->weight_decay(), 0.0f);
    auto again = make_optimizer(opt->config());
    EXPECT_EQ(again->config(), opt->config());
  }
  const json adam = make_optimizer("adam")->config();
  EXPECT_EQ(adam["beta1"], 0.9);
  EXPECT_EQ(adam["beta2"], 0.999);
  EXPECT_EQ(adam["eps"], 1e-8);
  EXPECT_EQ(make_optimizer("adagrad")->config()["eps"], 1e-10);
  EXPECT_EQ(make_optimizer("adadelta")->config()["rho"], 0.9);
  EXPECT_EQ(make_optimizer("adadelta")->config()["eps"], 1e-6);
  EXPECT_EQ(make_optimizer("rmsprop")->config()["alpha"], 0.99);
  EXPECT_EQ(make_optimizer("rmsprop")->config()["eps"], 1e-8);
  EXPECT_EQ(make_optimizer("sgd")->config()["momentum"], 0.0);
  // "decay" is rmsprop's alias of alpha.
  EXPECT_EQ(make_optimizer({{"type", "rmsprop"}, {"decay", 0.9}})->config()["alpha"], 0.9);
  auto opt = make_optimizer({{"type", "sgd"}, {"lr", 0.1}});
  opt->set_lr(0.025f);
  EXPECT_EQ(opt->lr(), 0.025f);
  EXPECT_EQ(opt->config()["lr"], 0.1);  // the configured rate
  EXPECT_THROW(opt->set_lr(-1.0f), Error);
}

void expect_error(const json& cfg, const std::string& mentions) {
  try {
    make_optimizer(cfg);
    ADD_FAILURE() << "no error for " << cfg.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos)
        << cfg.dump() << " -> " << e.what() << " (should mention " << mentions << ")";
  }
}

TEST(OptimConfig, BadConfigsThrow) {
  expect_error({{"type", "adamw"}}, "adamw");
  expect_error({{"lr", 0.1}}, "type");
  expect_error(json::array(), "type");
  expect_error({{"type", "sgd"}, {"lr", -0.1}}, "'lr'");
  expect_error({{"type", "sgd"}, {"lr", "fast"}}, "'lr'");
  expect_error({{"type", "sgd"}, {"momentum", -0.5}}, "'momentum'");
  expect_error({{"type", "sgd"}, {"nesterov", true}}, "'nesterov'");
  expect_error({{"type", "sgd"}, {"nesterov", 1}}, "'nesterov'");
  expect_error({{"type", "sgd"}, {"weight_decay", -1}}, "'weight_decay'");
  expect_error({{"type", "sgd"}, {"beta1", 0.9}}, "'beta1'");  // not an sgd option
  expect_error({{"type", "adam"}, {"beta1", 1.0}}, "'beta1'");
  expect_error({{"type", "adam"}, {"beta2", -0.1}}, "'beta2'");
  expect_error({{"type", "radam"}, {"eps", -1e-8}}, "'eps'");
  expect_error({{"type", "adam"}, {"lr", 1e300}}, "'lr'");
  expect_error({{"type", "adam"}, {"momentum", 0.9}}, "'momentum'");
  expect_error({{"type", "adagrad"}, {"initial_accumulator", -1}}, "'initial_accumulator'");
  expect_error({{"type", "adadelta"}, {"rho", 1.5}}, "'rho'");
  expect_error({{"type", "rmsprop"}, {"alpha", 2}}, "'alpha'");
  expect_error({{"type", "rmsprop"}, {"alpha", 0.9}, {"decay", 0.9}}, "'decay'");
  expect_error({{"type", "rmsprop"}, {"centered", true}}, "'centered'");
  expect_error({{"type", "lookahead"}}, "'inner'");
  expect_error({{"type", "lookahead"}, {"k", 0}, {"inner", "sgd"}}, "'k'");
  expect_error({{"type", "lookahead"}, {"k", 2.5}, {"inner", "sgd"}}, "'k'");
  expect_error({{"type", "lookahead"}, {"alpha", 1.5}, {"inner", "sgd"}}, "'alpha'");
  expect_error({{"type", "lookahead"}, {"inner", {{"type", "adam"}, {"beta1", 2}}}}, "'beta1'");
  expect_error({{"type", "lookahead"}, {"inner", {{"type", "nope"}}}}, "inner");
  // Direct construction validates too.
  EXPECT_THROW(Adam(AdamOptions{-1.0}), Error);
  EXPECT_THROW(Lookahead(nullptr), Error);
}

// ----------------------------------------------------------------------------- raw vectors

// N steps of VectorOptimizer equal N training steps of the same optimizer on a model whose one
// parameter (a bias-free dense layer's weight, role weight) holds the same values, bit for bit, with
// the gradients the model's backward gave; the learning rate changed halfway on both.
TEST(OptimVector, EqualsTheSameOptimizerOnAModelParameter) {
  const std::vector<json> cfgs = {
      {{"type", "sgd"}, {"lr", 0.1}},
      {{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}, {"weight_decay", 0.01}},
      {{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}, {"nesterov", true}},
      {{"type", "adagrad"}, {"lr", 0.2}, {"initial_accumulator", 0.1}},
      {{"type", "adadelta"}, {"weight_decay", 0.001}},
      {{"type", "rmsprop"}, {"lr", 0.01}, {"momentum", 0.5}},
      {{"type", "adam"}, {"lr", 0.02}, {"weight_decay", 0.01}},
      {{"type", "radam"}, {"lr", 0.02}},
      {{"type", "lookahead"}, {"k", 3}, {"inner", {{"type", "adam"}, {"lr", 0.05}}}},
  };
  std::set<std::string> kinds;
  for (const json& cfg : cfgs) {
    SCOPED_TRACE(cfg.dump());
    Model m = Model::from_string(
        R"({"input":[1,1,2],"seed":3,"layers":[{"type":"dense","name":"fc","units":3,"bias":false}]})");
    ASSERT_EQ(m.params().size(), 1u);
    const Param& p = m.params()[0];
    const std::size_t n = p.value->size();
    auto opt = make_optimizer(cfg);
    kinds.insert(opt->name());
    VectorOptimizer v(cfg);
    EXPECT_EQ(v.size(), 0u);
    std::vector<float> w(p.value->data(), p.value->data() + n);
    Rng rng(5);
    const Tensor x = random_tensor({4, 1, 1, 2}, rng);
    const std::vector<int> labels{0, 1, 2, 1};
    Tensor grad;
    for (int step = 1; step <= 12; ++step) {
      if (step == 7) {
        opt->set_lr(opt->lr() / 2);
        v.set_lr(v.lr() / 2);
      }
      ASSERT_TRUE(train_step(m, x, labels, m.params(), *opt, grad).updated);
      const std::vector<float> g(p.grad->data(), p.grad->data() + n);
      v.step(w.data(), g.data(), n);
      ASSERT_EQ(std::memcmp(w.data(), p.value->data(), n * sizeof(float)), 0) << "step " << step;
    }
    EXPECT_EQ(v.steps(), 12);
    EXPECT_EQ(v.size(), n);
    EXPECT_EQ(v.lr(), opt->lr());
    EXPECT_EQ(v.config(), make_optimizer(cfg)->config());
  }
  EXPECT_EQ(kinds.size(), optimizer_types().size());
}

TEST(OptimVector, ErrorsChangeNothing) {
  // The configuration's checks and messages are make_optimizer's.
  for (const json& bad : {json{{"type", "adamw"}}, json{{"type", "adam"}, {"beta1", 1.5}}, json::array()}) {
    const std::string want = error_of([&] { make_optimizer(bad); });
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(error_of([&] { VectorOptimizer v(bad); }), want);
  }
  VectorOptimizer v({{"type", "sgd"}, {"lr", 0.5}, {"momentum", 0.9}});
  std::vector<float> w{1.0f, -2.0f, 3.0f}, g{1.0f, 1.0f, 1.0f};
  EXPECT_NE(error_of([&] { v.step(w.data(), g.data(), 0); }).find("at least one value"), std::string::npos);
  v.step(w.data(), g.data(), 2);  // the first step fixes the size: 2
  EXPECT_EQ(w, (std::vector<float>{0.5f, -2.5f, 3.0f}));
  EXPECT_NE(error_of([&] { v.step(w.data(), g.data(), 3); }).find("got 3 values, but its state is for 2"),
            std::string::npos);
  EXPECT_EQ(w, (std::vector<float>{0.5f, -2.5f, 3.0f}));
  EXPECT_EQ(v.steps(), 1);
  for (double lr : {std::nan(""), -0.1, 1e300, HUGE_VAL})
    EXPECT_NE(error_of([&] { v.set_lr(lr); }).find("sgd optimizer: option 'lr' must be a finite number >= 0"),
              std::string::npos)
        << lr;
  EXPECT_EQ(v.lr(), 0.5f);
  v.set_lr(0.25);
  EXPECT_EQ(v.lr(), 0.25f);
  EXPECT_EQ(v.config()["lr"], 0.5);  // the configured rate
  // Momentum persists: b = 0.9 * 1 + 1 = 1.9, w <- w - 0.25 * 1.9.
  v.step(w.data(), g.data(), 2);
  EXPECT_FLOAT_EQ(w[0], 0.5f - 0.25f * 1.9f);
}

// ----------------------------------------------------------------------------- schedules

float sched(const json& cfg, float base, long it) { return make_schedule(cfg, base)->lr(it); }
void expect_lr(const json& cfg, float base, long it, double want) {
  EXPECT_NEAR(sched(cfg, base, it), want, 2e-7 * std::fabs(want) + 1e-9) << cfg.dump() << " at " << it;
}

TEST(SchedValues, Constant) {
  expect_lr("constant", 0.1f, 0, 0.1);
  expect_lr({{"type", "constant"}}, 0.1f, 123456, 0.1);
}

TEST(SchedValues, Step) {
  const json c = {{"type", "step"}, {"step_size", 10}, {"gamma", 0.5}};
  expect_lr(c, 0.1f, 0, 0.1);
  expect_lr(c, 0.1f, 9, 0.1);
  expect_lr(c, 0.1f, 10, 0.05);
  expect_lr(c, 0.1f, 25, 0.025);
  expect_lr(c, 0.1f, 30, 0.0125);
  expect_lr({{"type", "step"}, {"step_size", 100}}, 1.0f, 250, 0.01);  // default gamma 0.1
}

TEST(SchedValues, Exponential) {
  const json c = {{"type", "exponential"}, {"gamma", 0.5}, {"decay_every", 10}};
  expect_lr(c, 0.2f, 0, 0.2);
  expect_lr(c, 0.2f, 5, 0.2 * std::sqrt(0.5));  // continuous exponent
  expect_lr(c, 0.2f, 10, 0.1);
  expect_lr(c, 0.2f, 20, 0.05);
  expect_lr({{"type", "exponential"}, {"gamma", 0.9}}, 0.2f, 2, 0.162);
  // The notes' alpha0 e^{-kt} with k = 0.1.
  expect_lr({{"type", "exponential"}, {"gamma", std::exp(-0.1)}}, 1.0f, 7, std::exp(-0.7));
}

TEST(SchedValues, InverseTime) {
  const json c = {{"type", "inverse_time"}, {"k", 0.5}};
  expect_lr(c, 0.3f, 0, 0.3);
  expect_lr(c, 0.3f, 2, 0.15);
  expect_lr(c, 0.3f, 4, 0.1);
  expect_lr(c, 0.3f, 1000, 0.3 / 501);
}

TEST(SchedValues, CosineWithWarmup) {
  const json c = {{"type", "cosine"}, {"warmup", 10}, {"total", 110}, {"min_lr", 0.01}};
  expect_lr(c, 0.1f, 0, 0.0);
  expect_lr(c, 0.1f, 5, 0.05);
  expect_lr(c, 0.1f, 9, 0.09);
  expect_lr(c, 0.1f, 10, 0.1);
  expect_lr(c, 0.1f, 35, 0.01 + 0.045 * (1 + std::sqrt(0.5)));  // a quarter of the way: cos(pi/4)
  expect_lr(c, 0.1f, 60, 0.055);                                // half way
  expect_lr(c, 0.1f, 110, 0.01);
  expect_lr(c, 0.1f, 5000, 0.01);
  const json plain = {{"type", "cosine"}, {"total", 100}};
  expect_lr(plain, 1.0f, 0, 1.0);
  expect_lr(plain, 1.0f, 50, 0.5);
  expect_lr(plain, 1.0f, 75, 0.5 * (1 - std::sqrt(0.5)));
  expect_lr(plain, 1.0f, 100, 0.0);
  // Monotone after the warm-up.
  auto s = make_schedule(c, 0.1f);
  for (long it = 11; it < 120; ++it) EXPECT_LE(s->lr(it), s->lr(it - 1)) << it;
}

TEST(SchedValues, ConfigRebuilds) {
  for (const json& c : {json{{"type", "constant"}}, json{{"type", "step"}, {"step_size", 3}},
                        json{{"type", "exponential"}, {"gamma", 0.9}}, json{{"type", "inverse_time"}, {"k", 1}},
                        json{{"type", "cosine"}, {"total", 50}, {"warmup", 5}}}) {
    auto s = make_schedule(c, 0.5f);
    auto again = make_schedule(s->config(), 0.5f);
    EXPECT_EQ(again->config(), s->config());
    EXPECT_EQ(s->name(), c["type"]);
    EXPECT_EQ(again->lr(7), s->lr(7));
  }
}

void expect_sched_error(const json& cfg, float base, const std::string& mentions) {
  try {
    make_schedule(cfg, base);
    ADD_FAILURE() << "no error for " << cfg.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos)
        << cfg.dump() << " -> " << e.what() << " (should mention " << mentions << ")";
  }
}

TEST(SchedErrors, BadConfigsThrow) {
  expect_sched_error({{"type", "linear"}}, 0.1f, "linear");
  expect_sched_error(json::object(), 0.1f, "type");
  expect_sched_error({{"type", "step"}}, 0.1f, "'step_size'");
  expect_sched_error({{"type", "step"}, {"step_size", 0}}, 0.1f, "'step_size'");
  expect_sched_error({{"type", "step"}, {"step_size", 1.5}}, 0.1f, "'step_size'");
  expect_sched_error({{"type", "step"}, {"step_size", 5}, {"gamma", -0.1}}, 0.1f, "'gamma'");
  expect_sched_error({{"type", "exponential"}}, 0.1f, "'gamma'");
  expect_sched_error({{"type", "exponential"}, {"gamma", 0.9}, {"decay_every", 0}}, 0.1f, "'decay_every'");
  expect_sched_error({{"type", "inverse_time"}, {"k", -1}}, 0.1f, "'k'");
  expect_sched_error({{"type", "cosine"}}, 0.1f, "'total'");
  expect_sched_error({{"type", "cosine"}, {"total", 10}, {"warmup", 10}}, 0.1f, "'total'");
  expect_sched_error({{"type", "cosine"}, {"total", 10}, {"warmup", -1}}, 0.1f, "'warmup'");
  expect_sched_error({{"type", "cosine"}, {"total", 10}, {"min_lr", 0.5}}, 0.1f, "'min_lr'");
  expect_sched_error({{"type", "constant"}, {"gamma", 0.5}}, 0.1f, "'gamma'");
  expect_sched_error({{"type", "constant"}}, -0.1f, "base");
  EXPECT_THROW(make_schedule("constant", 0.1f)->lr(-1), Error);
  // min_lr may equal the base rate as written in the config.
  EXPECT_NO_THROW(make_schedule({{"type", "cosine"}, {"total", 10}, {"min_lr", 0.7}}, 0.7f));
}

}  // namespace
}  // namespace cnn::test
