// The convolution's algorithms and the choice between them (conv2d.h).
//
// Which algorithm, by shape (each is checked against PyTorch, by gradient checks, and against the
// direct loops of conv2d_*_scalar in tests/kernels/test_conv.cpp):
//   depthwise (one input channel per group): direct loops, depthwise_*;
//   pointwise (1x1, stride 1, no padding): GEMM straight on the input, no im2col copy;
//   general, forward and dx: threads take contiguous ranges of images; per image, im2col into
//   the thread's own workspace and one GEMM straight into (or out of) the image's planes;
//   general, dW: im2row (from a zero-padded copy of each image) over chunks of images
//   (kRowsPerChunk output pixels), one GEMM per chunk with a long K whose B operand packs with
//   vector loads; threads take whole chunks and the chunks' partial sums are added in order.
// Measured in Node's V8 (st build, batch 64, best of 6 runs in one process) against im2col + GEMM
// over chunks of images with gather/scatter copies for all three: NetA training 3731 -> 4254
// img/s, inference 10721 -> 12663 img/s, one-image latency 0.094 -> 0.080 ms; NetB training 555 ->
// 556, inference 1687 -> 1781.
//   stride 1, forward and dx: no im2col (correlate_stride1_f32), for (W + 2P)/W more GEMM work.
//   stride 1, dW: no im2row (the padded input read in place by gemm_f32_arows; with C = 1, few taps:
//   conv_filter_grad_taps_f32).
#include "kernels/conv/conv2d.h"

#include <algorithm>

#include "core/parallel.h"
#include "kernels/conv/depthwise.h"
#include "kernels/conv/filter_grad.h"
#include "kernels/conv/lowering.h"
#include "kernels/conv/stride1.h"
#include "kernels/gemm/gemm.h"

