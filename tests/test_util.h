// Shared test helpers: random tensors, layer construction, and the central-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "nn/layer.h"
#include "nn/model.h"

namespace cnn::test {

inline std::string data_dir() { return CNN_TEST_DATA_DIR; }

// Uniform in [-1, 1], but at least `gap` away from 0 (keeps ReLU-like kinks out of reach of the
// finite-difference step).
inline Tensor random_tensor(const Shape& s, Rng& rng, float gap = 0.0f) {
  Tensor t = zeros(s);
  for (std::size_t i = 0; i < t.size(); ++i) {
    float v = rng.uniform(-1.0f, 1.0f);
    if (std::fabs(v) < gap) v = v < 0 ? -gap - std::fabs(v) : gap + v;
    t.data()[i] = v;
  }
  return t;
}

// Distinct values spaced `step` apart in random order: max-pool and maxout windows have no
// near-ties, so the finite difference never switches the winner.
inline Tensor spaced_tensor(const Shape& s, Rng& rng, float step = 0.05f) {
  Tensor t = zeros(s);
  const std::size_t n = t.size();
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = (static_cast<float>(i) - n / 2.0f) * step;
  for (std::size_t i = n; i > 1; --i) std::swap(v[i - 1], v[rng.below(static_cast<std::uint32_t>(i))]);
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

// The message of the cnn::Error that f throws; "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Two classes of 8x8 images: a bright bar in the top or in the bottom half, with noise (the trainer's
// and the reliability tests' data set).
inline Dataset bars(std::size_t n, std::uint32_t seed) {
  Dataset d;
  d.n = n, d.c = 1, d.h = 8, d.w = 8, d.num_classes = 2;
  Rng r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(r.below(2));
    d.labels.push_back(y);
    const int row = (y == 0 ? 1 : 5) + static_cast<int>(r.below(2));
    for (int h = 0; h < 8; ++h)
      for (int w = 0; w < 8; ++w)
        d.pixels.push_back(static_cast<std::uint8_t>(h == row ? 200 + r.below(55) : r.below(60)));
  }
  return d;
}

struct BuiltLayer {
  std::unique_ptr<Layer> layer;
  Shape out;
};

inline BuiltLayer build_layer(const json& cfg, const std::vector<Shape>& batch_shapes) {
  BuiltLayer b{make_layer(cfg), {}};
  std::vector<Shape> per;
  for (auto& s : batch_shapes) per.emplace_back(s.begin() + 1, s.end());
  b.out = b.layer->infer(per);
  return b;
}

struct GradCheck {
  float h = 1e-2f;
  float rtol = 2e-2f;
  float atol = 3e-3f;
  bool training = true;
};

// Checks layer.backward against central differences of L = sum(y * R) for every input element
// and every parameter element. Parameters are randomized first (weights around +-0.5).
inline void grad_check_layer(Layer& layer, std::vector<Tensor> xs, const GradCheck& o = {}, std::uint32_t seed = 7) {
  Rng rng(seed);
  for (auto& p : layer.params())
    for (std::size_t i = 0; i < p.value->size(); ++i)
      p.value->data()[i] += (p.role == ParamRole::other ? 0.3f : 0.5f) * rng.uniform(-1.0f, 1.0f);
  std::vector<const Tensor*> in;
  for (auto& x : xs) in.push_back(&x);
  Tensor y;
  layer.forward(in, y, o.training);
  const Tensor R = random_tensor(shape_of(y), rng);
  auto loss = [&]() {
    Tensor yy;
    layer.forward(in, yy, o.training);
    double s = 0.0;
    for (std::size_t i = 0; i < yy.size(); ++i) s += static_cast<double>(yy.data()[i]) * R.data()[i];
    return s;
  };
  // Analytic.
  for (auto& p : layer.params()) p.grad->fill(0.0f);
  layer.forward(in, y, o.training);
  std::vector<Tensor> dxs(xs.size());
  std::vector<Tensor*> dx;
  for (auto& d : dxs) dx.push_back(&d);
  layer.backward(in, y, R, dx);
  std::vector<Tensor> pgrads;
  for (auto& p : layer.params()) pgrads.push_back(*p.grad);

  auto check = [&](Tensor& v, const Tensor& analytic, const std::string& what) {
    ASSERT_EQ(v.size(), analytic.size()) << what;
    int bad = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const float keep = v.data()[i];
      v.data()[i] = keep + o.h;
      const double fp = loss();
      v.data()[i] = keep - o.h;
      const double fm = loss();
      v.data()[i] = keep;
      const double num = (fp - fm) / (2.0 * o.h);
      const double an = analytic.data()[i];
      const double tol = o.atol + o.rtol * std::max(std::fabs(num), std::fabs(an));
      if (std::fabs(num - an) > tol && bad++ < 5)
        ADD_FAILURE() << layer.type() << " " << what << "[" << i << "]: analytic " << an << " numeric " << num;
    }
  };
  for (std::size_t k = 0; k < xs.size(); ++k) check(xs[k], dxs[k], "d input " + std::to_string(k));
  auto ps = layer.params();
  for (std::size_t k = 0; k < ps.size(); ++k) check(*ps[k].value, pgrads[k], "d " + ps[k].name);
}

// Convenience: build from JSON, random inputs (spaced when `spaced`), run the check.
inline void grad_check(const json& cfg, const std::vector<Shape>& shapes, const GradCheck& o = {},
                       bool spaced = false) {
  SCOPED_TRACE(cfg.dump() + " input " + shape_str(shapes[0]) + (o.training ? " training" : " inference"));
  BuiltLayer b = build_layer(cfg, shapes);
  Rng rng(11);
  std::vector<Tensor> xs;
  for (auto& s : shapes) xs.push_back(spaced ? spaced_tensor(s, rng) : random_tensor(s, rng, 0.05f));
  grad_check_layer(*b.layer, xs, o);
}

inline void expect_near_all(const float* got, const std::vector<double>& want, float rtol, float atol,
                            const std::string& what) {
  int bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double tol = atol + rtol * std::fabs(want[i]);
    if (!(std::fabs(got[i] - want[i]) <= tol) && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << " want " << want[i];
  }
}

}  // namespace cnn::test
