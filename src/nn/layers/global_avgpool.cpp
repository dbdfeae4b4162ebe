#include "nn/layers/global_avgpool.h"

#include "kernels/pool/pool.h"

namespace cnn {

Shape GlobalAvgPool::infer(const std::vector<Shape>& in) {
  const Shape& s = single_input(in);
  macs_ = static_cast<std::int64_t>(shape_size(s));
  return {s[0], 1, 1};
}

void GlobalAvgPool::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  ensure_shape_of(y, {N, C, 1, 1});
  kernels::global_avgpool_forward_f32(in.data(), static_cast<int>(N * C), static_cast<int>(HW), y.data());
}

void GlobalAvgPool::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                             const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const std::size_t N = in.shape()[0], C = in.shape()[1], HW = in.shape()[2] * in.shape()[3];
  ensure_same_shape(*dx[0], in);
  kernels::global_avgpool_backward_f32(dy.data(), static_cast<int>(N * C), static_cast<int>(HW), dx[0]->data());
}

OnnxValue to_onnx(const GlobalAvgPool& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape&) {
  return {g.add_node("GlobalAveragePool", {g.as4d(in[0], l.name()).name}, l.name()), false};
}

}  // namespace cnn
