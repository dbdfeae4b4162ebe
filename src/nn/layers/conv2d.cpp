#include "nn/layers/conv2d.h"

#include "core/parallel.h"
#include "kernels/ops.h"
#include "nn/layers/window.h"

namespace cnn {

Conv2D::Conv2D(const json& cfg) {
  depthwise_ = cfg.value("type", "") == "depthwise_conv2d";
  const std::string where = type() + " layer";
  if (depthwise_) {
    multiplier_ = static_cast<int>(json_int(cfg, "multiplier", 1, where, 1, kMaxDim));
    if (multiplier_ < 1) throw Error(where + ": multiplier must be at least 1");
  } else {
    if (!cfg.contains("filters")) throw Error(where + ": 'filters' (the number of filters K) is required");
    filters_ = static_cast<int>(json_int(cfg, "filters", 0, where, 1, kMaxDim));
    groups_ = static_cast<int>(json_int(cfg, "groups", 1, where, 1, kMaxDim));
    if (groups_ < 1) throw Error(where + ": groups must be at least 1");
  }
  if (!cfg.contains("kernel")) throw Error(where + ": 'kernel' (the filter size F) is required");
  std::tie(fh_, fw_) = json_pair(cfg, "kernel", {0, 0}, where, 1, kMaxDim);
  std::tie(sh_, sw_) = json_pair(cfg, "stride", {1, 1}, where, 1, kMaxDim);
  std::tie(ph_, pw_) = json_pair(cfg, "pad", {0, 0}, where, 0, kMaxDim);
  use_bias_ = json_bool(cfg, "bias", true, where);
  if (fh_ < 1 || fw_ < 1) throw Error(where + ": kernel size must be at least 1");
  if (sh_ < 1 || sw_ < 1) throw Error(where + ": stride must be at least 1");
  if (ph_ < 0 || pw_ < 0) throw Error(where + ": padding must not be negative");
}

json Conv2D::config() const {
  json j{{"type", type()},
         {"kernel", json::array({fh_, fw_})},
         {"stride", json::array({sh_, sw_})},
         {"pad", json::array({ph_, pw_})},
         {"bias", use_bias_}};
  if (depthwise_)
    j["multiplier"] = multiplier_;
  else {
    j["filters"] = filters_;
    if (groups_ != 1) j["groups"] = groups_;
  }
  return j;
}

// The output size along one axis, floor((in - f + 2p)/s) + 1 (window.h); refused only when the filter
// is larger than the padded input.
int Conv2D::out_size(const char* axis, int in, int f, int s, int p, const Shape& input) const {
  if (in - f + 2 * p < 0)
    fail(std::string("the ") + std::to_string(f) + " filter " + axis + " is larger than the padded input " + axis +
         " " + std::to_string(in + 2 * p) + " (input " + shape_str(input) + ")");
  return (in - f + 2 * p) / s + 1;
}

Shape Conv2D::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  const int C = static_cast<int>(s[0]), H = static_cast<int>(s[1]), W = static_cast<int>(s[2]);
  if (depthwise_) {
    groups_ = C;
    filters_ = C * multiplier_;
  }
  if (C % groups_ != 0)
    fail("input channels " + std::to_string(C) + " are not divisible by groups " + std::to_string(groups_));
  if (filters_ % groups_ != 0)
    fail("filters " + std::to_string(filters_) + " are not divisible by groups " + std::to_string(groups_));
  const int OH = out_size("height", H, fh_, sh_, ph_, s);
  const int OW = out_size("width", W, fw_, sw_, pw_, s);
  note_ = untiled_note(H, W, fh_, fw_, sh_, sw_, ph_, pw_, fit_axis(H, fh_, sh_, ph_), fit_axis(W, fw_, sw_, pw_));
  // The workspaces of one image (the lowered input, the padded input) must fit one tensor too.
  const std::uint64_t lowered = mul_sat(mul_sat(static_cast<std::uint64_t>(C), static_cast<std::uint64_t>(fh_) * fw_),
                                        static_cast<std::uint64_t>(OH) * OW);
  const std::uint64_t padded = mul_sat(
      static_cast<std::uint64_t>(C), static_cast<std::uint64_t>(H + 2 * ph_) * static_cast<std::uint64_t>(W + 2 * pw_));
  if (lowered > kMaxTensorElements || padded > kMaxTensorElements)
    fail("one image's convolution workspace would need " + bytes_str(mul_sat(std::max(lowered, padded), 4)) +
         " (input " + shape_str(s) + ", " + std::to_string(fh_) + "x" + std::to_string(fw_) +
         " filters); this engine holds at most " + bytes_str(kMaxTensorElements * 4) + " in one tensor");
  g_ = {C / groups_, H, W, fh_, fw_, sh_, sw_, ph_, pw_, OH, OW};
  const Shape wshape{static_cast<std::size_t>(filters_), static_cast<std::size_t>(C / groups_),
                     static_cast<std::size_t>(fh_), static_cast<std::size_t>(fw_)};
  if (shape_of(weight) != wshape) weight = zeros(wshape);
  dweight = zeros(wshape);
  if (use_bias_) {
    if (shape_of(bias) != Shape{static_cast<std::size_t>(filters_)}) bias = zeros({static_cast<std::size_t>(filters_)});
    dbias = zeros({static_cast<std::size_t>(filters_)});
  }
  macs_ = static_cast<std::int64_t>(std::min<std::uint64_t>(
      mul_sat(mul_sat(static_cast<std::uint64_t>(filters_) * OH, static_cast<std::uint64_t>(OW) * (C / groups_)),
              static_cast<std::uint64_t>(fh_) * fw_),
      INT64_MAX));
  return {static_cast<std::size_t>(filters_), static_cast<std::size_t>(OH), static_cast<std::size_t>(OW)};
}