namespace cnn::kernels {

const char* conv_algo_name(ConvAlgo a) {
  switch (a) {
    case ConvAlgo::depthwise:
      return "depthwise";
    case ConvAlgo::pointwise:
      return "pointwise";
    case ConvAlgo::stride1:
      return "stride1";
    case ConvAlgo::stride1_taps:
      return "stride1_taps";
    case ConvAlgo::lowered:
      return "lowered";
  }
  return "?";
}

Conv2dPlan conv2d_plan(const ConvGeom& g, int groups, int filters) {
  Conv2dPlan p{g, groups, filters, ConvAlgo::lowered, ConvAlgo::lowered, ConvAlgo::lowered};
  const bool s1 = g.SH == 1 && g.SW == 1;
  if (g.C == 1 && groups > 1) {
    p.forward = p.filter_grad = p.input_grad = ConvAlgo::depthwise;
  } else if (g.FH == 1 && g.FW == 1 && s1 && g.PH == 0 && g.PW == 0) {
    p.forward = p.filter_grad = p.input_grad = ConvAlgo::pointwise;
  } else if (s1) {
    p.forward = ConvAlgo::stride1;
    p.filter_grad = g.C == 1 ? ConvAlgo::stride1_taps : ConvAlgo::stride1;
    // dx as a stride-1 correlation needs the padding of dY, F - 1 - P, not to be negative.
    if (g.PH < g.FH && g.PW < g.FW) p.input_grad = ConvAlgo::stride1;
  }
  return p;
}

namespace {

constexpr int kRowsPerChunk = 2048;

// Threads take contiguous ranges of the N images; each thread gets `per` floats of `ws` of its own,
// which `start(w)` prepares once and `f(n, w)` uses for image n.
template <class Start, class F>
void per_image(int N, std::size_t per, std::vector<float>& ws, Start&& start, F&& f) {
  const int T = std::min(N, num_threads());
  ws.resize(per * static_cast<std::size_t>(T));
  parallel_for(T, [&](int t) {
    float* w = ws.data() + per * static_cast<std::size_t>(t);
    start(w);
    for (int n = N * t / T; n < N * (t + 1) / T; ++n) f(n, w);
  });
}
void nothing(float*) {}

// The row offsets of stride1_row_offsets(g), recomputed only when the geometry changes.
const std::ptrdiff_t* row_offsets(const ConvGeom& g, std::vector<std::ptrdiff_t>& rows, ConvGeom& rows_for) {
  const std::size_t ckk = static_cast<std::size_t>(g.C) * g.FH * g.FW;
  if (rows.size() != ckk || rows_for != g) {
    rows.resize(ckk);
    stride1_row_offsets(g, rows.data());
    rows_for = g;
  }
  return rows.data();
}

}  // namespace

void conv2d_forward_f32(const Conv2dPlan& p, int N, const float* x, const float* w, float* y, Conv2dWorkspace& ws) {
  const ConvGeom& g = p.g;
  const int kg = p.filters / p.groups, ckk = g.C * g.FH * g.FW, ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
  const std::ptrdiff_t xs = static_cast<std::ptrdiff_t>(p.groups) * chw,
                       ys = static_cast<std::ptrdiff_t>(p.filters) * ohw;
  switch (p.forward) {
    case ConvAlgo::depthwise: {
      ConvGeom gd = g;
      gd.C = p.groups;
      for (int n = 0; n < N; ++n) depthwise_forward_f32(gd, kg, x + n * xs, w, y + n * ys);
      return;
    }
    case ConvAlgo::pointwise:
      for (int n = 0; n < N; ++n)
        for (int gi = 0; gi < p.groups; ++gi)
          gemm_f32(false, false, kg, ohw, ckk, w + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk,
                   x + n * xs + gi * chw, ohw, 0.0f, y + n * ys + gi * kg * ohw, ohw);
      return;
    case ConvAlgo::stride1: {
      // Stride 1: no im2col (correlate_stride1_f32), for (W + 2P)/W more GEMM work. Measured in
      // Node's V8 (st build, batch 64, best of 5): NetA inference 12221 -> 16951 img/s, training
      // 4104 -> 4610, latency 0.081 -> 0.058 ms; NetB (no padding, 64 filters) the same within the
      // noise of the run. Per element, the same products are summed in the same order as im2col +
      // GEMM, so the result is the same to the bit.
      const std::ptrdiff_t* rows = row_offsets(g, ws.rows, ws.rows_for);
      const std::size_t padded = stride1_padded(g);
      per_image(
          N, stride1_workspace(g, kg), ws.col, [&](float* b) { std::fill(b, b + padded, 0.0f); },
          [&](int n, float* b) {
            for (int gi = 0; gi < p.groups; ++gi)
              correlate_stride1_f32(g, kg, w + static_cast<std::ptrdiff_t>(gi) * kg * ckk, x + n * xs + gi * chw, rows,
                                    b, y + n * ys + gi * kg * ohw);
          });
      return;
    }
    default:
      per_image(N, static_cast<std::size_t>(ckk) * ohw, ws.col, nothing, [&](int n, float* col) {
        for (int gi = 0; gi < p.groups; ++gi) {
          im2col_f32(g, x + n * xs + gi * chw, col, ohw);
          gemm_f32(false, false, kg, ohw, ckk, w + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk, col, ohw, 0.0f,
                   y + n * ys + gi * kg * ohw, ohw);
        }
      });
      return;
  }
}

namespace {

// dW[kg x ckk] += sum over images of dY_n[kg x ohw] * rows_n[ohw x ckk]. The batch is cut into
// chunks of nb images, by shape alone, each summed into a partial of its own. Threads take whole
// chunks (each with its own workspaces: one synchronisation per layer, not per chunk), and the
// partials are added to dW in chunk order, so the result does not depend on the number of
// threads.
// Stride 1: no im2row. Per image, dWᵀ[ckk x kg] += X[ckk x wide] * dYᵀ, where X's row (c, i, j)
// is the padded input itself from rows[(c, i, j)] (as in the forward) and dY is laid out at the
// padded width with zeros in the extra columns; the GEMM reads X in place (gemm_f32_arows), or with
// one input channel the few-taps kernel does (conv_filter_grad_taps_f32). The partials are then
// dWᵀ. Otherwise, per chunk, one GEMM dY[kg x nb*ohw] * rows over im2row.
void filter_grad(const Conv2dPlan& p, int N, const float* x, const float* dy, float* dweight, Conv2dWorkspace& ws) {
  const ConvGeom& g = p.g;
  const int kg = p.filters / p.groups, ckk = g.C * g.FH * g.FW, ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
  const std::ptrdiff_t xs = static_cast<std::ptrdiff_t>(p.groups) * chw,
                       ys = static_cast<std::ptrdiff_t>(p.filters) * ohw;
  const bool s1 = p.filter_grad != ConvAlgo::lowered, taps = p.filter_grad == ConvAlgo::stride1_taps;
  const int Wp = g.W + 2 * g.PW, wide = g.OH * Wp;
  // Stride 1 sums image by image, so its chunks only need to be many enough to share out evenly
  // (16: 8 + 8 on two threads, where NetA's conv2 had 7 chunks of 10 images, 4 + 3); im2row
  // wants long GEMMs, kRowsPerChunk output pixels.
  const int nb = s1 ? (N + 15) / 16 : std::min(N, std::max(1, kRowsPerChunk / ohw)), chunks = (N + nb - 1) / nb;
  const int T = std::min(chunks, num_threads());
  const std::size_t pad_size = s1 ? stride1_padded(g) : static_cast<std::size_t>(g.C) * (g.H + 2 * g.PH) * Wp,
                    rows_size = s1 ? 0 : static_cast<std::size_t>(nb) * ohw * ckk,
                    dy_size = s1 ? static_cast<std::size_t>(kg) * wide : static_cast<std::size_t>(kg) * nb * ohw,
                    wsize = static_cast<std::size_t>(kg) * ckk, per = pad_size + rows_size + dy_size,
                    all = wsize * static_cast<std::size_t>(p.groups);
  const std::ptrdiff_t* xrows = s1 ? row_offsets(g, ws.rows, ws.rows_for) : nullptr;
  ws.col.resize(per * static_cast<std::size_t>(T));
  ws.partials.resize(all * static_cast<std::size_t>(chunks));
  parallel_for(T, [&](int t) {
    float* xp = ws.col.data() + per * static_cast<std::size_t>(t);
    float* rows = xp + pad_size;
    float* dyc = rows + rows_size;
    // The borders stay zero (pad_image_f32 writes the interior), and so do the extra columns of
    // the wide dY.
    std::fill(xp, xp + per, 0.0f);
    for (int c = t; c < chunks; c += T) {
      const int n0 = c * nb, b = std::min(nb, N - n0), ld = b * ohw;
      for (int gi = 0; gi < p.groups; ++gi) {
        float* part = ws.partials.data() + static_cast<std::size_t>(c) * all + gi * wsize;
        for (int s = 0; s < b; ++s) {
          const float* dys = dy + (n0 + s) * ys + static_cast<std::ptrdiff_t>(gi * kg) * ohw;
          pad_image_f32(g, x + (n0 + s) * xs + gi * chw, xp);
          if (s1) {
            for (int k = 0; k < kg; ++k)
              for (int oh = 0; oh < g.OH; ++oh) {
                const float* src = dys + (k * g.OH + oh) * g.OW;
                float* dst = dyc + static_cast<std::ptrdiff_t>(k) * wide + oh * Wp;
                for (int e = 0; e < g.OW; ++e) dst[e] = src[e];
              }
            if (taps)  // few taps: direct, nothing packed
              conv_filter_grad_taps_f32(kg, ckk, wide, dyc, xp, xrows, s == 0 ? 0.0f : 1.0f, part, 1, kg);
            else
              gemm_f32_arows(true, ckk, kg, wide, xp, xrows, dyc, wide, s == 0 ? 0.0f : 1.0f, part, kg);
            continue;
          }
          for (int k = 0; k < kg; ++k) {  // dY of the chunk as one [kg x ld] matrix
            const float* src = dys + static_cast<std::ptrdiff_t>(k) * ohw;
            float* dst = dyc + static_cast<std::ptrdiff_t>(k) * ld + s * ohw;
            for (int e = 0; e < ohw; ++e) dst[e] = src[e];
          }
          im2row_padded_f32(g, xp, rows + static_cast<std::ptrdiff_t>(s) * ohw * ckk);
        }
        if (!s1) gemm_f32(false, false, kg, ckk, ld, dyc, ld, rows, ckk, 0.0f, part, ckk);
      }
    }
  });
  parallel_ranges(all, 1024, [&](std::size_t b, std::size_t e) {
    for (int c = 0; c < chunks; ++c) {
      const float* part = ws.partials.data() + static_cast<std::size_t>(c) * all;
      if (!s1) {
        for (std::size_t i = b; i < e; ++i) dweight[i] += part[i];
        continue;
      }
      for (std::size_t i = b; i < e; ++i) {  // the partial is dWᵀ of each group: [ckk x kg]
        const std::size_t gi = i / wsize, f = (i % wsize) / static_cast<std::size_t>(ckk),
                          k = i % static_cast<std::size_t>(ckk);
        dweight[i] += part[gi * wsize + k * static_cast<std::size_t>(kg) + f];
      }
    }
  });
}

}  // namespace

void conv2d_backward_f32(const Conv2dPlan& p, int N, const float* x, const float* w, const float* dy, float* dx,
                         float* dw, Conv2dWorkspace& ws) {
  const ConvGeom& g = p.g;
  const int kg = p.filters / p.groups, ckk = g.C * g.FH * g.FW, ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
  const std::ptrdiff_t xs = static_cast<std::ptrdiff_t>(p.groups) * chw,
                       ys = static_cast<std::ptrdiff_t>(p.filters) * ohw;
  if (p.filter_grad == ConvAlgo::depthwise) {
    ConvGeom gd = g;
    gd.C = p.groups;
    if (dx) std::fill(dx, dx + N * xs, 0.0f);
    for (int n = 0; n < N; ++n)
      depthwise_backward_f32(gd, kg, x + n * xs, w, dy + n * ys, dx ? dx + n * xs : nullptr, dw);
    return;
  }
  if (p.filter_grad == ConvAlgo::pointwise) {
    for (int n = 0; n < N; ++n)
      for (int gi = 0; gi < p.groups; ++gi) {
        const float* dyg = dy + n * ys + gi * kg * ohw;
        const float* wg = w + static_cast<std::ptrdiff_t>(gi) * kg * ckk;
        // dW[kg x C] += dY[kg x HW] * xᵀ;  dx[C x HW] = Wᵀ * dY
        gemm_f32(false, true, kg, ckk, ohw, dyg, ohw, x + n * xs + gi * chw, ohw, 1.0f,
                 dw + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk);
        if (dx) gemm_f32(true, false, ckk, ohw, kg, wg, ckk, dyg, ohw, 0.0f, dx + n * xs + gi * chw, ohw);
      }
    return;
  }
  filter_grad(p, N, x, dy, dw, ws);
  if (!dx) return;
  if (p.input_grad == ConvAlgo::stride1) {
    // Stride 1: dx is the correlation of dY, padded by F - 1 - P, with the filters turned by 180
    // degrees and their two channel axes swapped, which is a stride-1 forward (correlate_stride1_f32):
    // no col2im scatter. wflip[gi][c][(k*FH + i)*FW + j] = W[gi*kg + k][c][FH-1-i][FW-1-j].
    const int FH = g.FH, FW = g.FW;
    const ConvGeom gt{kg, g.OH, g.OW, FH, FW, 1, 1, FH - 1 - g.PH, FW - 1 - g.PW, g.H, g.W};
    const int kkk = kg * FH * FW;
    ws.wflip.resize(static_cast<std::size_t>(p.filters) * ckk);
    for (int gi = 0; gi < p.groups; ++gi)
      for (int c = 0; c < g.C; ++c)
        for (int k = 0; k < kg; ++k)
          for (int i = 0; i < FH; ++i)
            for (int j = 0; j < FW; ++j)
              ws.wflip[static_cast<std::size_t>((gi * g.C + c) * kkk + (k * FH + i) * FW + j)] =
                  w[(((gi * kg + k) * g.C + c) * FH + (FH - 1 - i)) * FW + (FW - 1 - j)];
    const std::ptrdiff_t* rows = row_offsets(gt, ws.rows_dx, ws.rows_dx_for);
    const std::size_t padded = stride1_padded(gt);
    per_image(
        N, stride1_workspace(gt, g.C), ws.dcol, [&](float* b) { std::fill(b, b + padded, 0.0f); },
        [&](int n, float* b) {
          for (int gi = 0; gi < p.groups; ++gi)
            correlate_stride1_f32(gt, g.C, ws.wflip.data() + static_cast<std::ptrdiff_t>(gi) * g.C * kkk,
                                  dy + n * ys + gi * kg * ohw, rows, b, dx + n * xs + gi * chw);
        });
    return;
  }
  // dx: per image, dcol[ckk x ohw] = Wᵀ * dY_n, scattered into the image's planes.
  std::fill(dx, dx + N * xs, 0.0f);
  per_image(N, static_cast<std::size_t>(ckk) * ohw, ws.dcol, nothing, [&](int n, float* dcol) {
    for (int gi = 0; gi < p.groups; ++gi) {
      gemm_f32(true, false, ckk, ohw, kg, w + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk,
               dy + n * ys + gi * kg * ohw, ohw, 0.0f, dcol, ohw);
      col2im_add_f32(g, dcol, ohw, dx + n * xs + gi * chw);
    }
  });
}

// The references: every output, tap and image in turn; taps in the padding are skipped.
namespace {
template <class F>
void each_tap(const Conv2dPlan& p, int N, F&& tap) {
  const ConvGeom& g = p.g;
  const int kg = p.filters / p.groups;
  for (int n = 0; n < N; ++n)
    for (int gi = 0; gi < p.groups; ++gi)
      for (int k = 0; k < kg; ++k)
        for (int oh = 0; oh < g.OH; ++oh)
          for (int ow = 0; ow < g.OW; ++ow)
            for (int c = 0; c < g.C; ++c)
              for (int i = 0; i < g.FH; ++i)
                for (int j = 0; j < g.FW; ++j) {
                  const int h = oh * g.SH - g.PH + i, v = ow * g.SW - g.PW + j;
                  if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                  const int f = gi * kg + k;
                  const std::ptrdiff_t yi = ((static_cast<std::ptrdiff_t>(n) * p.filters + f) * g.OH + oh) * g.OW + ow,
                                       xi = ((static_cast<std::ptrdiff_t>(n) * p.groups * g.C + gi * g.C + c) * g.H +
                                             h) *
                                                g.W +
                                            v,
                                       wi = ((static_cast<std::ptrdiff_t>(f) * g.C + c) * g.FH + i) * g.FW + j;
                  tap(xi, wi, yi);
                }
}
}  // namespace

void conv2d_forward_f32_scalar(const Conv2dPlan& p, int N, const float* x, const float* w, float* y) {
  std::fill(y, y + static_cast<std::ptrdiff_t>(N) * p.filters * p.g.OH * p.g.OW, 0.0f);
  each_tap(p, N, [&](std::ptrdiff_t xi, std::ptrdiff_t wi, std::ptrdiff_t yi) { y[yi] += w[wi] * x[xi]; });
}

void conv2d_backward_f32_scalar(const Conv2dPlan& p, int N, const float* x, const float* w, const float* dy, float* dx,
                                float* dw) {
  if (dx) std::fill(dx, dx + static_cast<std::ptrdiff_t>(N) * p.groups * p.g.C * p.g.H * p.g.W, 0.0f);
  each_tap(p, N, [&](std::ptrdiff_t xi, std::ptrdiff_t wi, std::ptrdiff_t yi) {
    if (dx) dx[xi] += w[wi] * dy[yi];
    dw[wi] += x[xi] * dy[yi];
  });
}

}  // namespace cnn::kernels
