// What the engine accepts from outside, in one place. Every size read from a model description, a
// model file, a data file or a shared link is checked against these before anything is allocated,
// and every size product is computed in 64 bits: in the wasm build size_t has 32 bits, so a product
// such as 65536 x 65536 would otherwise wrap to 0 and the kernels would read out of bounds.
//
//   kMaxDim             one size of a layer or a shape: units, filters, groups, kernel, stride, padding,
//                       C/H/W of the input, the batch. 65,536 is far above any network of this engine's
//                       kind and keeps every per-axis sum (H + 2P, F * F ...) inside an int.
//   kMaxTensorElements  one tensor (a batch's activations, a weight matrix): 2^29 floats, 2 GiB. Kernels
//                       index with int, and 2^29 leaves room for offsets of twice that.
//   kMemoryBytes        what one model may use: parameters, gradients and optimizer state, and the
//                       activations and their gradients of one batch. 2 GiB in wasm (the module's
//                       memory cannot grow past it), 64 GiB natively.
//   kMaxJsonDepth       nesting of any JSON read from outside. Model descriptions and file headers nest
//                       about 6 deep; the parsers and the code that walks documents recurse per level.
#pragma once

#include <cstdint>
#include <string>

namespace cnn {

constexpr std::int64_t kMaxDim = 65536;
constexpr std::uint64_t kMaxTensorElements = std::uint64_t{1} << 29;
#ifdef __EMSCRIPTEN__
constexpr std::uint64_t kMemoryBytes = std::uint64_t{2} << 30;
#else
constexpr std::uint64_t kMemoryBytes = std::uint64_t{64} << 30;
#endif
constexpr int kMaxJsonDepth = 64;

// a * b, saturating at UINT64_MAX instead of wrapping.
inline std::uint64_t mul_sat(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
inline std::uint64_t add_sat(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

// "17.2 GB", "512 MB", "3.1 kB" (powers of 1000, as a person reads them).
std::string bytes_str(std::uint64_t bytes);

}  // namespace cnn
