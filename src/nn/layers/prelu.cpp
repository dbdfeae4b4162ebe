#include "nn/layers/prelu.h"

namespace cnn {

PReLU::PReLU(const json& cfg) { init_ = static_cast<float>(json_num(cfg, "init", 0.25, "prelu layer")); }

Shape PReLU::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  if (shape_of(weight) != Shape{s[0]}) {
    weight = zeros({s[0]});
    weight.fill(init_);
  }
  dweight = zeros({s[0]});
  return s;
}

void PReLU::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  ensure_same_shape(y, in);
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c) {
      const float a = weight.data()[c];
      const float* p = in.data() + (n * C + c) * HW;
      float* q = y.data() + (n * C + c) * HW;
      for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > 0.0f ? p[i] : a * p[i];
    }
}

void PReLU::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                     const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  Tensor* d = dx.empty() ? nullptr : dx[0];
  if (d) ensure_same_shape(*d, in);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c) {
      const float a = weight.data()[c];
      const float* p = in.data() + (n * C + c) * HW;
      const float* g = dy.data() + (n * C + c) * HW;
      float da = 0.0f;
      for (std::size_t i = 0; i < HW; ++i)
        if (p[i] <= 0.0f) da += g[i] * p[i];
      dweight.data()[c] += da;
      if (d) {
        float* q = d->data() + (n * C + c) * HW;
        for (std::size_t i = 0; i < HW; ++i) q[i] = p[i] > 0.0f ? g[i] : a * g[i];
      }
    }
}

OnnxValue to_onnx(const PReLU& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  const auto C = static_cast<std::int64_t>(l.weight.size());
  const std::vector<std::int64_t> dims = in[0].flat ? std::vector<std::int64_t>{C} : std::vector<std::int64_t>{C, 1, 1};
  return {g.add_node("PRelu", {in[0].name, g.add_floats(l.name() + ".weight", dims, l.weight.data(), l.weight.size())},
                     l.name()),
          in[0].flat};
}

}  // namespace cnn