std::vector<Param> Conv2D::params() {
  const std::size_t fan_in = static_cast<std::size_t>(g_.C) * fh_ * fw_;
  std::vector<Param> p{{"weight", &weight, &dweight, ParamRole::weight, fan_in}};
  if (use_bias_) p.push_back({"bias", &bias, &dbias, ParamRole::bias, fan_in});
  return p;
}

// Paths (chosen by shape; each is checked against PyTorch and by gradient checks):
//   depthwise (one input channel per group): direct loops, kernels::depthwise_*;
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

// A stride-1 correlation without im2col, for one image (or group): out[M][OH][OW] = sum over
// (c, i, j) of w[M][c][i][j] * x[c][oh - PH + i][ow - PW + j]. The image is copied once into a
// zero-padded buffer of width Wp = W + 2 PW; computed at that width, the "col" row of (c, i, j)
// is the padded input itself from offset c*Hp*Wp + i*Wp + j (rows, stride1_rows), which the GEMM
// reads in place (gemm_f32_rows). The 2 PW extra columns of each output row are computed and
// dropped. ws: stride1_workspace(g, M) floats whose first stride1_padded(g) stay zero between
// calls but for the interior this writes (the borders, and a tail that the last row overruns).
std::size_t stride1_padded(const kernels::ConvGeom& g) {
  return static_cast<std::size_t>(g.C) * (g.H + 2 * g.PH) * (g.W + 2 * g.PW) + g.FW;
}
std::size_t stride1_workspace(const kernels::ConvGeom& g, int M) {
  return stride1_padded(g) + static_cast<std::size_t>(M) * g.OH * (g.W + 2 * g.PW);
}
void stride1_rows(const kernels::ConvGeom& g, std::vector<std::ptrdiff_t>& rows) {
  const std::size_t ckk = static_cast<std::size_t>(g.C) * g.FH * g.FW;
  if (rows.size() == ckk) return;
  rows.resize(ckk);
  const int Wp = g.W + 2 * g.PW, plane = (g.H + 2 * g.PH) * Wp;
  for (int c = 0; c < g.C; ++c)
    for (int i = 0; i < g.FH; ++i)
      for (int j = 0; j < g.FW; ++j)
        rows[static_cast<std::size_t>((c * g.FH + i) * g.FW + j)] = static_cast<std::ptrdiff_t>(c) * plane + i * Wp + j;
}
void correlate_stride1(const kernels::ConvGeom& g, int M, const float* w, const float* x,
                       const std::vector<std::ptrdiff_t>& rows, float* ws, float* out) {
  const int Wp = g.W + 2 * g.PW, wide = g.OH * Wp, ckk = g.C * g.FH * g.FW;
  float* yw = ws + stride1_padded(g);
  kernels::pad_image_f32(g, x, ws);
  kernels::gemm_f32_rows(false, M, wide, ckk, w, ckk, ws, rows.data(), 0.0f, yw, wide);
  for (int k = 0; k < M; ++k)
    for (int oh = 0; oh < g.OH; ++oh) {
      const float* r = yw + static_cast<std::ptrdiff_t>(k) * wide + oh * Wp;
      float* d = out + (k * g.OH + oh) * g.OW;
      for (int ow = 0; ow < g.OW; ++ow) d[ow] = r[ow];
    }
}
}  // namespace

