#include "train/ensemble.h"

#include <algorithm>
#include <cmath>

#include "data/augment.h"

namespace cnn {

std::vector<View> tta_views(bool tta) {
  if (!tta) return {{0, 0}};
  return {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
}

namespace {

// Adds softmax(logits row) * w into acc for each of the n rows of d values.
void add_softmax(const float* logits, std::size_t n, std::size_t d, double w, double* acc) {
  std::vector<double> e(d);
  for (std::size_t i = 0; i < n; ++i) {
    const float* s = logits + i * d;
    const float mx = *std::max_element(s, s + d);
    double sum = 0.0;
    for (std::size_t j = 0; j < d; ++j) sum += e[j] = std::exp(static_cast<double>(s[j]) - mx);
    for (std::size_t j = 0; j < d; ++j) acc[i * d + j] += w * e[j] / sum;
  }
}

std::size_t argmax(const double* p, std::size_t n) {
  std::size_t b = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (p[i] > p[b]) b = i;
  return b;
}

void check_members(const std::vector<EnsembleMember>& members) {
  if (members.empty()) throw Error("ensemble: no models");
  if (members.size() > 1024) throw Error("ensemble: too many models");
  const Shape& in = members[0].model->input_shape();
  const std::size_t D = shape_size(members[0].model->output_shape());
  for (std::size_t m = 1; m < members.size(); ++m) {
    if (members[m].model->input_shape() != in)
      throw Error("ensemble: model " + std::to_string(m + 1) + " takes " + shape_str(members[m].model->input_shape()) +
                  " inputs, model 1 takes " + shape_str(in));
    if (shape_size(members[m].model->output_shape()) != D)
      throw Error("ensemble: model " + std::to_string(m + 1) + " has " +
                  std::to_string(shape_size(members[m].model->output_shape())) + " outputs, model 1 has " +
                  std::to_string(D));
  }
}

}  // namespace

void ensemble_probabilities(const std::vector<EnsembleMember>& members, const Tensor& x, const std::vector<View>& views,
                            std::vector<double>& probs, std::vector<std::vector<double>>* member_probs) {
  check_members(members);
  if (views.empty()) throw Error("ensemble: no views");
  const Shape xs = shape_of(x);
  if (xs.size() != 4) throw Error("ensemble: expected a batch {N, C, H, W}, got " + shape_str(xs));
  const std::size_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], sz = C * H * W;
  const std::size_t D = shape_size(members[0].model->output_shape());
  probs.assign(N * D, 0.0);
  if (member_probs) member_probs->assign(members.size(), std::vector<double>(N * D, 0.0));
  const double wv = 1.0 / static_cast<double>(views.size());
  std::vector<double> mine(N * D);
  Tensor v = zeros(xs);
  for (std::size_t m = 0; m < members.size(); ++m) {
    std::fill(mine.begin(), mine.end(), 0.0);
    for (const View& view : views) {
      if (view.dx == 0 && view.dy == 0) {
        std::copy(x.data(), x.data() + x.size(), v.data());
      } else {
        ImageTransform t;
        t.dx = static_cast<float>(view.dx);
        t.dy = static_cast<float>(view.dy);
        for (std::size_t i = 0; i < N; ++i) transform_image(x.data() + i * sz, v.data() + i * sz, C, H, W, t);
      }
      if (!members[m].pre->is_identity()) members[m].pre->apply(v);
      const Tensor& out = members[m].model->forward(v, false);
      add_softmax(out.data(), N, D, wv, mine.data());
    }
    for (std::size_t i = 0; i < N * D; ++i) probs[i] += mine[i] / static_cast<double>(members.size());
    if (member_probs) (*member_probs)[m] = mine;
  }
}

EnsembleEvaluation evaluate_ensemble(const std::vector<EnsembleMember>& members, const Dataset& d,
                                     const std::vector<View>& views, int batch_size) {
  check_members(members);
  if (batch_size < 1) throw Error("ensemble: batch must be at least 1");
  const Shape& in = members[0].model->input_shape();
  if (d.sample_shape() != in)
    throw Error("the models expect inputs of " + shape_str(in) + " but the data has images of " +
                shape_str(d.sample_shape()));
  const std::size_t D = shape_size(members[0].model->output_shape());
  if (d.num_classes > static_cast<int>(D))
    throw Error("the models have " + std::to_string(D) + " outputs but the data has " + std::to_string(d.num_classes) +
                " classes");
  EnsembleEvaluation r;
  Evaluation& e = r.combined;
  e.count = d.n;
  e.confusion.assign(D, std::vector<int>(D, 0));
  e.predicted.resize(d.n);
  std::vector<std::size_t> member_correct(members.size(), 0);
  Tensor x;
  std::vector<int> y;
  std::vector<std::size_t> idx;
  std::vector<double> probs;
  std::vector<std::vector<double>> mp;
  double loss_sum = 0;
  std::size_t correct = 0;
  const Preprocess raw;  // pixels / 255 only: every member applies its own preprocessing
  for (std::size_t s = 0; s < d.n; s += static_cast<std::size_t>(batch_size)) {
    const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(batch_size), d.n - s);
    idx.resize(b);
    for (std::size_t i = 0; i < b; ++i) idx[i] = s + i;
    cnn::batch(d, idx.data(), b, x, y, raw);
    ensemble_probabilities(members, x, views, probs, &mp);
    for (std::size_t i = 0; i < b; ++i) {
      const double* p = probs.data() + i * D;
      const std::size_t k = argmax(p, D);
      const auto yi = static_cast<std::size_t>(y[i]);
      loss_sum += -std::log(std::max(p[yi], 1e-300));
      e.predicted[s + i] = static_cast<int>(k);
      e.confusion[yi][k]++;
      if (k == yi)
        ++correct;
      else
        e.wrong.push_back(s + i);
      for (std::size_t m = 0; m < members.size(); ++m) member_correct[m] += argmax(mp[m].data() + i * D, D) == yi;
    }
  }
  const double n = static_cast<double>(std::max<std::size_t>(d.n, 1));
  e.loss = d.n ? loss_sum / n : 0.0;
  e.accuracy = d.n ? static_cast<double>(correct) / n : 0.0;
  for (std::size_t c = 0; c < D; ++c) {
    long tot = 0;
    for (int v : e.confusion[c]) tot += v;
    e.per_class.push_back(tot ? static_cast<double>(e.confusion[c][c]) / static_cast<double>(tot) : 0.0);
  }
  for (std::size_t c : member_correct) r.member_accuracy.push_back(d.n ? static_cast<double>(c) / n : 0.0);
  return r;
}

}  // namespace cnn
