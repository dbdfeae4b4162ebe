// Losses on logits {N, C, 1, 1} (or {N, C}) with integer labels in [0, C), and regularization.
//   softmax_cross_entropy: mean over the batch of -log softmax(s)_y (log-sum-exp shifted by the max).
//   hinge: the multiclass SVM loss of the notes, mean over the batch of
//          sum_{j != y} max(0, s_j - s_y + 1)   (no division by C, unlike torch's MultiMarginLoss).
// Regularization on the weights only (biases and normalization parameters are not penalized):
//   l2:      l2/2 * sum w^2      gradient l2 * w    (= PyTorch's weight_decay = l2)
//   l1:      l1 * sum |w|        gradient l1 * sign(w)
//   elastic: both terms.
#pragma once

#include <string>
#include <vector>

#include "nn/layer.h"

namespace cnn {

enum class LossKind { softmax_cross_entropy, hinge };
LossKind loss_from_string(const std::string& s);
std::string loss_name(LossKind k);

// Returns the mean loss; writes dLoss/dlogits into *grad (same shape as logits) when given.
float compute_loss(LossKind kind, const Tensor& logits, const std::vector<int>& labels, Tensor* grad);
float softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels, Tensor* grad);
float hinge_loss(const Tensor& logits, const std::vector<int>& labels, Tensor* grad);
// Row-wise softmax of {N, C, ...} logits.
Tensor softmax(const Tensor& logits);

struct Regularization {
  float l1 = 0.0f, l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
  // Penalty over the weights among params; adds its gradient into their grads when add_grad.
  double apply(const std::vector<Param>& params, bool add_grad) const;
};

}  // namespace cnn
