// .npy files (src/io/npy.h): the writer's output read back bit for bit, headers as NumPy writes
// them (versions 1.0-3.0, any key order), and every malformed header or size refused with a
// cnn::Error saying what is wrong, never read approximately (a dimension 28.5 is not 28).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io/npy.h"
#include "test_util.h"

namespace cnn::test {
namespace {

// A version-1.0 (or 2.0 / 3.0) file with this header text (padded as NumPy pads it) and `floats`
// float32 values 0, 1, 2, ...
std::vector<std::uint8_t> npy_file(std::string header, std::size_t floats, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::vector<std::uint8_t> b{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < len_bytes; ++i) b.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  for (std::size_t i = 0; i < floats; ++i) {
    const float f = static_cast<float>(i);
    std::uint8_t u[4];
    std::memcpy(u, &f, 4);
    b.insert(b.end(), u, u + 4);
  }
  return b;
}

std::string shape_header(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

Npy parse(const std::vector<std::uint8_t>& b) { return parse_npy(b.data(), b.size(), "x.npy"); }

// parse() throws a cnn::Error whose message contains `want`.
void expect_refused(const std::vector<std::uint8_t>& b, const std::string& want) {
  try {
    const Npy n = parse(b);
    ADD_FAILURE() << "accepted, shape " << shape_str(n.shape) << "; expected an error containing '" << want << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("x.npy"), std::string::npos) << e.what();
  }
}

TEST(DataNpy, RoundTripMemoryAndFile) {
  for (const std::vector<std::size_t>& shape :
       {std::vector<std::size_t>{}, {5}, {2, 3}, {2, 1, 3, 4}, {0}, {3, 0, 2}}) {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) * -0.37f + 1e-30f;
    const auto bytes = encode_npy(shape, x.data());
    EXPECT_EQ(bytes.size() % 64, n * 4 % 64) << "the header is padded to 64 bytes";
    const Npy back = parse(bytes);
    EXPECT_EQ(back.shape, shape);
    ASSERT_EQ(back.data.size(), n);
    if (n) EXPECT_EQ(std::memcmp(back.data.data(), x.data(), n * 4), 0);  // data() may be null when empty
  }
  const std::string path = ::testing::TempDir() + "/cnn_npy_" + std::to_string(static_cast<long>(getpid())) + ".npy";
  const std::vector<float> x{1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  write_npy(path, {2, 3}, x.data());
  const Npy back = read_npy(path);
  std::remove(path.c_str());
  EXPECT_EQ(back.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(back.data, x);
}

TEST(DataNpy, ReadsHeadersAsNumPyWritesThem) {
  // NumPy's own spelling, another key order, no trailing comma, versions 2.0 and 3.0, spaces.
  EXPECT_EQ(parse(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 6)).shape,
            (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(parse(npy_file("{'shape': (4,), 'fortran_order': False, 'descr': '<f4'}", 4)).shape,
            (std::vector<std::size_t>{4}));
  EXPECT_EQ(parse(npy_file(shape_header("(2, 2)"), 4, 2)).shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(parse(npy_file(shape_header("(1,1,2)"), 2, 3)).shape, (std::vector<std::size_t>{1, 1, 2}));
  EXPECT_EQ(parse(npy_file("{ \"descr\" : \"<f4\" , \"fortran_order\" : False , \"shape\" : ( 3 , ) }", 3)).shape,
            (std::vector<std::size_t>{3}));
  EXPECT_EQ(parse(npy_file(shape_header("()"), 1)).shape, (std::vector<std::size_t>{}));
  const Npy v = parse(npy_file(shape_header("(3,)"), 3));
  EXPECT_EQ(v.data, (std::vector<float>{0.0f, 1.0f, 2.0f}));
}

// Regression: the old reader took strtoll's prefix of each
// dimension and accepted 28.5 as 28, "1e3" as 1, "abc" as 0.
TEST(DataNpy, RefusesDimensionsThatAreNotWholeNumbers) {
  expect_refused(npy_file(shape_header("(1, 1, 28.5, 28)"), 784), "28.5");
  expect_refused(npy_file(shape_header("(1, 1, 28.0, 28)"), 784), "28.0");
  expect_refused(npy_file(shape_header("(1e3,)"), 1000), "1e3");
  expect_refused(npy_file(shape_header("(abc,)"), 0), "abc");
  expect_refused(npy_file(shape_header("(-1,)"), 0), "-1");
  expect_refused(npy_file(shape_header("(3 4,)"), 12), "3 4");
  expect_refused(npy_file(shape_header("(3,,4)"), 12), "shape");
  expect_refused(npy_file(shape_header("(,)"), 0), "shape");
  expect_refused(npy_file(shape_header("(0x10,)"), 16), "0x10");
  expect_refused(npy_file(shape_header("[2, 3]"), 6), "shape");
  expect_refused(npy_file(shape_header("(99999999999999999999999,)"), 0), "99999999999999999999999");
}

// Regression (fuzz target fuzz_npy): the old reader multiplied before checking, so 2^24 x 2^40 wrapped
// to 0 and a file with no data was read as a [16777216, 1099511627776] array with zero values.
TEST(DataNpy, RefusesShapesWhoseSizeOverflows) {
  expect_refused(npy_file(shape_header("(16777216, 1099511627776)"), 0), "16777216");
  expect_refused(npy_file(shape_header("(4294967296, 4294967296)"), 0), "4294967296");
  expect_refused(npy_file(shape_header("(4611686018427387904,)"), 0), "4611686018427387904");
  expect_refused(npy_file(shape_header("(0, 18446744073709551615)"), 0), "18446744073709551615");
  // Sizes that do not overflow but are not in the file.
  expect_refused(npy_file(shape_header("(1000000000, 1000)"), 0), "too large");
  expect_refused(npy_file(shape_header("(1000, 1000)"), 0), "needs 4000000 bytes");
}

TEST(DataNpy, RefusesMalformedHeaders) {
  expect_refused({}, "no NumPy magic");
  expect_refused(npy_file(shape_header("(1,)"), 1, 4), "version 4");
  expect_refused(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 1), "'>f4'");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 2), "'<f8'");
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 1), "Fortran");
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': Falsehood, 'shape': (1,), }", 1), "fortran_order");
  expect_refused(npy_file("{'descr': '<f4', 'shape': (1,), }", 1), "fortran_order");
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 1), "'x'");
  expect_refused(npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 1), "twice");
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) junk", 1), "header");
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", 1), "header");
  expect_refused(npy_file("{'descr': '<f4 , 'fortran_order': False, 'shape': (1,)}", 1), "'<f4 , '");
  expect_refused(npy_file("{'fortran_order': False, 'shape': (1,), 'descr': '<f4'", 1), "header");
  // The old reader found the keys anywhere, even inside another value.
  expect_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shapes': \"'shape': (1,)\"}", 1), "shape");
  // A version 2.0 header length past the end of the file.
  auto b = npy_file(shape_header("(1,)"), 1, 2);
  b[11] = 0xFF;
  expect_refused(b, "truncated header");
  // The minor version must be 0.
  b = npy_file(shape_header("(1,)"), 1);
  b[7] = 1;
  expect_refused(b, "version 1.1");
}

TEST(DataNpy, RefusesEveryTruncationAndTrailingBytes) {
  const auto full = npy_file(shape_header("(2, 3)"), 6);
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(parse(cut), Error) << n << " bytes";
  }
  auto longer = full;
  longer.push_back(0);
  expect_refused(longer, "needs 24 bytes of data, the file has 25");
}

TEST(DataNpy, WriterRefusesWhatItCannotWrite) {
  const float x = 0;
  EXPECT_THROW(encode_npy({std::numeric_limits<std::size_t>::max(), 2}, &x), Error);
  EXPECT_THROW(encode_npy({static_cast<std::size_t>(kMaxTensorElements), 4}, &x), Error);
}

}  // namespace
}  // namespace cnn::test
