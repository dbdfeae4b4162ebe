#include "nn/layers/conv2d.h"

#include "kernels/eltwise/bias.h"
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

void Conv2D::forward(const std::vector<const Tensor*>& x, Tensor& y, bool) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  ensure_shape_of(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(filters_), static_cast<std::size_t>(g_.OH),
                      static_cast<std::size_t>(g_.OW)});
  kernels::conv2d_forward_f32(kernels::conv2d_plan(g_, groups_, filters_), N, in.data(), weight.data(), y.data(), ws_);
  if (use_bias_) kernels::add_bias_planes_f32(y.data(), N, filters_, g_.OH * g_.OW, bias.data());
}

void Conv2D::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  Tensor* din = dx.empty() ? nullptr : dx[0];
  if (din) ensure_same_shape(*din, in);  // written completely
  if (use_bias_) kernels::bias_grad_planes_f32(dy.data(), N, filters_, g_.OH * g_.OW, dbias.data());
  kernels::conv2d_backward_f32(kernels::conv2d_plan(g_, groups_, filters_), N, in.data(), weight.data(), dy.data(),
                               din ? din->data() : nullptr, dweight.data(), ws_);
}

}  // namespace cnn
