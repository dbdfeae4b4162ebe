#include "nn/layers/norm.h"

#include <algorithm>
#include <cmath>

namespace cnn {

GroupedNorm::GroupedNorm(const json& cfg) {
  layer_ = cfg.value("type", "") == "layernorm";
  const std::string where = type() + " layer";
  eps_ = static_cast<float>(json_num(cfg, "eps", 1e-5, where));
  if (!(eps_ > 0.0f)) throw Error(where + ": eps must be positive");
  if (!layer_) {
    groups_ = static_cast<int>(json_int(cfg, "groups", 0, where, 0, kMaxDim));
    if (groups_ < 1) throw Error(where + ": 'groups' must be at least 1");
  }
}

json GroupedNorm::config() const {
  json j{{"type", type()}, {"eps", eps_}};
  if (!layer_) j["groups"] = groups_;
  return j;
}

Shape GroupedNorm::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  C_ = s[0];
  HW_ = s[1] * s[2];
  if (!layer_ && C_ % static_cast<std::size_t>(groups_) != 0)
    fail("channels " + std::to_string(C_) + " are not divisible by groups " + std::to_string(groups_));
  const Shape ps = layer_ ? s : Shape{C_};
  if (shape_of(weight) != ps) {
    weight = zeros(ps);
    weight.fill(1.0f);
    bias = zeros(ps);
  }
  dweight = zeros(ps);
  dbias = zeros(ps);
  macs_ = static_cast<std::int64_t>(2 * shape_size(s));
  return s;
}

void GroupedNorm::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const std::size_t N = in.shape()[0], G = layer_ ? 1 : static_cast<std::size_t>(groups_);
  const std::size_t per = C_ * HW_, M = per / G;
  xhat_.resize(in.size());
  rstd_.resize(N * G);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t g = 0; g < G; ++g) {
      const std::size_t off = n * per + g * M;
      const float* p = in.data() + off;
      double s = 0.0;
      for (std::size_t i = 0; i < M; ++i) s += p[i];
      const double mean = s / static_cast<double>(M);
      double v = 0.0;
      for (std::size_t i = 0; i < M; ++i) v += (p[i] - mean) * (p[i] - mean);
      const float rstd = static_cast<float>(1.0 / std::sqrt(v / static_cast<double>(M) + eps_));
      rstd_[n * G + g] = rstd;
      for (std::size_t i = 0; i < M; ++i) {
        const float h = (p[i] - static_cast<float>(mean)) * rstd;
        const std::size_t a = affine_index(g * M + i);
        xhat_[off + i] = h;
        y.data()[off + i] = weight.data()[a] * h + bias.data()[a];
      }
    }
}

void GroupedNorm::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                           const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], G = layer_ ? 1 : static_cast<std::size_t>(groups_);
  const std::size_t per = C_ * HW_, M = per / G;
  Tensor* d = dx.empty() ? nullptr : dx[0];
  if (d) ensure_same_shape(*d, in);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t g = 0; g < G; ++g) {
      const std::size_t off = n * per + g * M;
      double sg = 0.0, sgx = 0.0;
      for (std::size_t i = 0; i < M; ++i) {
        const std::size_t a = affine_index(g * M + i);
        const float gy = dy.data()[off + i];
        dweight.data()[a] += gy * xhat_[off + i];
        dbias.data()[a] += gy;
        const float gh = gy * weight.data()[a];  // dL/dxhat
        sg += gh;
        sgx += gh * xhat_[off + i];
      }
      if (!d) continue;
      const float mg = static_cast<float>(sg / static_cast<double>(M));
      const float mgx = static_cast<float>(sgx / static_cast<double>(M));
      const float rstd = rstd_[n * G + g];
      for (std::size_t i = 0; i < M; ++i) {
        const float gh = dy.data()[off + i] * weight.data()[affine_index(g * M + i)];
        d->data()[off + i] = rstd * (gh - mg - xhat_[off + i] * mgx);
      }
    }
}

LRN::LRN(const json& cfg) {
  size_ = static_cast<int>(json_int(cfg, "size", 5, "lrn layer", 1, kMaxDim));
  alpha_ = static_cast<float>(json_num(cfg, "alpha", 1e-4, "lrn layer"));
  beta_ = static_cast<float>(json_num(cfg, "beta", 0.75, "lrn layer"));
  k_ = static_cast<float>(json_num(cfg, "k", 1.0, "lrn layer"));
  if (size_ < 1) throw Error("lrn layer: size must be at least 1");
  if (!(k_ > 0.0f)) throw Error("lrn layer: k must be positive");
}

Shape LRN::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  macs_ = static_cast<std::int64_t>(shape_size(s)) * (size_ + 2);
  return s;
}

void LRN::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const int N = static_cast<int>(in.shape()[0]), C = static_cast<int>(in.shape()[1]);
  const std::size_t HW = in.shape()[2] * in.shape()[3];
  den_.resize(in.size());
  const float scale = alpha_ / static_cast<float>(size_);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c) {
      const int lo = std::max(0, c - size_ / 2), hi = std::min(C - 1, c + (size_ - 1) / 2);
      const std::size_t off = (static_cast<std::size_t>(n) * C + c) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        float s = 0.0f;
        for (int q = lo; q <= hi; ++q) {
          const float v = in.data()[(static_cast<std::size_t>(n) * C + q) * HW + i];
          s += v * v;
        }
        const float den = k_ + scale * s;
        den_[off + i] = den;
        y.data()[off + i] = in.data()[off + i] * std::pow(den, -beta_);
      }
    }
}

void LRN::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                   const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  ensure_same_shape(*dx[0], in);
  const int N = static_cast<int>(in.shape()[0]), C = static_cast<int>(in.shape()[1]);
  const std::size_t HW = in.shape()[2] * in.shape()[3];
  const float scale = alpha_ / static_cast<float>(size_);
  // dL/da_j = g_j den_j^-beta - 2 beta scale a_j sum_{c: j in window(c)} g_c a_c den_c^(-beta-1),
  // and j is in window(c) for c in [j - (size-1)/2, j + size/2].
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < C; ++j) {
      const int lo = std::max(0, j - (size_ - 1) / 2), hi = std::min(C - 1, j + size_ / 2);
      const std::size_t off = (static_cast<std::size_t>(n) * C + j) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        float s = 0.0f;
        for (int c = lo; c <= hi; ++c) {
          const std::size_t o = (static_cast<std::size_t>(n) * C + c) * HW + i;
          s += dy.data()[o] * in.data()[o] * std::pow(den_[o], -beta_ - 1.0f);
        }
        dx[0]->data()[off + i] =
            dy.data()[off + i] * std::pow(den_[off + i], -beta_) - 2.0f * beta_ * scale * in.data()[off + i] * s;
      }
    }
}

}  // namespace cnn
