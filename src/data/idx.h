// IDX files: the container format of MNIST (http://yann.lecun.com/exdb/mnist/).
//
//   offset 0   2 bytes   0x00 0x00
//   offset 2   1 byte    data type: 0x08 unsigned byte (the only type read here; 0x09 signed byte,
//                        0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64 are recognised and refused)
//   offset 3   1 byte    number of dimensions D (1..8 accepted)
//   offset 4   4*D bytes the size of each dimension, big-endian uint32
//   then       prod(sizes) bytes of data, row-major (the last dimension varies fastest)
//
// MNIST images are 3-D (count x rows x cols), labels 1-D (count). A 4-D file is read as N x C x H x W.
// The reader is strict: the file must hold exactly header + prod(sizes) bytes. Every problem
// (truncated, trailing bytes, wrong magic, gzip-compressed, unsupported type, zero dimensions)
// is a cnn::Error naming the file and the expected versus actual sizes. Sizes are checked against
// the real length of the input before anything is allocated, so a corrupt header cannot cause a
// huge allocation. gzip-compressed files (.gz) are recognised by their magic bytes and refused with
// a message saying so: there is no zlib in the WebAssembly build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

struct Idx {
  std::vector<std::size_t> dims;   // e.g. {60000, 28, 28}
  std::vector<std::uint8_t> data;  // prod(dims) bytes, row-major
};

// "60000x28x28".
std::string idx_dims_str(const std::vector<std::size_t>& dims);

// Parses an IDX file held in memory (the wasm build receives the bytes from JavaScript).
// `name` is used in error messages.
Idx parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name = "<memory>");
// Reads an IDX file from disk.
Idx read_idx(const std::string& path);

// The IDX encoding of `idx` (type 0x08). Throws when data.size() != prod(dims), when a
// dimension does not fit in 32 bits or when there are 0 or more than 8 dimensions.
std::vector<std::uint8_t> encode_idx(const Idx& idx);
void write_idx(const std::string& path, const Idx& idx);

}  // namespace cnn
