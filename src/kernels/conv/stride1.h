// A stride-1 correlation without im2col, for one image (or group):
//   out[M][OH][OW] = sum over (c, i, j) of w[M][c][i][j] * x[c][oh - PH + i][ow - PW + j].
// The image is copied once into a zero-padded buffer of width Wp = W + 2 PW; computed at that
// width, the "col" row of (c, i, j) is the padded input itself from offset c*Hp*Wp + i*Wp + j
// (stride1_row_offsets), which the GEMM reads in place (gemm_f32_brows). The 2 PW extra columns of
// each output row are computed and dropped. Per element, the same products are summed in the same
// order as im2col + GEMM, so the result is the same to the bit.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/conv/geom.h"

namespace cnn::kernels {

// Floats of the padded image, plus a tail that the last row's taps overrun (FW).
std::size_t stride1_padded(const ConvGeom& g);
// Floats of correlate_stride1_f32's workspace for M filters: the padded image, then the wide output.
std::size_t stride1_workspace(const ConvGeom& g, int M);
// rows[(c*FH + i)*FW + j] = the offset of row (c, i, j) in the padded image (C*FH*FW entries).
void stride1_row_offsets(const ConvGeom& g, std::ptrdiff_t* rows);
// ws: stride1_workspace(g, M) floats whose first stride1_padded(g) are zero on the first call and
// stay so between calls but for the interior this writes. w {M, C, FH, FW}; x {C, H, W};
// out {M, OH, OW}; rows from stride1_row_offsets(g).
void correlate_stride1_f32(const ConvGeom& g, int M, const float* w, const float* x, const std::ptrdiff_t* rows,
                           float* ws, float* out);

}  // namespace cnn::kernels
