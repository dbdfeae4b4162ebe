// The geometry of one image's convolution, shared by every kernel in kernels/conv/.
#pragma once

namespace cnn::kernels {

// C channels of H x W, filter FH x FW, stride SH x SW, zero padding PH x PW, output OH x OW
// (OH = (H + 2 PH - FH) / SH + 1, rounded down; likewise OW).
struct ConvGeom {
  int C, H, W, FH, FW, SH, SW, PH, PW, OH, OW;
};

inline bool operator==(const ConvGeom& a, const ConvGeom& b) {
  return a.C == b.C && a.H == b.H && a.W == b.W && a.FH == b.FH && a.FW == b.FW && a.SH == b.SH && a.SW == b.SW &&
         a.PH == b.PH && a.PW == b.PW && a.OH == b.OH && a.OW == b.OW;
}
inline bool operator!=(const ConvGeom& a, const ConvGeom& b) { return !(a == b); }

}  // namespace cnn::kernels
