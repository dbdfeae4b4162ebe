// The plane loop every windowed pooling kernel shares (internal to kernels/pool/).
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/loops.h"
#include "kernels/pool/pool.h"

namespace cnn::kernels {

inline bool is_2x2s2(const PoolGeom& g) { return g.FH == 2 && g.FW == 2 && g.SH == 2 && g.SW == 2; }

// 2x2 stride 2, backward: zeroes the inputs no window covers (the last row / column when H or W is
// odd).
inline void zero_uncovered_2x2(const PoolGeom& g, float* dxp) {
  if (g.W > 2 * g.OW)
    for (int h = 0; h < 2 * g.OH; ++h) std::fill(dxp + h * g.W + 2 * g.OW, dxp + (h + 1) * g.W, 0.0f);
  if (g.H > 2 * g.OH) std::fill(dxp + 2 * g.OH * g.W, dxp + g.H * g.W, 0.0f);
}

// Runs f(in, out) for each of `planes` planes, with in = p*H*W and out = p*OH*OW the offsets of
// plane p in the input (x, dx) and the output (y, dy): on the calling thread in plane order (the
// references), or with the planes spread over the thread pool (the fast kernels).
enum class PlaneThreads { one, pool };
template <class F>
void for_each_plane(const PoolGeom& g, int planes, PlaneThreads threads, F&& f) {
  const std::size_t in = static_cast<std::size_t>(g.H) * g.W, out = static_cast<std::size_t>(g.OH) * g.OW;
  auto run = [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) f(p * in, p * out);
  };
  if (threads == PlaneThreads::one)
    run(0, static_cast<std::size_t>(planes));
  else
    parallel_ranges(planes, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(in, 1)), run);
}

}  // namespace cnn::kernels
