// Lowering a convolution to a GEMM: the input's windows copied out as the columns (im2col) or rows
// (im2row) of a matrix, and the adjoint scatter (col2im). Plain loops; tests/kernels/test_conv.cpp
// checks them against direct indexing.
#pragma once

#include "kernels/conv/geom.h"

namespace cnn::kernels {

// col[(c*FH + i)*FW + j][oh*OW + ow] = x[c][oh*SH - PH + i][ow*SW - PW + j] (0 outside).
// ldcol is the row stride of col (OH*OW for one image; larger when several images share a col
// matrix side by side).
void im2col_f32(const ConvGeom& g, const float* x, float* col, int ldcol);
// The transpose, one row per output pixel: rows[oh*OW + ow][(c*FH + i)*FW + j] (for dW = dY * rows,
// whose GEMM then packs B with vector loads instead of a strided gather).
void im2row_f32(const ConvGeom& g, const float* x, float* rows);
// The same from a zero-padded copy of the image (pad_image_f32 writes its interior; the borders
// must be zero), {C, H + 2*PH, W + 2*PW}: no bounds checks, vector copies of the filter rows.
void pad_image_f32(const ConvGeom& g, const float* x, float* xpad);
void im2row_padded_f32(const ConvGeom& g, const float* xpad, float* rows);
// The adjoint of im2col: dx += scatter(dcol).
void col2im_add_f32(const ConvGeom& g, const float* dcol, int ldcol, float* dx);

}  // namespace cnn::kernels
