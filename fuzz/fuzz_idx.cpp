// IDX files (src/data/idx.h, MNIST's format: `cnn train --images/--labels`, the page's own data):
// parse_idx on arbitrary bytes, and read_idx (which reads the header apart from the data) on the
// same bytes in a file: both must agree. An accepted file must hold exactly prod(dims) bytes and
// encode_idx must give back the input.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "data/dataset.h"
#include "data/idx.h"
#include "fuzz_util.h"

namespace {

// The input in a file of this process (in /dev/shm when there is one: no disk writes).
const std::string& scratch_path() {
  static const std::string p = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/cnn_fuzz_idx_" +
                               std::to_string(static_cast<long>(getpid()));
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::init_once();
  bool parsed = false;
  cnn::Idx a;
  fuzz::expect_clean("parse_idx", [&] {
    a = cnn::parse_idx(data, size, "fuzz.idx");
    parsed = true;
    std::size_t count = 1;
    for (std::size_t d : a.dims) count *= d;
    FUZZ_CHECK(!a.dims.empty() && a.dims.size() <= 8);
    FUZZ_CHECK(a.data.size() == count);
    FUZZ_CHECK(cnn::encode_idx(a) == std::vector<std::uint8_t>(data, data + size));
  });

  // The file reader on the same bytes.
  {
    std::FILE* f = std::fopen(scratch_path().c_str(), "wb");
    FUZZ_CHECK(f != nullptr);
    FUZZ_CHECK(std::fwrite(data, 1, size, f) == size);
    std::fclose(f);
  }
  bool read = false;
  fuzz::expect_clean("read_idx", [&] {
    const cnn::Idx b = cnn::read_idx(scratch_path());
    read = true;
    FUZZ_CHECK(parsed && b.dims == a.dims && b.data == a.data);
  });
  FUZZ_CHECK(read == parsed);
  std::remove(scratch_path().c_str());

  // What training does next with an accepted file: images or labels of a dataset.
  if (parsed && a.dims.size() == 1) {
    fuzz::expect_clean("make_dataset (labels)", [&] {
      cnn::Idx images;
      images.dims = {a.dims[0], 1, 1};
      images.data.assign(a.dims[0], 7);
      const cnn::Dataset d = cnn::make_dataset(images, a);
      d.validate();
      for (int l : d.labels) FUZZ_CHECK(l >= 0 && l < d.num_classes);
    });
  } else if (parsed && (a.dims.size() == 3 || a.dims.size() == 4) && a.dims[0] <= 4096) {
    // (The bound: a zero-size image dimension lets dims[0] be anything; the labels below are real.)
    fuzz::expect_clean("make_dataset (images)", [&] {
      cnn::Idx labels;
      labels.dims = {a.dims[0]};
      for (std::size_t i = 0; i < a.dims[0]; ++i) labels.data.push_back(static_cast<std::uint8_t>(i % 10));
      const cnn::Dataset d = cnn::make_dataset(a, labels);
      d.validate();
      FUZZ_CHECK(d.n * d.sample_size() == d.pixels.size());
    });
  }
  return 0;
}
