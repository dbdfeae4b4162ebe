#include "nn/layers/pool.h"

#include "kernels/pool/pool.h"
#include "nn/layers/window.h"

namespace cnn {

Pool2D::Pool2D(const json& cfg) {
  max_ = cfg.value("type", "") == "maxpool2d";
  const std::string where = type() + " layer";
  if (!cfg.contains("size")) throw Error(where + ": 'size' (the window F) is required");
  std::tie(fh_, fw_) = json_pair(cfg, "size", {2, 2}, where, 1, kMaxDim);
  std::tie(sh_, sw_) = json_pair(cfg, "stride", {fh_, fw_}, where, 1, kMaxDim);
  if (fh_ < 1 || fw_ < 1) throw Error(where + ": size must be at least 1");
  if (sh_ < 1 || sw_ < 1) throw Error(where + ": stride must be at least 1");
  if (cfg.contains("ceil_mode") && cfg["ceil_mode"] != false)
    throw Error(where +
                ": ceil_mode is not supported; the output size is floor((H - F)/S) + 1, as by default in "
                "PyTorch, Keras and ONNX");
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
  const AxisFit fh = fit_axis(H_, fh_, sh_, 0), fw = fit_axis(W_, fw_, sw_, 0);
  OH_ = fh.out;
  OW_ = fw.out;
  note_ = untiled_note(H_, W_, fh_, fw_, sh_, sw_, 0, 0, fh, fw);
  macs_ = static_cast<std::int64_t>(C_) * OH_ * OW_ * fh_ * fw_;
  return {static_cast<std::size_t>(C_), static_cast<std::size_t>(OH_), static_cast<std::size_t>(OW_)};
}

void Pool2D::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape_of(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(C_), static_cast<std::size_t>(OH_),
                      static_cast<std::size_t>(OW_)});
  const kernels::PoolGeom g{H_, W_, fh_, fw_, sh_, sw_, OH_, OW_};
  if (max_)
    kernels::maxpool_forward_f32(g, N * C_, in.data(), y.data());
  else
    kernels::avgpool_forward_f32(g, N * C_, in.data(), y.data());
}

void Pool2D::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  if (dx.empty() || !dx[0]) return;
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_same_shape(*dx[0], in);
  // The kernels write every element of dx (0 where no window sends a gradient).
  const kernels::PoolGeom g{H_, W_, fh_, fw_, sh_, sw_, OH_, OW_};
  if (max_)
    // The gradient goes to the first maximum of the window (ties: first in row-major order).
    kernels::maxpool_backward_f32(g, N * C_, in.data(), dy.data(), dx[0]->data());
  else
    kernels::avgpool_backward_f32(g, N * C_, dy.data(), dx[0]->data());
}

}  // namespace cnn
