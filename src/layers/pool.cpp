#include "pool.h"

namespace cnn {

Pool2D::Pool2D(const json& cfg) {
  max_ = cfg.value("type", "") == "maxpool2d";
  const std::string where = type() + " layer";
  if (!cfg.contains("size")) throw Error(where + ": 'size' (the window F) is required");
  std::tie(fh_, fw_) = json_pair(cfg, "size", {2, 2}, where);
  std::tie(sh_, sw_) = json_pair(cfg, "stride", {fh_, fw_}, where);
  if (fh_ < 1 || fw_ < 1) throw Error(where + ": size must be at least 1");
  if (sh_ < 1 || sw_ < 1) throw Error(where + ": stride must be at least 1");
}

json Pool2D::config() const {
  return {{"type", type()}, {"size", json::array({fh_, fw_})}, {"stride", json::array({sh_, sw_})}};
}

Shape Pool2D::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  C_ = static_cast<int>(s[0]);
  H_ = static_cast<int>(s[1]);
  W_ = static_cast<int>(s[2]);
  if (H_ < fh_ || W_ < fw_)
    fail("window " + std::to_string(fh_) + "x" + std::to_string(fw_) + " is larger than the input " + shape_str(s));
  OH_ = (H_ - fh_) / sh_ + 1;
  OW_ = (W_ - fw_) / sw_ + 1;
  macs_ = static_cast<std::int64_t>(C_) * OH_ * OW_ * fh_ * fw_;
  return {static_cast<std::size_t>(C_), static_cast<std::size_t>(OH_), static_cast<std::size_t>(OW_)};
}

void Pool2D::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(C_), static_cast<std::size_t>(OH_),
                   static_cast<std::size_t>(OW_)});
  const float inv = 1.0f / static_cast<float>(fh_ * fw_);
  for (int nc = 0; nc < N * C_; ++nc) {
    const float* xp = in.data() + static_cast<std::ptrdiff_t>(nc) * H_ * W_;
    float* yp = y.data() + static_cast<std::ptrdiff_t>(nc) * OH_ * OW_;
    for (int oh = 0; oh < OH_; ++oh)
      for (int ow = 0; ow < OW_; ++ow) {
        const float* w0 = xp + oh * sh_ * W_ + ow * sw_;
        float acc = max_ ? w0[0] : 0.0f;
        for (int i = 0; i < fh_; ++i)
          for (int j = 0; j < fw_; ++j) {
            const float v = w0[i * W_ + j];
            if (max_)
              acc = v > acc ? v : acc;
            else
              acc += v;
          }
        yp[oh * OW_ + ow] = max_ ? acc : acc * inv;
      }
  }
}

void Pool2D::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape(*dx[0], shape_of(in));
  dx[0]->fill(0.0f);
  const float inv = 1.0f / static_cast<float>(fh_ * fw_);
  for (int nc = 0; nc < N * C_; ++nc) {
    const float* xp = in.data() + static_cast<std::ptrdiff_t>(nc) * H_ * W_;
    float* dxp = dx[0]->data() + static_cast<std::ptrdiff_t>(nc) * H_ * W_;
    const float* dyp = dy.data() + static_cast<std::ptrdiff_t>(nc) * OH_ * OW_;
    for (int oh = 0; oh < OH_; ++oh)
      for (int ow = 0; ow < OW_; ++ow) {
        const int base = oh * sh_ * W_ + ow * sw_;
        const float g = dyp[oh * OW_ + ow];
        if (max_) {
          // The gradient goes to the first maximum of the window (ties: first in row-major order).
          int best = base;
          for (int i = 0; i < fh_; ++i)
            for (int j = 0; j < fw_; ++j)
              if (xp[base + i * W_ + j] > xp[best]) best = base + i * W_ + j;
          dxp[best] += g;
        } else {
          for (int i = 0; i < fh_; ++i)
            for (int j = 0; j < fw_; ++j) dxp[base + i * W_ + j] += g * inv;
        }
      }
  }
}

Shape GlobalAvgPool::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  macs_ = static_cast<std::int64_t>(shape_size(s));
  return {s[0], 1, 1};
}

void GlobalAvgPool::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  ensure_shape(y, {N, C, 1, 1});
  for (std::size_t i = 0; i < N * C; ++i) {
    const float* p = in.data() + i * HW;
    float s = 0.0f;
    for (std::size_t k = 0; k < HW; ++k) s += p[k];
    y.data()[i] = s / static_cast<float>(HW);
  }
}

void GlobalAvgPool::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                             const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  ensure_shape(*dx[0], shape_of(in));
  for (std::size_t i = 0; i < N * C; ++i) {
    const float g = dy.data()[i] / static_cast<float>(HW);
    float* p = dx[0]->data() + i * HW;
    for (std::size_t k = 0; k < HW; ++k) p[k] = g;
  }
}

}  // namespace cnn
