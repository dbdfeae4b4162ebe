#include "nn/loss.h"

#include <cmath>

namespace cnn {

LossKind loss_from_string(const std::string& s) {
  if (s == "softmax_cross_entropy" || s == "cross_entropy" || s == "softmax") return LossKind::softmax_cross_entropy;
  if (s == "hinge" || s == "svm") return LossKind::hinge;
  throw Error("unknown loss '" + s + "' (known: softmax_cross_entropy, hinge)");
}

std::string loss_name(LossKind k) { return k == LossKind::hinge ? "hinge" : "softmax_cross_entropy"; }

namespace {
void check(const Tensor& logits, const std::vector<int>& labels, std::size_t& N, std::size_t& C) {
  if (logits.dimension() < 2) throw Error("loss: logits must be {N, C}, got " + shape_str(shape_of(logits)));
  N = logits.shape()[0];
  C = logits.size() / (N ? N : 1);
  if (labels.size() != N)
    throw Error("loss: " + std::to_string(labels.size()) + " labels for a batch of " + std::to_string(N));
  for (int y : labels)
    if (y < 0 || static_cast<std::size_t>(y) >= C)
      throw Error("loss: label " + std::to_string(y) + " is outside [0, " + std::to_string(C) + ")");
}
}  // namespace

float softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels, Tensor* grad) {
  std::size_t N, C;
  check(logits, labels, N, C);
  if (grad) ensure_same_shape(*grad, logits);
  double total = 0.0;
  for (std::size_t n = 0; n < N; ++n) {
    const float* s = logits.data() + n * C;
    float mx = s[0];
    for (std::size_t c = 1; c < C; ++c) mx = std::max(mx, s[c]);
    double z = 0.0;
    for (std::size_t c = 0; c < C; ++c) z += std::exp(static_cast<double>(s[c] - mx));
    const double lse = std::log(z) + mx;
    total += lse - s[labels[n]];
    if (grad) {
      float* g = grad->data() + n * C;
      for (std::size_t c = 0; c < C; ++c) g[c] = static_cast<float>(std::exp(s[c] - lse) / static_cast<double>(N));
      g[labels[n]] -= 1.0f / static_cast<float>(N);
    }
  }
  return static_cast<float>(total / static_cast<double>(N));
}

float hinge_loss(const Tensor& logits, const std::vector<int>& labels, Tensor* grad) {
  std::size_t N, C;
  check(logits, labels, N, C);
  if (grad) {
    ensure_same_shape(*grad, logits);
    grad->fill(0.0f);
  }
  double total = 0.0;
  const float inv = 1.0f / static_cast<float>(N);
  for (std::size_t n = 0; n < N; ++n) {
    const float* s = logits.data() + n * C;
    const int y = labels[n];
    for (std::size_t c = 0; c < C; ++c) {
      if (static_cast<int>(c) == y) continue;
      const float m = s[c] - s[y] + 1.0f;
      if (m > 0.0f) {
        total += m;
        if (grad) {
          grad->data()[n * C + c] += inv;
          grad->data()[n * C + y] -= inv;
        }
      }
    }
  }
  return static_cast<float>(total / static_cast<double>(N));
}

float compute_loss(LossKind kind, const Tensor& logits, const std::vector<int>& labels, Tensor* grad) {
  return kind == LossKind::hinge ? hinge_loss(logits, labels, grad) : softmax_cross_entropy(logits, labels, grad);
}

Tensor softmax(const Tensor& logits) {
  Tensor p = logits;
  const std::size_t N = logits.shape()[0], C = logits.size() / N;
  for (std::size_t n = 0; n < N; ++n) {
    float* s = p.data() + n * C;
    float mx = s[0];
    for (std::size_t c = 1; c < C; ++c) mx = std::max(mx, s[c]);
    double z = 0.0;
    for (std::size_t c = 0; c < C; ++c) z += std::exp(static_cast<double>(s[c] - mx));
    for (std::size_t c = 0; c < C; ++c) s[c] = static_cast<float>(std::exp(static_cast<double>(s[c] - mx)) / z);
  }
  return p;
}

double Regularization::apply(const std::vector<Param>& params, bool add_grad) const {
  if (!active()) return 0.0;
  double pen = 0.0;
  for (const Param& p : params) {
    if (p.role != ParamRole::weight) continue;
    const float* w = p.value->data();
    float* g = p.grad->data();
    for (std::size_t i = 0; i < p.value->size(); ++i) {
      pen += l1 * std::fabs(static_cast<double>(w[i])) + 0.5 * l2 * static_cast<double>(w[i]) * w[i];
      if (add_grad) g[i] += l1 * static_cast<float>((w[i] > 0.0f) - (w[i] < 0.0f)) + l2 * w[i];
    }
  }
  return pen;
}

}  // namespace cnn
