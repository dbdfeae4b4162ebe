// Preprocessing fitted on the training set and applied to every batch (training, validation, test).
//
// Input x: a float NCHW batch of pixels / 255 (values in [0, 1], possibly augmented). Steps, each
// optional, in this order (all statistics from the training set given to fit()):
//
//   1. mean subtraction     y = x - mu
//        "channel" (default): mu[c]       = mean over samples and pixels of channel c
//        "pixel":             mu[c,i,j]   = the mean image
//   2. std normalization    y = y / sigma[c]   (per channel)
//        sigma[c] = sqrt(mean over samples and pixels of channel c of (x - mu)^2), with mu as
//        subtracted in step 1 (the channel mean when step 1 is off). A channel with
//        sigma < 1e-8 (constant) is left unscaled. After steps 1+2 the training set has
//        per-channel mean 0 and standard deviation 1.
//   3. whitening of the flattened D = C*H*W vectors y:
//        m = mean of y over the training set (per element), Sigma = covariance of y
//        (fitted on `fit_samples` training samples drawn with a seeded Rng, all when 0),
//        Sigma = U diag(lambda) U^T (eigenvalues descending, symmetric_eigen below),
//        "pca": z = diag(1 / sqrt(lambda + eps)) U^T (y - m)
//               z is stored in the same {C, H, W} tensor, component k (k-th largest lambda)
//               at flat index k: no longer an image.
//        "zca": z = U diag(1 / sqrt(lambda + eps)) U^T (y - m)        (= U * the PCA form)
//               stays image-shaped (the whitening closest to the identity), so conv nets still
//               apply: prefer ZCA for conv nets.
//        On the fitted samples cov(z) = diag(lambda / (lambda + eps)) (PCA) and
//        U diag(lambda / (lambda + eps)) U^T (ZCA): ~ I for lambda >> eps. eps (default 1e-2, in units of y^2)
//        regularizes the tiny eigenvalues. Negative eigenvalues from round-off are clamped to 0.
//      Both are applied as z = W (y - m) with the D x D matrix W kept in float.
//
// Fitting is O(N * nnz^2 + D^3): all 60,000 MNIST images, ZCA included, take a few seconds.
// The fitted state (config + statistics) round-trips through JSON, to be saved with a model:
//   {"mean":"channel","std":true,"whiten":"zca","eps":0.01,"fit_samples":0,"seed":1,
//    "fitted":true,"shape":[1,28,28],"channel_mean":[..],"channel_std":[..],
//    "pixel_mean":"<base64>","whiten_mean":"<base64>","whiten_matrix":"<base64>","eigenvalues":[..]}
// Large arrays are base64 of little-endian float32 (exact round trip, 1/3 the size of decimal text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nn/layer.h"  // json

namespace cnn {

struct Dataset;

struct PreprocessConfig {
  enum class Mean { none, channel, pixel };
  enum class Whiten { none, pca, zca };
  Mean mean = Mean::channel;
  bool std = true;
  Whiten whiten = Whiten::none;
  double eps = 1e-2;
  std::size_t fit_samples = 0;  // samples used for the whitening covariance; 0 = all
  std::uint32_t seed = 1;       // picks those samples

  // {"mean": "none"|"channel"|"pixel", "std": bool, "whiten": "none"|"pca"|"zca", "eps": number,
  //  "fit_samples": int, "seed": int}; missing keys keep the defaults above.
  static PreprocessConfig from_json(const json& j);
  json to_json() const;
  // No step at all (what a default-constructed Preprocess does).
  static PreprocessConfig identity();
};

class Preprocess {
 public:
  // The identity: apply() leaves x unchanged.
  Preprocess();
  explicit Preprocess(const PreprocessConfig& cfg);

  const PreprocessConfig& config() const { return cfg_; }
  // True when no step is configured (nothing to fit, apply() does nothing).
  bool is_identity() const;
  bool fitted() const { return fitted_; }

  // Computes the statistics from the training set.
  void fit(const Dataset& train);
  // x: {N, C, H, W} with the fitted {C, H, W}; in place. Throws when not fitted or shapes differ.
  void apply(Tensor& x) const;
  // n samples of the fitted shape, contiguous.
  void apply(float* x, std::size_t n) const;

  json to_json() const;
  static Preprocess from_json(const json& j);

  // Fitted statistics (empty when the step is off).
  const Shape& shape() const { return shape_; }
  const std::vector<double>& channel_mean() const { return channel_mean_; }
  const std::vector<double>& channel_std() const { return channel_std_; }
  const std::vector<float>& pixel_mean() const { return pixel_mean_; }
  const std::vector<double>& eigenvalues() const { return eigenvalues_; }
  // Row k = the k-th eigenvector (unit length), D x D row-major. Not serialized (W is).
  const std::vector<double>& eigenvectors() const { return eigenvectors_; }
  const std::vector<float>& whiten_mean() const { return whiten_mean_; }
  const std::vector<float>& whiten_matrix() const { return whiten_matrix_; }

 private:
  void build_affine();
  PreprocessConfig cfg_;
  bool fitted_ = false;
  Shape shape_;
  std::vector<double> channel_mean_, channel_std_, eigenvalues_, eigenvectors_;
  std::vector<float> pixel_mean_, whiten_mean_, whiten_matrix_;
  // Steps 1+2 folded per element: y = x * scale_[i] + shift_[i].
  std::vector<float> scale_, shift_;
};

// The preprocessing a training run asks for, ready to use on `train`:
//   null or "standardize": per-channel mean and std fitted on train (the command line's default)
//   "none":                the identity
//   an object:             a fitted state (Preprocess::to_json(), "fitted": true) is taken as is; otherwise
//                          it is a PreprocessConfig, fitted on train
// Throws cnn::Error for anything else, or when a fitted state does not fit train's image shape.
Preprocess fit_preprocess(const json& spec, const Dataset& train);
// A fitted state (Preprocess::to_json()) for a model with per-sample input `input` {C, H, W}: throws
// cnn::Error when it is malformed, not fitted, or fitted on images of another shape.
Preprocess preprocess_for(const json& state, const Shape& input);

}  // namespace cnn