bool Conv2D::pointwise() const { return fh_ == 1 && fw_ == 1 && sh_ == 1 && sw_ == 1 && ph_ == 0 && pw_ == 0; }

void Conv2D::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape_of(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(filters_), static_cast<std::size_t>(g_.OH),
                      static_cast<std::size_t>(g_.OW)});
  const int kg = filters_ / groups_, ckk = g_.C * fh_ * fw_, ohw = g_.OH * g_.OW, chw = g_.C * g_.H * g_.W;
  const std::ptrdiff_t xs = static_cast<std::ptrdiff_t>(groups_) * chw,
                       ys = static_cast<std::ptrdiff_t>(filters_) * ohw;
  if (g_.C == 1 && groups_ > 1) {
    for (int n = 0; n < N; ++n)
      kernels::depthwise_forward_f32({groups_, g_.H, g_.W, fh_, fw_, sh_, sw_, ph_, pw_, g_.OH, g_.OW}, kg,
                                     in.data() + n * xs, weight.data(), y.data() + n * ys);
  } else if (pointwise()) {
    for (int n = 0; n < N; ++n)
      for (int gi = 0; gi < groups_; ++gi)
        kernels::gemm_f32(false, false, kg, ohw, ckk, weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk,
                          in.data() + n * xs + gi * chw, ohw, 0.0f, y.data() + n * ys + gi * kg * ohw, ohw);
  } else if (sh_ == 1 && sw_ == 1) {
    // Stride 1: no im2col (correlate_stride1), for (W + 2P)/W more GEMM work. Measured in Node's
    // V8 (st build, batch 64, best of 5): NetA inference 12221 -> 16951 img/s, training 4104 ->
    // 4610, latency 0.081 -> 0.058 ms; NetB (no padding, 64 filters) the same within the noise of
    // the run. Per element, the same products are summed in the same order as im2col + GEMM, so
    // the result is the same to the bit.
    stride1_rows(g_, rows_);
    const std::size_t padded = stride1_padded(g_);
    per_image(
        N, stride1_workspace(g_, kg), col_, [&](float* ws) { std::fill(ws, ws + padded, 0.0f); },
        [&](int n, float* ws) {
          for (int gi = 0; gi < groups_; ++gi)
            correlate_stride1(g_, kg, weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk,
                              in.data() + n * xs + gi * chw, rows_, ws, y.data() + n * ys + gi * kg * ohw);
        });
  } else {
    per_image(N, static_cast<std::size_t>(ckk) * ohw, col_, nothing, [&](int n, float* col) {
      for (int gi = 0; gi < groups_; ++gi) {
        kernels::im2col_f32(g_, in.data() + n * xs + gi * chw, col, ohw);
        kernels::gemm_f32(false, false, kg, ohw, ckk, weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk,
                          col, ohw, 0.0f, y.data() + n * ys + gi * kg * ohw, ohw);
      }
    });
  }
  if (use_bias_) kernels::add_bias_planes_f32(y.data(), N, filters_, ohw, bias.data());
}

