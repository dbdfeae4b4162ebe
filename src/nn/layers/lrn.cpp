#include "nn/layers/lrn.h"

#include <algorithm>
#include <cmath>

namespace cnn {

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

OnnxValue to_onnx(const LRN& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const json cfg = l.config();
  const int size = cfg["size"].get<int>();
  if (size % 2 == 0)
    onnx_refuse(l, "an even window size (" + std::to_string(size) +
                       ") has no ONNX form: ONNX's LRN centres even windows differently (use an odd size)");
  return {g.add_node("LRN", {g.as4d(in[0], l.name()).name}, l.name(),
                     {attr_f("alpha", cfg["alpha"].get<float>()), attr_f("beta", cfg["beta"].get<float>()),
                      attr_f("bias", cfg["k"].get<float>()), attr_i("size", size)}),
          false};
}

}  // namespace cnn
