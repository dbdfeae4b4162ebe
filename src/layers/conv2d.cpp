#include "conv2d.h"

#include <functional>

namespace cnn {

Conv2D::Conv2D(const json& cfg) {
  depthwise_ = cfg.value("type", "") == "depthwise_conv2d";
  const std::string where = type() + " layer";
  if (depthwise_) {
    multiplier_ = json_int(cfg, "multiplier", 1, where);
    if (multiplier_ < 1) throw Error(where + ": multiplier must be at least 1");
  } else {
    filters_ = json_int(cfg, "filters", 0, where);
    if (filters_ < 1) throw Error(where + ": 'filters' (the number of filters K) must be at least 1");
    groups_ = json_int(cfg, "groups", 1, where);
    if (groups_ < 1) throw Error(where + ": groups must be at least 1");
  }
  if (!cfg.contains("kernel")) throw Error(where + ": 'kernel' (the filter size F) is required");
  std::tie(fh_, fw_) = json_pair(cfg, "kernel", {0, 0}, where);
  std::tie(sh_, sw_) = json_pair(cfg, "stride", {1, 1}, where);
  std::tie(ph_, pw_) = json_pair(cfg, "pad", {0, 0}, where);
  use_bias_ = json_bool(cfg, "bias", true, where);
  if (fh_ < 1 || fw_ < 1) throw Error(where + ": kernel size must be at least 1");
  if (sh_ < 1 || sw_ < 1) throw Error(where + ": stride must be at least 1");
  if (ph_ < 0 || pw_ < 0) throw Error(where + ": padding must not be negative");
}

json Conv2D::config() const {
  json j{{"type", type()}, {"kernel", json::array({fh_, fw_})}, {"stride", json::array({sh_, sw_})},
         {"pad", json::array({ph_, pw_})}, {"bias", use_bias_}};
  if (depthwise_)
    j["multiplier"] = multiplier_;
  else {
    j["filters"] = filters_;
    if (groups_ != 1) j["groups"] = groups_;
  }
  return j;
}

static int conv_out(const Layer& l, const char* axis, int in, int f, int s, int p,
                    const std::function<void(const std::string&)>& fail) {
  const int span = in - f + 2 * p;
  if (span < 0)
    fail(std::string("the ") + std::to_string(f) + " filter " + axis + " is larger than the padded input " +
         axis + " " + std::to_string(in + 2 * p));
  if (span % s != 0)
    fail(std::string("output ") + axis + " (" + std::to_string(in) + " - " + std::to_string(f) + " + 2*" +
         std::to_string(p) + ")/" + std::to_string(s) + " + 1 = " + std::to_string(span) + "/" +
         std::to_string(s) + " + 1 is not a whole number: stride " + std::to_string(s) +
         " does not fit a " + std::to_string(in) + " input with a " + std::to_string(f) +
         " filter and padding " + std::to_string(p) + "; change the stride or the padding");
  (void)l;
  return span / s + 1;
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
  auto f = [this, &s](const std::string& m) { fail(m + " (input " + shape_str(s) + ")"); };
  const int OH = conv_out(*this, "height", H, fh_, sh_, ph_, f);
  const int OW = conv_out(*this, "width", W, fw_, sw_, pw_, f);
  g_ = {C / groups_, H, W, fh_, fw_, sh_, sw_, ph_, pw_, OH, OW};
  const Shape wshape{static_cast<std::size_t>(filters_), static_cast<std::size_t>(C / groups_),
                     static_cast<std::size_t>(fh_), static_cast<std::size_t>(fw_)};
  if (shape_of(weight) != wshape) weight = zeros(wshape);
  dweight = zeros(wshape);
  if (use_bias_) {
    if (shape_of(bias) != Shape{static_cast<std::size_t>(filters_)}) bias = zeros({static_cast<std::size_t>(filters_)});
    dbias = zeros({static_cast<std::size_t>(filters_)});
  }
  macs_ = static_cast<std::int64_t>(filters_) * OH * OW * (C / groups_) * fh_ * fw_;
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
  ensure_shape(y, {static_cast<std::size_t>(N), static_cast<std::size_t>(filters_),
                   static_cast<std::size_t>(g_.OH), static_cast<std::size_t>(g_.OW)});
  const int kg = filters_ / groups_, ckk = g_.C * fh_ * fw_, ohw = g_.OH * g_.OW;
  col_.resize(static_cast<std::size_t>(ckk) * ohw);
  for (int n = 0; n < N; ++n)
    for (int gi = 0; gi < groups_; ++gi) {
      const float* xg = in.data() + (static_cast<std::ptrdiff_t>(n) * groups_ + gi) * g_.C * g_.H * g_.W;
      float* yg = y.data() + (static_cast<std::ptrdiff_t>(n) * groups_ + gi) * kg * ohw;
      kernels::im2col_f32(g_, xg, col_.data());
      kernels::gemm_f32(false, false, kg, ohw, ckk, weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk,
                        ckk, col_.data(), ohw, 0.0f, yg, ohw);
      if (use_bias_)
        for (int k = 0; k < kg; ++k) {
          const float b = bias.data()[gi * kg + k];
          float* r = yg + static_cast<std::ptrdiff_t>(k) * ohw;
          for (int i = 0; i < ohw; ++i) r[i] += b;
        }
    }
}

void Conv2D::backward(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                      const std::vector<Tensor*>& dx) {
  const Tensor& in = *x[0];
  const int N = static_cast<int>(in.shape()[0]);
  const int kg = filters_ / groups_, ckk = g_.C * fh_ * fw_, ohw = g_.OH * g_.OW;
  Tensor* din = dx.empty() ? nullptr : dx[0];
  if (din) {
    ensure_shape(*din, shape_of(in));
    din->fill(0.0f);
  }
  col_.resize(static_cast<std::size_t>(ckk) * ohw);
  dcol_.resize(static_cast<std::size_t>(ckk) * ohw);
  for (int n = 0; n < N; ++n)
    for (int gi = 0; gi < groups_; ++gi) {
      const std::ptrdiff_t xoff = (static_cast<std::ptrdiff_t>(n) * groups_ + gi) * g_.C * g_.H * g_.W;
      const float* dyg = dy.data() + (static_cast<std::ptrdiff_t>(n) * groups_ + gi) * kg * ohw;
      const float* wg = weight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk;
      kernels::im2col_f32(g_, in.data() + xoff, col_.data());
      // dW[kg x ckk] += dY[kg x ohw] * colᵀ
      kernels::gemm_f32(false, true, kg, ckk, ohw, dyg, ohw, col_.data(), ohw, 1.0f,
                        dweight.data() + static_cast<std::ptrdiff_t>(gi) * kg * ckk, ckk);
      if (use_bias_)
        for (int k = 0; k < kg; ++k) {
          const float* r = dyg + static_cast<std::ptrdiff_t>(k) * ohw;
          float s = 0.0f;
          for (int i = 0; i < ohw; ++i) s += r[i];
          dbias.data()[gi * kg + k] += s;
        }
      if (din) {
        // dcol[ckk x ohw] = Wᵀ * dY
        kernels::gemm_f32(true, false, ckk, ohw, kg, wg, ckk, dyg, ohw, 0.0f, dcol_.data(), ohw);
        kernels::col2im_add_f32(g_, dcol_.data(), din->data() + xoff);
      }
    }
}

}  // namespace cnn
