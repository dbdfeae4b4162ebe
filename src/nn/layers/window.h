// Sliding windows (convolution and pooling) along one axis, as PyTorch, Keras and ONNX compute them:
//   out = floor((in + 2p - f) / s) + 1
// The notes' (W - F + 2P)/S + 1 is this formula when the division is exact. When it is not, the
// windows stop at the last one that fits, and the rows (or columns) after it are never read; with a
// stride larger than the window, rows between windows are skipped too. Such a layer is accepted (it
// is the standard ResNet and MobileNet downsampling: 3x3, stride 2, pad 1 on a 28x28 map), and
// `untiled_note` says which input rows and columns no window reads, so `cnn summary` and the
// network view can show it. Pooling has no ceil mode (PyTorch's ceil_mode=True): it is refused.
#pragma once

#include <string>
#include <vector>

namespace cnn {

struct AxisFit {
  int out = 0;              // output size
  std::vector<int> unread;  // input indices (0-based, padding excluded) that no window reads
};

// in, f (window), s (stride) >= 1, p (padding) >= 0, and in + 2p >= f.
AxisFit fit_axis(int in, int f, int s, int p);

// "" when every input row and column is read; otherwise one sentence for the layer's summary,
// e.g. "does not tile its 28x28 input: row 27 and column 27 are never read (floor((28 - 3)/2) + 1 = 13)".
std::string untiled_note(int H, int W, int fh, int fw, int sh, int sw, int ph, int pw, const AxisFit& h,
                         const AxisFit& w);

}  // namespace cnn
