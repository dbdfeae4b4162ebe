// .npy files (NumPy's array format, versions 1.0, 2.0 and 3.0), float32 little-endian in C order only:
//
//   bytes 0-5   "\x93NUMPY"
//   byte 6      major version (1, 2 or 3), byte 7 minor version (0)
//   then        the header length L: uint16 little-endian (version 1) or uint32 (versions 2 and 3)
//   then        L bytes of header: a Python dict literal such as
//                 {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
//               padded with spaces and ended by '\n'
//   then        prod(shape) float32 values, little-endian, row-major
//
// `cnn predict --input` reads them and `--out` writes them. The reader is strict: the header must
// hold exactly the keys descr, fortran_order and shape; every dimension must be a whole number
// (28.5 is refused, not read as 28); the product of the dimensions must not overflow and must match
// the bytes that follow exactly. Every problem is a cnn::Error naming the file; sizes are checked
// against the real length of the input before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

struct Npy {
  std::vector<std::size_t> shape;  // () for a scalar
  std::vector<float> data;         // prod(shape) values
};

// Parses a .npy file held in memory; `name` is used in error messages.
Npy parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name = "<memory>");
Npy read_npy(const std::string& path);

// The .npy encoding (version 1.0, '<f4', C order) of prod(shape) floats at `data`.
std::vector<std::uint8_t> encode_npy(const std::vector<std::size_t>& shape, const float* data);
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data);

}  // namespace cnn
