// IDX files: round trip through a file and memory, every malformed case refused with a clear
// message, and the writer refusing inconsistent input.

#include "data_util.h"

namespace cnn::test {
namespace {

TEST(DataIdx, RoundTripFileAndMemory) {
  for (const auto& dims : std::vector<std::vector<std::size_t>>{{7}, {5, 3, 4}, {2, 3, 4, 5}, {0, 28, 28}}) {
    const Idx a = random_idx(dims, 3);
    TempFile f("roundtrip.idx");
    write_idx(f.path, a);
    const Idx b = read_idx(f.path);
    EXPECT_EQ(b.dims, a.dims);
    EXPECT_EQ(b.data, a.data);
    const std::vector<std::uint8_t> bytes = encode_idx(a);
    EXPECT_EQ(bytes.size(), 4 + 4 * dims.size() + a.data.size());
    EXPECT_EQ(bytes[2], 0x08);
    EXPECT_EQ(bytes[3], dims.size());
    const Idx c = parse_idx(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(c.dims, a.dims);
    EXPECT_EQ(c.data, a.data);
  }
  // Big-endian sizes.
  Idx big;
  big.dims = {258};
  big.data.assign(258, 1);
  const auto bytes = encode_idx(big);
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<std::uint8_t>{0, 0, 8, 1, 0, 0, 1, 2}));
}

TEST(DataIdx, MalformedInputsNameTheProblem) {
  auto parse = [](const std::vector<std::uint8_t>& b) {
    return error_of([&] { parse_idx(b.data(), b.size(), "bad.idx"); });
  };
  std::string m = parse({0, 0});
  EXPECT_HAS(m, "bad.idx");
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "2 bytes");

  m = parse({});
  EXPECT_HAS(m, "truncated");

  m = parse({0x01, 0x00, 0x08, 0x01, 0, 0, 0, 0});
  EXPECT_HAS(m, "wrong magic");
  EXPECT_HAS(m, "0x01 0x00");

  m = parse({0x1F, 0x8B, 0x08, 0x00, 1, 2, 3, 4, 5, 6});
  EXPECT_HAS(m, "gzip");

  auto h = header(0x0D, {2, 2});
  h.resize(h.size() + 16);
  m = parse(h);
  EXPECT_HAS(m, "unsupported data type 0x0D (float32)");

  m = parse(header(0x42, {1}));
  EXPECT_HAS(m, "unknown data type code 0x42");

  m = parse({0, 0, 8, 0});
  EXPECT_HAS(m, "bad dimension count 0");
  m = parse({0, 0, 8, 9});
  EXPECT_HAS(m, "bad dimension count 9");

  m = parse({0, 0, 8, 3, 0, 0, 0, 1, 0, 0});
  EXPECT_HAS(m, "truncated header");
  EXPECT_HAS(m, "16 header bytes");
  EXPECT_HAS(m, "10 bytes");

  h = header(0x08, {10, 28, 28});
  h.resize(h.size() + 100);
  m = parse(h);
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "10x28x28 = 7840 bytes");
  EXPECT_HAS(m, "only 100 bytes follow");

  h = header(0x08, {2, 2});
  h.resize(h.size() + 4 + 3);
  m = parse(h);
  EXPECT_HAS(m, "size mismatch");
  EXPECT_HAS(m, "3 extra");

  // A corrupt header claiming 2^96 bytes: refused before any allocation.
  h = header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
  h.resize(h.size() + 10);
  m = parse(h);
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "4294967295x4294967295x4294967295");
  h = header(0x08, {60000, 28, 28});
  m = parse(h);
  EXPECT_HAS(m, "47040000 bytes");
  EXPECT_HAS(m, "only 0 bytes follow");

  // From files: the path is in the message.
  m = error_of([] { read_idx(temp_path("does_not_exist.idx")); });
  EXPECT_HAS(m, "cannot open");
  EXPECT_HAS(m, "does_not_exist.idx");
  TempFile f("truncated.idx");
  h = header(0x08, {60000, 28, 28});
  h.resize(h.size() + 1000);
  write_bytes(f.path, h);
  m = error_of([&] { read_idx(f.path); });
  EXPECT_HAS(m, f.path);
  EXPECT_HAS(m, "only 1000 bytes follow (file size 1016)");
  write_bytes(f.path, {0x1F, 0x8B, 8, 0});
  EXPECT_HAS(error_of([&] { read_idx(f.path); }), "gzip-compressed");
  write_bytes(f.path, {0, 0});
  EXPECT_HAS(error_of([&] { read_idx(f.path); }), "truncated");
}

TEST(DataIdx, WriterRefusesInconsistentInput) {
  Idx x;
  x.dims = {2, 3};
  x.data.resize(5);
  EXPECT_HAS(error_of([&] { encode_idx(x); }), "2x3 = 6 bytes, but 5 bytes");
  x.dims = {};
  EXPECT_HAS(error_of([&] { encode_idx(x); }), "0 dimensions");
}

}  // namespace
}  // namespace cnn::test