void Conv2D::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  const int kg = filters_ / groups_, ckk = g_.C * fh_ * fw_, ohw = g_.OH * g_.OW, chw = g_.C * g_.H * g_.W;
  const std::ptrdiff_t xs = static_cast<std::ptrdiff_t>(groups_) * chw,
                       ys = static_cast<std::ptrdiff_t>(filters_) * ohw;
  Tensor* din = dx.empty() ? nullptr : dx[0];
  if (din) ensure_same_shape(*din, in);  // written by every path below; zeroed first where they add
  if (use_bias_) kernels::bias_grad_planes_f32(dy.data(), N, filters_, ohw, dbias.data());
  if (g_.C == 1 && groups_ > 1) {
    if (din) din->fill(0.0f);
    for (int n = 0; n < N; ++n)
      kernels::depthwise_backward_f32({groups_, g_.H, g_.W, fh_, fw_, sh_, sw_, ph_, pw_, g_.OH, g_.OW}, kg,
                                      in.data() + n * xs, weight.data(), dy.data() + n * ys,
                                      din ? din->data() + n * xs : nullptr, dweight.data());
    return;
  }
  if (pointwise()) {
    for (int n = 0; n < N; ++n)
      for (int gi = 0; gi < groups_; ++gi) {
        const float* dyg = dy.data() + n * ys + gi * kg * ohw;
        const float* wg = weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk;
        // dW[kg x C] += dY[kg x HW] * xᵀ;  dx[C x HW] = Wᵀ * dY
        kernels::gemm_f32(false, true, kg, ckk, ohw, dyg, ohw, in.data() + n * xs + gi * chw, ohw, 1.0f,
                          dweight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk);
        if (din)
          kernels::gemm_f32(true, false, ckk, ohw, kg, wg, ckk, dyg, ohw, 0.0f, din->data() + n * xs + gi * chw, ohw);
      }
    return;
  }
  // dW[kg x ckk] += sum over images of dY_n[kg x ohw] * rows_n[ohw x ckk]. The batch is cut into
  // chunks of nb images, by shape alone, each summed into a partial of its own. Threads take whole
  // chunks (each with its own workspaces: one synchronisation per layer, not per chunk), and the
  // partials are added to dW in chunk order, so the result does not depend on the number of
  // threads.
  // Stride 1: no im2row. Per image, dWᵀ[ckk x kg] += X[ckk x wide] * dYᵀ, where X's row (c, i, j)
  // is the padded input itself from rows_[(c, i, j)] (as in the forward) and dY is laid out at the
  // padded width with zeros in the extra columns; the GEMM reads X in place (gemm_f32_arows). The
  // partials are then dWᵀ. Otherwise, per chunk, one GEMM dY[kg x nb*ohw] * rows over im2row.
  {
    const bool s1 = sh_ == 1 && sw_ == 1;
    const int Wp = g_.W + 2 * pw_, wide = g_.OH * Wp;
    // Stride 1 sums image by image, so its chunks only need to be many enough to share out evenly
    // (16: 8 + 8 on two threads, where NetA's conv2 had 7 chunks of 10 images, 4 + 3); im2row
    // wants long GEMMs, kRowsPerChunk output pixels.
    const int nb = s1 ? (N + 15) / 16 : std::min(N, std::max(1, kRowsPerChunk / ohw)), chunks = (N + nb - 1) / nb;
    const int T = std::min(chunks, num_threads());
    const std::size_t pad_size = s1 ? stride1_padded(g_) : static_cast<std::size_t>(g_.C) * (g_.H + 2 * ph_) * Wp,
                      rows_size = s1 ? 0 : static_cast<std::size_t>(nb) * ohw * ckk,
                      dy_size = s1 ? static_cast<std::size_t>(kg) * wide : static_cast<std::size_t>(kg) * nb * ohw,
                      wsize = static_cast<std::size_t>(kg) * ckk, per = pad_size + rows_size + dy_size,
                      all = wsize * static_cast<std::size_t>(groups_);
    if (s1) stride1_rows(g_, rows_);
    col_.resize(per * static_cast<std::size_t>(T));
    tmp_.resize(all * static_cast<std::size_t>(chunks));
    parallel_for(T, [&](int t) {
      float* xp = col_.data() + per * static_cast<std::size_t>(t);
      float* rows = xp + pad_size;
      float* dyc = rows + rows_size;
      // The borders stay zero (pad_image_f32 writes the interior), and so do the extra columns of
      // the wide dY.
      std::fill(xp, xp + per, 0.0f);
      for (int c = t; c < chunks; c += T) {
        const int n0 = c * nb, b = std::min(nb, N - n0), ld = b * ohw;
        for (int gi = 0; gi < groups_; ++gi) {
          float* part = tmp_.data() + static_cast<std::size_t>(c) * all + gi * wsize;
          for (int s = 0; s < b; ++s) {
            const float* dys = dy.data() + (n0 + s) * ys + static_cast<std::ptrdiff_t>(gi * kg) * ohw;
            kernels::pad_image_f32(g_, in.data() + (n0 + s) * xs + gi * chw, xp);
            if (s1) {
              for (int k = 0; k < kg; ++k)
                for (int oh = 0; oh < g_.OH; ++oh) {
                  const float* src = dys + (k * g_.OH + oh) * g_.OW;
                  float* dst = dyc + static_cast<std::ptrdiff_t>(k) * wide + oh * Wp;
                  for (int e = 0; e < g_.OW; ++e) dst[e] = src[e];
                }
              if (g_.C == 1)  // few taps: direct, nothing packed
                kernels::conv_dw_taps_f32(kg, ckk, wide, dyc, xp, rows_.data(), s == 0 ? 0.0f : 1.0f, part, 1, kg);
              else
                kernels::gemm_f32_arows(true, ckk, kg, wide, xp, rows_.data(), dyc, wide, s == 0 ? 0.0f : 1.0f, part,
                                        kg);
              continue;
            }
            for (int k = 0; k < kg; ++k) {  // dY of the chunk as one [kg x ld] matrix
              const float* src = dys + static_cast<std::ptrdiff_t>(k) * ohw;
              float* dst = dyc + static_cast<std::ptrdiff_t>(k) * ld + s * ohw;
              for (int e = 0; e < ohw; ++e) dst[e] = src[e];
            }
            kernels::im2row_padded_f32(g_, xp, rows + static_cast<std::ptrdiff_t>(s) * ohw * ckk);
          }
          if (!s1) kernels::gemm_f32(false, false, kg, ckk, ld, dyc, ld, rows, ckk, 0.0f, part, ckk);
        }
      }
    });
    parallel_ranges(all, 1024, [&](std::size_t b, std::size_t e) {
      float* dw = dweight.data();
      for (int c = 0; c < chunks; ++c) {
        const float* p = tmp_.data() + static_cast<std::size_t>(c) * all;
        if (!s1) {
          for (std::size_t i = b; i < e; ++i) dw[i] += p[i];
          continue;
        }
        for (std::size_t i = b; i < e; ++i) {  // the partial is dWᵀ of each group: [ckk x kg]
          const std::size_t gi = i / wsize, f = (i % wsize) / static_cast<std::size_t>(ckk),
                            k = i % static_cast<std::size_t>(ckk);
          dw[i] += p[gi * wsize + k * static_cast<std::size_t>(kg) + f];
        }
      }
    });
  }
  if (!din) return;
  if (sh_ == 1 && sw_ == 1 && ph_ < fh_ && pw_ < fw_) {
    // Stride 1: dx is the correlation of dY, padded by F - 1 - P, with the filters turned by 180
    // degrees and their two channel axes swapped, which is a stride-1 forward (correlate_stride1):
    // no col2im scatter. wflip_[gi][c][(k*FH + i)*FW + j] = W[gi*kg + k][c][FH-1-i][FW-1-j].
    const kernels::ConvGeom gt{kg, g_.OH, g_.OW, fh_, fw_, 1, 1, fh_ - 1 - ph_, fw_ - 1 - pw_, g_.H, g_.W};
    const int kkk = kg * fh_ * fw_;
    wflip_.resize(weight.size());
    for (int gi = 0; gi < groups_; ++gi)
      for (int c = 0; c < g_.C; ++c)
        for (int k = 0; k < kg; ++k)
          for (int i = 0; i < fh_; ++i)
            for (int j = 0; j < fw_; ++j)
              wflip_[static_cast<std::size_t>((gi * g_.C + c) * kkk + (k * fh_ + i) * fw_ + j)] =
                  weight.data()[(((gi * kg + k) * g_.C + c) * fh_ + (fh_ - 1 - i)) * fw_ + (fw_ - 1 - j)];
    stride1_rows(gt, rows_dx_);
    const std::size_t padded = stride1_padded(gt);
    per_image(
        N, stride1_workspace(gt, g_.C), dcol_, [&](float* ws) { std::fill(ws, ws + padded, 0.0f); },
        [&](int n, float* ws) {
          for (int gi = 0; gi < groups_; ++gi)
            correlate_stride1(gt, g_.C, wflip_.data() + static_cast<std::ptrdiff_t>(gi) * g_.C * kkk,
                              dy.data() + n * ys + gi * kg * ohw, rows_dx_, ws, din->data() + n * xs + gi * chw);
        });
    return;
  }
  // dx: per image, dcol[ckk x ohw] = Wᵀ * dY_n, scattered into the image's planes.
  din->fill(0.0f);
  per_image(N, static_cast<std::size_t>(ckk) * ohw, dcol_, nothing, [&](int n, float* dcol) {
    for (int gi = 0; gi < groups_; ++gi) {
      kernels::gemm_f32(true, false, ckk, ohw, kg, weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk,
                        dy.data() + n * ys + gi * kg * ohw, ohw, 0.0f, dcol, ohw);
      kernels::col2im_add_f32(g_, dcol, ohw, din->data() + n * xs + gi * chw);
    }
  });
}

}  // namespace cnn
