// .npy files (src/io/npy.h, `cnn predict --input`): parse_npy on arbitrary bytes. An accepted file
// must hold exactly prod(shape) values and survive encode_npy -> parse_npy bit for bit.
#include <cstring>

#include "fuzz_util.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::init_once();
  fuzz::expect_clean("parse_npy", [&] {
    const cnn::Npy n = cnn::parse_npy(data, size, "fuzz.npy");
    std::size_t count = 1;
    for (std::size_t d : n.shape) count *= d;  // cannot wrap: parse_npy refused such shapes
    FUZZ_CHECK(n.data.size() == count);
    FUZZ_CHECK(count * 4 <= size);
    const auto again = cnn::encode_npy(n.shape, n.data.data());
    const cnn::Npy m = cnn::parse_npy(again.data(), again.size(), "round trip");
    FUZZ_CHECK(m.shape == n.shape);
    FUZZ_CHECK(m.data.size() == n.data.size());
    FUZZ_CHECK(count == 0 || std::memcmp(m.data.data(), n.data.data(), 4 * count) == 0);
  });
  return 0;
}
