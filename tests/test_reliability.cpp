// Regression tests of the reliability issue: each input here once crashed the engine, read out of
// bounds or was silently taken as something else. Every one must now be a cnn::Error with a clear
// message (or, for a resume, continue exactly).
#include <random>

#include "io/serialize.h"
#include "test_util.h"
#include "train/trainer.h"

namespace cnn::test {

namespace {

#define EXPECT_ERROR(expr, part)                                          \
  do {                                                                    \
    const std::string msg_ = error_of([&] { expr; });                     \
    EXPECT_NE(msg_.find(part), std::string::npos) << "message: " << msg_; \
  } while (0)

const char* kNet = R"({"input":[1,8,8],"seed":4,"layers":[
  {"type":"conv2d","name":"c1","filters":4,"kernel":3,"pad":1},{"type":"relu"},
  {"type":"maxpool2d","size":2},{"type":"dropout","name":"drop","p":0.2},{"type":"dense","name":"fc","units":2}]})";

std::vector<float> all_params(Model& m) {
  std::vector<float> v;
  for (auto& p : m.params()) v.insert(v.end(), p.value->data(), p.value->data() + p.value->size());
  return v;
}

json model_with(const json& layer, const json& input = {1, 28, 28}) {
  return {{"input", input}, {"layers", json::array({layer})}};
}

}  // namespace

// 1. A checkpoint written at the end of an epoch (as cnn train --checkpoint writes every one) has
// in_epoch == per_epoch; resuming from it read past the end of the epoch's sample order.
TEST(Reliability, ResumeFromEndOfEpochCheckpointContinuesBitForBit) {
  const Dataset train = bars(40, 3);  // 5 iterations an epoch
  const json cfgj = {
      {"epochs", 3}, {"batch", 8}, {"optimizer", {{"type", "adam"}, {"lr", 0.005}}}, {"augment", {{"translate", 1}}}};
  Preprocess pre;
  Model a = Model::from_string(kNet);
  Trainer ta(a, train, nullptr, pre, TrainConfig::from_json(cfgj));
  std::vector<std::uint8_t> saved;
  ta.on_epoch = [&](const EpochRecord& r) {
    if (r.epoch != 1) return;
    json doc = model_document(a);
    doc["training"] = ta.checkpoint();
    saved = encode_bundle(doc);
  };
  ta.run();
  ASSERT_EQ(ta.status(), Trainer::Status::finished);
  ASSERT_FALSE(saved.empty());

  const json doc = decode_bundle(saved.data(), saved.size());
  EXPECT_EQ(doc["training"]["in_epoch"], 5);
  Model c = model_from_document(doc);
  Trainer tc(c, train, nullptr, pre, TrainConfig::from_json(doc["training"]["config"]));
  tc.restore(doc["training"]);
  EXPECT_EQ(tc.iteration(), 5);
  EXPECT_EQ(tc.epoch(), 2);
  tc.run();
  EXPECT_EQ(tc.status(), Trainer::Status::finished);
  EXPECT_EQ(tc.history().size(), 3u);
  EXPECT_EQ(all_params(c), all_params(a));
}

TEST(Reliability, ResumeOfTheLastEpochsCheckpointIsFinished) {
  const Dataset train = bars(40, 3);
  const json cfgj = {{"epochs", 2}, {"batch", 8}};
  Preprocess pre;
  Model a = Model::from_string(kNet);
  Trainer ta(a, train, nullptr, pre, TrainConfig::from_json(cfgj));
  json last;
  ta.on_epoch = [&](const EpochRecord&) { last = ta.checkpoint(); };
  ta.run();
  Model c = Model::from_string(kNet);
  Trainer tc(c, train, nullptr, pre, TrainConfig::from_json(cfgj));
  tc.restore(last);
  EXPECT_FALSE(tc.run());
  EXPECT_EQ(tc.status(), Trainer::Status::finished);
  EXPECT_EQ(tc.iteration(), 10);
}

TEST(Reliability, RestoreRefusesCheckpointsThatDoNotFit) {
  const Dataset train = bars(40, 3);
  Preprocess pre;
  Model a = Model::from_string(kNet);
  Trainer ta(a, train, nullptr, pre, TrainConfig::from_json({{"epochs", 2}, {"batch", 8}}));
  ta.run(3);
  json cp = ta.checkpoint();
  for (auto [key, value] : std::vector<std::pair<const char*, json>>{
           {"in_epoch", 6}, {"in_epoch", -1}, {"epoch", 0}, {"epoch", 3}, {"status", 7}, {"iteration", 11}}) {
    json bad = cp;
    bad[key] = value;
    Model b = Model::from_string(kNet);
    Trainer tb(b, train, nullptr, pre, TrainConfig::from_json({{"epochs", 2}, {"batch", 8}}));
    EXPECT_FALSE(error_of([&] { tb.restore(bad); }).empty()) << key << " = " << value;
  }
}

