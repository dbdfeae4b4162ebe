// Saved models and checkpoints (.cnn, src/io/serialize.h): what the command line does with
// `--model x.cnn` and `cnn train --resume x.cnn`, and the page with an uploaded file
// (Module.modelFileInfo, Module.loadModel, Training.restore):
//   model_file_info (the header only), decode_bundle + model_from_document (the weights), the saved
//   preprocessing applied to one image of the model's input, and for a checkpoint
//   TrainConfig::from_json + Trainer::restore on a small fixed data set, then two training steps.
// The seeds in fuzz/corpus/fuzz_cnn_file were written by `cnn train` on that same data set
// (fuzz/make_seeds.sh makes them), so that mutations reach restore and the training steps.
//
// Two kinds of input: a file as it is (it starts with CNNMODEL), or, to let mutations change the
// header's length (which a file states in its bytes 12-15, so that almost every edit of a real file
// only breaks the framing), "<header JSON>\0<blob>": the target frames it as a file first. Both go
// through the same parser; the seeds come in both kinds.
#include <cstring>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/preprocess.h"
#include "fuzz_util.h"
#include "io/serialize.h"
#include "train/trainer.h"

namespace {

// 8 images of the model's input shape (deterministic pixels), labels 0..classes-1 in turn: the shape
// of the data the seed checkpoints were trained on (fuzz/make_seeds.sh).
cnn::Dataset data_for(const cnn::Shape& in, std::size_t classes) {
  cnn::Dataset d;
  d.n = 8;
  d.c = in[0];
  d.h = in[1];
  d.w = in[2];
  d.num_classes = static_cast<int>(classes);
  d.pixels.resize(d.n * d.sample_size());
  for (std::size_t i = 0; i < d.pixels.size(); ++i) d.pixels[i] = static_cast<std::uint8_t>(i * 37 % 256);
  for (std::size_t i = 0; i < d.n; ++i) d.labels.push_back(static_cast<int>(i % classes));
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t input_size) {
  fuzz::init_once();
  std::vector<std::uint8_t> framed;
  const std::uint8_t* data = input;
  std::size_t size = input_size;
  if (size < 8 || std::memcmp(input, "CNNMODEL", 8) != 0) {
    const std::uint8_t* nul = static_cast<const std::uint8_t*>(std::memchr(input, 0, size));
    const std::size_t hlen = nul ? static_cast<std::size_t>(nul - input) : size;
    const std::size_t blob = nul ? (size - hlen - 1) / 4 * 4 : 0;
    framed = {'C', 'N', 'N', 'M', 'O', 'D', 'E', 'L', 1, 0, 0, 0};
    for (int i = 0; i < 4; ++i) framed.push_back(static_cast<std::uint8_t>(hlen >> (8 * i)));
    framed.insert(framed.end(), input, input + hlen);
    if (nul) framed.insert(framed.end(), nul + 1, nul + 1 + blob);
    data = framed.data();
    size = framed.size();
  }
  fuzz::expect_clean("model_file_info", [&] {
    const cnn::json info = cnn::model_file_info(data, size, "fuzz.cnn");
    FUZZ_CHECK(info.is_object() && info.contains("param_count"));
  });
  fuzz::expect_clean("load model / restore checkpoint", [&] {
    const cnn::json doc = cnn::decode_bundle(data, size, "fuzz.cnn");
    cnn::Model m = cnn::model_from_document(doc, "fuzz.cnn");
    const cnn::Shape in = m.input_shape();
    const std::size_t classes = cnn::shape_size(m.output_shape());
    // Bounded work per input (see fuzz_model_json.cpp).
    const bool small = in.size() == 3 && cnn::shape_size(in) <= 4096 && m.param_count() <= (1 << 18) &&
                       m.macs() <= (1 << 20) && classes >= 1 && classes <= 1000;
    if (!small) return;
    cnn::Preprocess pre;
    if (doc.contains("preprocess") && !doc.at("preprocess").is_null()) {
      pre = cnn::Preprocess::from_json(doc.at("preprocess"));
      cnn::Shape s = in;
      s.insert(s.begin(), 1);
      cnn::Tensor x = cnn::zeros(s);
      if (!pre.is_identity()) pre.apply(x);  // what cnn eval/predict do with a model file's preprocessing
    }
    if (!doc.contains("training")) return;
    const cnn::json& t = doc.at("training");
    if (!t.is_object() || !t.contains("config")) return;
    cnn::TrainConfig cfg = cnn::TrainConfig::from_json(t.at("config"));
    if (cfg.batch > 64) return;
    const cnn::Dataset train = data_for(in, classes);
    cnn::Trainer trainer(m, train, nullptr, pre, cfg);
    trainer.restore(t);
    FUZZ_CHECK(trainer.iteration() >= 0 && trainer.iteration() <= trainer.total_iterations());
    trainer.run(2);
    FUZZ_CHECK(trainer.iteration() <= trainer.total_iterations());
  });
  return 0;
}
