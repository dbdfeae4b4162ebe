#include "nn/layers/batchnorm.h"

#include <cmath>

#include "core/parallel.h"
#include "kernels/eltwise/batchnorm.h"

namespace cnn {

BatchNorm::BatchNorm(const json& cfg) {
  momentum_ = static_cast<float>(json_num(cfg, "momentum", 0.1, "batchnorm layer"));
  eps_ = static_cast<float>(json_num(cfg, "eps", 1e-5, "batchnorm layer"));
  if (!(momentum_ >= 0.0f && momentum_ <= 1.0f)) throw Error("batchnorm layer: momentum must be in [0, 1]");
  if (!(eps_ > 0.0f)) throw Error("batchnorm layer: eps must be positive");
}

Shape BatchNorm::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  const Shape cs{s[0]};
  if (shape_of(weight) != cs) {
    weight = zeros(cs);
    weight.fill(1.0f);
    bias = zeros(cs);
    running_mean = zeros(cs);
    running_var = zeros(cs);
    running_var.fill(1.0f);
  }
  dweight = zeros(cs);
  dbias = zeros(cs);
  macs_ = static_cast<std::int64_t>(2 * shape_size(s));
  return s;
}

void BatchNorm::forward(const std::vector<const Tensor*>& x, Tensor& y, bool training) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const std::size_t M = N * HW;
  last_training_ = training;
  xhat_.resize(in.size());
  rstd_.resize(C);
  if (training && M < 2) fail("needs more than one value per channel in training mode (batch of 1 with 1x1 maps)");
  // Channels are independent: threads take whole channels (identical for any thread count).
  const float* xd = in.data();
  float* yd = y.data();
  parallel_ranges(C, std::max<std::size_t>(1, 16384 / std::max<std::size_t>(M, 1)),
                  [&](std::size_t c0, std::size_t c1) {
                    for (std::size_t c = c0; c < c1; ++c) {
                      double mean, var;
                      if (training) {
                        double s = 0.0;
                        for (std::size_t n = 0; n < N; ++n) {
                          const float* p = in.data() + (n * C + c) * HW;
                          for (std::size_t i = 0; i < HW; ++i) s += p[i];
                        }
                        mean = s / static_cast<double>(M);
                        double v = 0.0;
                        for (std::size_t n = 0; n < N; ++n) {
                          const float* p = in.data() + (n * C + c) * HW;
                          for (std::size_t i = 0; i < HW; ++i) v += (p[i] - mean) * (p[i] - mean);
                        }
                        var = v / static_cast<double>(M);
                        float& rm = running_mean.data()[c];
                        float& rv = running_var.data()[c];
                        rm = static_cast<float>((1.0 - momentum_) * rm + momentum_ * mean);
                        rv = static_cast<float>((1.0 - momentum_) * rv + momentum_ * v / static_cast<double>(M - 1));
                      } else {
                        mean = running_mean.data()[c];
                        var = running_var.data()[c];
                      }
                      const float rstd = static_cast<float>(1.0 / std::sqrt(var + eps_));
                      rstd_[c] = rstd;
                      const float g = weight.data()[c], b = bias.data()[c], m = static_cast<float>(mean);
                      for (std::size_t n = 0; n < N; ++n) {
                        const std::size_t off = (n * C + c) * HW;
                        kernels::bn_forward_plane_f32(xd + off, HW, m, rstd, g, b, xhat_.data() + off, yd + off);
                      }
                    }
                  });
}

void BatchNorm::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                         const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const double M = static_cast<double>(N * HW);
  Tensor* d = dx.empty() ? nullptr : dx[0];
  if (d) ensure_same_shape(*d, in);
  parallel_ranges(C, std::max<std::size_t>(1, 16384 / std::max<std::size_t>(N * HW, 1)),
                  [&](std::size_t c0, std::size_t c1) {
                    for (std::size_t c = c0; c < c1; ++c) {
                      double sg = 0.0, sgx = 0.0;
                      for (std::size_t n = 0; n < N; ++n) {
                        const std::size_t off = (n * C + c) * HW;
                        for (std::size_t i = 0; i < HW; ++i) {
                          sg += dy.data()[off + i];
                          sgx += dy.data()[off + i] * xhat_[off + i];
                        }
                      }
                      dbias.data()[c] += static_cast<float>(sg);
                      dweight.data()[c] += static_cast<float>(sgx);
                      if (!d) continue;
                      const float k = weight.data()[c] * rstd_[c];
                      const float mg = static_cast<float>(sg / M), mgx = static_cast<float>(sgx / M);
                      for (std::size_t n = 0; n < N; ++n) {
                        const std::size_t off = (n * C + c) * HW;
                        // Training: the batch statistics depend on x too; inference: they are constants.
                        kernels::bn_backward_plane_f32(dy.data() + off, last_training_ ? xhat_.data() + off : nullptr,
                                                       HW, k, mg, mgx, d->data() + off);
                      }
                    }
                  });
}

OnnxValue to_onnx(const BatchNorm& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const std::string& name = l.name();
  const OnnxValue x = g.as4d(in[0], name);
  const auto C = static_cast<std::int64_t>(l.weight.size());
  return {g.add_node("BatchNormalization",
                     {x.name, g.add_floats(name + ".weight", {C}, l.weight.data(), l.weight.size()),
                      g.add_floats(name + ".bias", {C}, l.bias.data(), l.bias.size()),
                      g.add_floats(name + ".running_mean", {C}, l.running_mean.data(), l.running_mean.size()),
                      g.add_floats(name + ".running_var", {C}, l.running_var.data(), l.running_var.size())},
                     name, {attr_f("epsilon", l.eps())}),
          false};
}

}  // namespace cnn