// 2. Deep nesting overflowed the native stack (the recursive unpack of a .cnn header at ~40,000
// levels, the model description at ~200,000).
TEST(Reliability, DeeplyNestedJsonIsRefused) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_ERROR(Model::from_string(deep), "nests deeper than 64");
  const std::string header = R"({"format":"cnn-model","x":)" + std::string(40000, '[') + std::string(40000, ']') + "}";
  std::vector<std::uint8_t> file{'C', 'N', 'N', 'M', 'O', 'D', 'E', 'L', 1, 0, 0, 0};
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  file.insert(file.end(), header.begin(), header.end());
  EXPECT_ERROR(decode_bundle(file.data(), file.size(), "f.cnn"), "nests deeper");
  EXPECT_ERROR(model_file_info(file.data(), file.size(), "f.cnn"), "nests deeper");
  // Brackets inside strings do not count; 64 levels are fine.
  EXPECT_NO_THROW(parse_json(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", "x"));
  EXPECT_NO_THROW(parse_json(std::string(64, '[') + std::string(64, ']'), "x"));
  EXPECT_ERROR(parse_json(std::string(65, '[') + std::string(65, ']'), "x"), "nests deeper");
}

// Found by fuzz_model_json: a number where a name belongs escaped as nlohmann::type_error.
TEST(Reliability, ValuesOfTheWrongTypeAreErrors) {
  EXPECT_ERROR(Model::from_string(R"({"name":5555,"input":[1,4,4],"layers":[{"type":"relu"}]})"),
               "\"name\" must be a string");
  EXPECT_ERROR(Model::from_string(R"({"input":[1,4,4],"init":{"scheme":5},"layers":[{"type":"relu"}]})"), "wrong type");
  EXPECT_ERROR(TrainConfig::from_json({{"loss", 5}}), "wrong type");
}

// 3. json_int truncated to int: 4294967306 units built a dense layer of 10, a pad of 2^32 was 0.
TEST(Reliability, OutOfRangeSizesAreRefusedNotWrapped) {
  EXPECT_ERROR(Model(model_with({{"type", "dense"}, {"units", 4294967306ull}})), "'units' must be an integer from 1");
  EXPECT_ERROR(Model(model_with({{"type", "dense"}, {"units", 10.5}})), "'units' must be an integer");
  EXPECT_ERROR(Model(model_with({{"type", "dense"}, {"units", -3}})), "'units' must be an integer from 1");
  EXPECT_ERROR(Model(model_with({{"type", "dense"}, {"units", 1e300}})), "'units' must be an integer");
  EXPECT_ERROR(Model(model_with({{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}, {"pad", 4294967296ull}})),
               "'pad' must be an integer from 0");
  EXPECT_ERROR(Model(model_with({{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}, {"stride", 4294967306ull}})),
               "'stride' must be an integer from 1");
  EXPECT_ERROR(Model(model_with({{"type", "conv2d"}, {"filters", 2}, {"kernel", {3, 4294967299ull}}})),
               "'kernel' must be an integer from 1");
  EXPECT_ERROR(Model(model_with({{"type", "maxpool2d"}, {"size", 2}}, {1, 28, 4294967324ull})),
               "input dimensions must be integers from 1 to 65536");
  EXPECT_ERROR(Model({{"input", {1, 28, 28}}, {"seed", 4294967296ull}, {"layers", {{{"type", "relu"}}}}}),
               "'seed' must be an integer from 0 to 4294967295");
  EXPECT_ERROR(TrainConfig::from_json({{"batch", 4294967360ull}}), "'batch' must be an integer from 1 to 65536");
  EXPECT_ERROR(TrainConfig::from_json({{"epochs", 2.5}}), "'epochs' must be an integer");
  EXPECT_EQ(TrainConfig::from_json({{"epochs", 3.0}}).epochs, 3);  // a whole float is that integer
}

// 3/4. Products of sizes: UBSan reported signed overflow in the conv output-size arithmetic, a dense
// layer after [1, 65536, 65536] got 0 weights, and in the 32-bit wasm build products wrapped at 2^32.
TEST(Reliability, SizeProductsAreCheckedInSixtyFourBits) {
  EXPECT_ERROR(Model(model_with({{"type", "dense"}, {"units", 10}}, {1, 65536, 65536})), "this engine holds at most");
  EXPECT_ERROR(
      Model({{"input", {1, 28, 28}},
             {"layers",
              {{{"type", "conv2d"}, {"filters", 65536}, {"kernel", 1}}, {{"type", "dense"}, {"units", 65536}}}}}),
      "dense layer 'dense_2'");
  // A conv whose output would have 2^32 elements.
  EXPECT_ERROR(Model(model_with({{"type", "conv2d"}, {"filters", 65536}, {"kernel", 1}, {"pad", 32767}}, {1, 2, 2})),
               "this engine holds at most");
  // The lowered input of one image: 65536 x 65536 taps.
  EXPECT_ERROR(Model(model_with({{"type", "conv2d"}, {"filters", 1}, {"kernel", 65536}, {"pad", 32768}}, {1, 1, 1})),
               "convolution workspace");
  // Largest sizes that fit are still accepted.
  EXPECT_NO_THROW(Model(model_with({{"type", "dense"}, {"units", 65536}}, {1, 1, 1})));
}

TEST(Reliability, ABatchTooLargeForMemorySaysHowMuch) {
  Model m(model_with({{"type", "conv2d"}, {"filters", 64}, {"kernel", 3}, {"pad", 1}}, {3, 256, 256}));
  Tensor x = zeros({1, 3, 256, 256});
  EXPECT_NO_THROW(m.forward(x, false));
  std::string msg;
  try {
    m.check_memory(65536);
  } catch (const Error& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("for a batch of 65536"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at most"), std::string::npos) << msg;
}

TEST(Reliability, TooManyPlannedIterationsAreRefused) {
  const Dataset train = bars(2000, 3);  // 2,000 iterations an epoch with batch 1: 2e9 in all
  Preprocess pre;
  Model a = Model::from_string(kNet);
  EXPECT_ERROR(Trainer(a, train, nullptr, pre, TrainConfig::from_json({{"epochs", 1000000}, {"batch", 1}})),
               "iterations");
}

// 6. The generator's state text: ours, the same on both builds, and the two library formats of
// earlier checkpoints still read.
TEST(Reliability, GeneratorIsMt19937AndItsStateIsPortable) {
  for (std::uint32_t seed : {0u, 1u, 42u, 4294967295u}) {
    Mt19937 ours(seed);
    std::mt19937 ref(seed);
    for (int i = 0; i < 5000; ++i) ASSERT_EQ(ours(), ref()) << "seed " << seed << " draw " << i;
  }
  Rng a(7);
  for (int i = 0; i < 1000; ++i) a.next_u32();
  a.normal();  // leaves a spare normal
  Rng b;
  b.set_state(a.state());
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(a.normal(), b.normal());
  EXPECT_EQ(a.state().rfind("mt19937 ", 0), 0u);

  // libstdc++'s text: the 624 words (twisted a block at a time) and the index. libc++ replaces one
  // word per draw: after 700 draws its words 0..75 are of the second block and 76..623 still of the
  // first, and it wrote them from word 76 on.
  std::mt19937 ref(99);
  for (int i = 0; i < 700; ++i) ref();
  Mt19937 copy(99);
  for (int i = 0; i < 624; ++i) copy();
  Mt19937 first = copy;
  for (int i = 624; i < 700; ++i) copy();
  ASSERT_EQ(copy.index(), 76);
  std::string stdcxx, libcxx;
  for (int k = 0; k < 624; ++k) stdcxx += std::to_string(copy.word(k)) + " ";
  stdcxx += std::to_string(copy.index()) + " 0 0";
  for (int k = 76; k < 624; ++k) libcxx += std::to_string(first.word(k)) + " ";
  for (int k = 0; k < 76; ++k) libcxx += std::to_string(copy.word(k)) + " ";
  libcxx += "0 0";
  for (const std::string& text : {stdcxx, libcxx}) {
    Rng r;
    r.set_state(text);
    std::mt19937 expect = ref;
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(r.next_u32(), static_cast<std::uint32_t>(expect()));
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "mt19937 1 2 3", "garbage", "mt19937 " + std::string(700, '9')}) {
    Rng r;
    EXPECT_FALSE(error_of([&] { r.set_state(bad); }).empty()) << bad.substr(0, 30);
  }
}

}  // namespace cnn::test
