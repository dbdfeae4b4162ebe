// Model descriptions (JSON text; Model::from_string, what `cnn summary --model x.json`, the page's
// model editor and Module.createModel use). An accepted description must give a model whose
// description() rebuilds the same model, and a small one must run a forward pass on one image.
#include <string>

#include "fuzz_util.h"
#include "nn/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::init_once();
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean("Model::from_string", [&] {
    cnn::Model m = cnn::Model::from_string(text);
    FUZZ_CHECK(m.size() >= 2);
    const std::int64_t params = m.param_count();
    FUZZ_CHECK(params >= 0 && m.macs() >= 0);
    m.summary_json();
    // The description round-trips.
    cnn::Model again(m.description());
    FUZZ_CHECK(again.param_count() == params);
    FUZZ_CHECK(again.output_shape() == m.output_shape());
    // Run the small ones (bounded work per input: the fuzzer wants thousands of runs per second).
    if (cnn::shape_size(m.input_shape()) <= 4096 && params <= (1 << 18) && m.macs() <= (1 << 20)) {
      cnn::Shape s = m.input_shape();
      s.insert(s.begin(), 1);
      cnn::Tensor x = cnn::zeros(s);
      for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 7) - 3.0f;
      const cnn::Tensor& y = m.forward(x, false);
      cnn::Shape want = m.output_shape();
      want.insert(want.begin(), 1);
      FUZZ_CHECK(cnn::shape_of(y) == want);
    }
  });
  return 0;
}
