#include "nn/layers/maxout.h"

namespace cnn {

Maxout::Maxout(const json& cfg) {
  k_ = static_cast<int>(json_int(cfg, "k", 2, "maxout layer", 1, kMaxDim));
  if (k_ < 1) throw Error("maxout layer: k (the number of linear pieces) must be at least 1");
}

Shape Maxout::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  if (s[0] % static_cast<std::size_t>(k_) != 0)
    fail("input channels " + std::to_string(s[0]) + " are not divisible by k = " + std::to_string(k_) + " (input " +
         shape_str(s) + ")");
  return {s[0] / static_cast<std::size_t>(k_), s[1], s[2]};
}

void Maxout::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const std::size_t k = static_cast<std::size_t>(k_), Co = C / k;
  ensure_shape_of(y, {N, Co, in.shape()[2], in.shape()[3]});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Co; ++j) {
      float* q = y.data() + (n * Co + j) * HW;
      const float* p0 = in.data() + (n * C + j * k) * HW;
      for (std::size_t i = 0; i < HW; ++i) q[i] = p0[i];
      for (std::size_t m = 1; m < k; ++m) {
        const float* p = p0 + m * HW;
        for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > q[i] ? p[i] : q[i];
      }
    }
}

void Maxout::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  const std::size_t k = static_cast<std::size_t>(k_), Co = C / k;
  ensure_same_shape(*dx[0], in);
  dx[0]->fill(0.0f);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Co; ++j) {
      const float* p0 = in.data() + (n * C + j * k) * HW;
      float* d0 = dx[0]->data() + (n * C + j * k) * HW;
      const float* g = dy.data() + (n * Co + j) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        std::size_t best = 0;
        for (std::size_t m = 1; m < k; ++m)
          if (p0[m * HW + i] > p0[best * HW + i]) best = m;
        d0[best * HW + i] += g[i];
      }
    }
}

OnnxValue to_onnx(const Maxout& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out) {
  const std::string& name = l.name();
  const auto k = l.config()["k"].get<std::int64_t>();
  const auto C = static_cast<std::int64_t>(out[0]), H = static_cast<std::int64_t>(out[1]),
             W = static_cast<std::int64_t>(out[2]);
  const std::string r = g.add_node(
      "Reshape", {g.as4d(in[0], name).name, g.add_int64s(name + ".shape", {0, C, k, H, W})}, name + "/pieces");
  return {g.add_node("ReduceMax", {r}, name, {attr_ints("axes", {2}), attr_i("keepdims", 0)}), false};
}

}  // namespace cnn
