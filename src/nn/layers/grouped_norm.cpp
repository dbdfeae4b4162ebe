#include "nn/layers/grouped_norm.h"

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

OnnxValue to_onnx(const GroupedNorm& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& s) {
  const std::string t = l.type(), name = l.name();
  const json cfg = l.config();
  const float eps = cfg["eps"].get<float>();
  const auto C = static_cast<std::int64_t>(s[0]), H = static_cast<std::int64_t>(s[1]),
             W = static_cast<std::int64_t>(s[2]);
  std::string x = g.as4d(in[0], name).name;
  std::vector<std::int64_t> axes{1, 2, 3};
  if (t == "groupnorm") {
    const auto G = cfg["groups"].get<std::int64_t>();
    x = g.add_node("Reshape", {x, g.add_int64s(name + ".group_shape", {0, G, -1})}, name + "/group");
    axes = {2};
  }
  const std::string mean =
      g.add_node("ReduceMean", {x}, name + "/mean", {attr_ints("axes", axes), attr_i("keepdims", 1)});
  const std::string d = g.add_node("Sub", {x, mean}, name + "/centre");
  const std::string sq = g.add_node("Mul", {d, d}, name + "/square");
  const std::string var =
      g.add_node("ReduceMean", {sq}, name + "/var", {attr_ints("axes", axes), attr_i("keepdims", 1)});
  const std::string ve = g.add_node("Add", {var, g.add_scalar(name + ".eps", eps)}, name + "/var_eps");
  const std::string sd = g.add_node("Sqrt", {ve}, name + "/std");
  std::string h = g.add_node("Div", {d, sd}, name + "/normalized");
  std::vector<std::int64_t> pd{C, H, W};
  if (t == "groupnorm") {
    h = g.add_node("Reshape", {h, g.add_int64s(name + ".shape", {0, C, H, W})}, name + "/ungroup");
    pd = {C, 1, 1};
  }
  const std::string sc =
      g.add_node("Mul", {h, g.add_floats(name + ".weight", pd, l.weight.data(), l.weight.size())}, name + "/scale");
  return {g.add_node("Add", {sc, g.add_floats(name + ".bias", pd, l.bias.data(), l.bias.size())}, name), false};
}

}  // namespace cnn
