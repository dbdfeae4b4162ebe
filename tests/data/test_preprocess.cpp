// Preprocessing: per-channel mean/std, PCA and ZCA whitening, fitting on a seeded subset, the JSON
// state, clear errors, and the symmetric eigensolver whitening relies on.

#include "data_util.h"

namespace cnn::test {
namespace {

// Three channels with different means and spreads.
Dataset channel_dataset() {
  Dataset d;
  d.n = 300;
  d.c = 3;
  d.h = 4;
  d.w = 5;
  d.num_classes = 2;
  Rng rng(17);
  const int lo[3] = {0, 100, 200}, span[3] = {256, 30, 10};
  for (std::size_t i = 0; i < d.n; ++i) {
    for (int ch = 0; ch < 3; ++ch)
      for (int p = 0; p < 20; ++p) d.pixels.push_back(static_cast<std::uint8_t>(lo[ch] + rng.below(span[ch])));
    d.labels.push_back(static_cast<int>(i % 2));
  }
  return d;
}

void expect_channel_stats(const Tensor& x, double mean, double sd, double tol) {
  const std::size_t n = x.shape()[0], c = x.shape()[1], hw = x.shape()[2] * x.shape()[3];
  for (std::size_t ch = 0; ch < c; ++ch) {
    double s = 0.0, s2 = 0.0;
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t i = 0; i < hw; ++i) {
        const double v = x.data()[(k * c + ch) * hw + i];
        s += v;
        s2 += v * v;
      }
    const double m = s / static_cast<double>(n * hw);
    EXPECT_NEAR(m, mean, tol) << "channel " << ch;
    EXPECT_NEAR(std::sqrt(s2 / static_cast<double>(n * hw) - m * m), sd, tol) << "channel " << ch;
  }
}

TEST(DataPreprocess, MeanAndStdNormalizePerChannel) {
  const Dataset d = channel_dataset();
  Tensor x;
  std::vector<int> y;
  for (auto mode : {PreprocessConfig::Mean::channel, PreprocessConfig::Mean::pixel}) {
    PreprocessConfig cfg;  // default: per-channel mean, std on
    cfg.mean = mode;
    Preprocess pre(cfg);
    pre.fit(d);
    ASSERT_EQ(pre.channel_mean().size(), 3u);
    EXPECT_NEAR(pre.channel_mean()[0], 127.5 / 255.0, 0.02);
    EXPECT_NEAR(pre.channel_mean()[1], 114.5 / 255.0, 0.01);
    batch(d, iota_n(d.n), x, y, pre);
    expect_channel_stats(x, 0.0, 1.0, 1e-4);
    if (mode == PreprocessConfig::Mean::pixel) {
      // The mean image of the training set is 0 at every pixel.
      for (std::size_t j = 0; j < 60; ++j) {
        double s = 0.0;
        for (std::size_t k = 0; k < d.n; ++k) s += x.data()[k * 60 + j];
        EXPECT_NEAR(s / static_cast<double>(d.n), 0.0, 1e-4);
      }
    }
  }
  // Mean only: mean 0, spread unchanged.
  PreprocessConfig cfg;
  cfg.std = false;
  Preprocess pre(cfg);
  pre.fit(d);
  batch(d, iota_n(d.n), x, y, pre);
  const double sd1 = pre.channel_std()[1];
  EXPECT_NEAR(sd1, std::sqrt((30.0 * 30.0 - 1.0) / 12.0) / 255.0, 0.003);
  for (std::size_t ch = 0; ch < 3; ++ch) {
    double s = 0.0;
    for (std::size_t k = 0; k < d.n; ++k)
      for (std::size_t i = 0; i < 20; ++i) s += x.data()[(k * 3 + ch) * 20 + i];
    EXPECT_NEAR(s / (d.n * 20.0), 0.0, 1e-5);
  }
  // A constant channel is not divided by 0.
  Dataset flat = d;
  for (std::size_t k = 0; k < flat.n; ++k)
    for (std::size_t i = 0; i < 20; ++i) flat.pixels[k * 60 + 20 + i] = 77;
  Preprocess p2{PreprocessConfig{}};
  p2.fit(flat);
  batch(flat, iota_n(4), x, y, p2);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(std::isfinite(x.data()[i]));
}

// Correlated data: 1 x 3 x 3 images x = 128 + L z (z standard normal), quantized to bytes.
Dataset correlated_dataset(std::size_t n) {
  Dataset d;
  d.n = n;
  d.c = 1;
  d.h = 3;
  d.w = 3;
  d.num_classes = 1;
  Rng rng(99);
  const std::size_t D = 9;
  std::vector<double> L(D * D);
  for (std::size_t i = 0; i < D; ++i)
    for (std::size_t j = 0; j <= i; ++j) L[i * D + j] = (i == j ? 12.0 : 0.0) + 8.0 * rng.uniform(-1.0f, 1.0f);
  std::vector<double> z(D);
  for (std::size_t k = 0; k < n; ++k) {
    for (auto& v : z) v = rng.normal();
    for (std::size_t i = 0; i < D; ++i) {
      double v = 128.0;
      for (std::size_t j = 0; j < D; ++j) v += L[i * D + j] * z[j];
      d.pixels.push_back(static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L)));
    }
    d.labels.push_back(0);
  }
  return d;
}

TEST(DataPreprocess, PcaWhiteningGivesIdentityCovariance) {
  const Dataset d = correlated_dataset(4000);
  PreprocessConfig cfg;
  cfg.mean = PreprocessConfig::Mean::none;
  cfg.std = false;
  cfg.whiten = PreprocessConfig::Whiten::pca;
  cfg.eps = 1e-9;
  Preprocess pre(cfg);
  pre.fit(d);
  const auto& ev = pre.eigenvalues();
  ASSERT_EQ(ev.size(), 9u);
  EXPECT_TRUE(std::is_sorted(ev.rbegin(), ev.rend()));
  EXPECT_GT(ev.back(), 1e-4);
  // The input really is correlated.
  Tensor raw, x;
  std::vector<int> y;
  batch(d, iota_n(d.n), raw, y);
  const auto c0 = covariance(raw.data(), d.n, 9);
  double off = 0.0;
  for (std::size_t a = 0; a < 9; ++a)
    for (std::size_t b = 0; b < 9; ++b)
      if (a != b) off = std::max(off, std::fabs(c0[a * 9 + b]) / std::sqrt(c0[a * 9 + a] * c0[b * 9 + b]));
  EXPECT_GT(off, 0.3);
  batch(d, iota_n(d.n), x, y, pre);
  std::vector<double> mean;
  const auto c = covariance(x.data(), d.n, 9, &mean);
  for (std::size_t a = 0; a < 9; ++a) {
    EXPECT_NEAR(mean[a], 0.0, 1e-4);
    for (std::size_t b = 0; b < 9; ++b) EXPECT_NEAR(c[a * 9 + b], a == b ? 1.0 : 0.0, 2e-3) << a << "," << b;
  }
  // With the default eps the covariance is diag(lambda / (lambda + eps)).
  cfg.eps = 1e-2;
  Preprocess pe(cfg);
  pe.fit(d);
  batch(d, iota_n(d.n), x, y, pe);
  const auto ce = covariance(x.data(), d.n, 9);
  for (std::size_t a = 0; a < 9; ++a)
    EXPECT_NEAR(ce[a * 9 + a], pe.eigenvalues()[a] / (pe.eigenvalues()[a] + 1e-2), 2e-3);
}

TEST(DataPreprocess, ZcaIsSymmetricImageShapedAndRotatedPca) {
  const Dataset d = correlated_dataset(3000);
  PreprocessConfig cfg;
  cfg.whiten = PreprocessConfig::Whiten::zca;
  cfg.eps = 1e-9;
  Preprocess zca(cfg);
  zca.fit(d);
  cfg.whiten = PreprocessConfig::Whiten::pca;
  Preprocess pca(cfg);
  pca.fit(d);
  const auto& W = zca.whiten_matrix();
  ASSERT_EQ(W.size(), 81u);
  for (std::size_t a = 0; a < 9; ++a) {
    EXPECT_GT(W[a * 9 + a], 0.0f) << "each output pixel mostly its own input pixel";
    for (std::size_t b = 0; b < 9; ++b) EXPECT_NEAR(W[a * 9 + b], W[b * 9 + a], 1e-4f * std::fabs(W[a * 9 + a]));
  }
  Tensor xz, xp;
  std::vector<int> y;
  batch(d, iota_n(d.n), xz, y, zca);
  batch(d, iota_n(d.n), xp, y, pca);
  EXPECT_EQ(shape_of(xz), (Shape{d.n, 1, 3, 3}));
  const auto c = covariance(xz.data(), d.n, 9);
  for (std::size_t a = 0; a < 9; ++a)
    for (std::size_t b = 0; b < 9; ++b) EXPECT_NEAR(c[a * 9 + b], a == b ? 1.0 : 0.0, 2e-3);
  // zca = U pca, with the eigenvectors as the columns of U.
  const auto& U = zca.eigenvectors();
  for (std::size_t k = 0; k < 20; ++k)
    for (std::size_t i = 0; i < 9; ++i) {
      double v = 0.0;
      for (std::size_t m = 0; m < 9; ++m) v += U[m * 9 + i] * xp.data()[k * 9 + m];
      EXPECT_NEAR(xz.data()[k * 9 + i], v, 1e-3 * (1.0 + std::fabs(v)));
    }
}

TEST(DataPreprocess, FitOnASeededSubsetIsReproducible) {
  const Dataset d = correlated_dataset(2000);
  PreprocessConfig cfg;
  cfg.whiten = PreprocessConfig::Whiten::zca;
  cfg.fit_samples = 500;
  cfg.seed = 3;
  Preprocess a(cfg), b(cfg);
  a.fit(d);
  b.fit(d);
  EXPECT_EQ(a.whiten_matrix(), b.whiten_matrix());
  cfg.seed = 4;
  Preprocess c(cfg);
  c.fit(d);
  EXPECT_NE(a.whiten_matrix(), c.whiten_matrix());
}

TEST(DataPreprocess, JsonStateRoundTripsExactly) {
  const Dataset d = correlated_dataset(500);
  for (const char* text :
       {R"({"mean":"pixel","std":true,"whiten":"zca","eps":0.05})", R"({"mean":"channel","std":false,"whiten":"pca"})",
        R"({})", R"({"mean":"none","std":false})"}) {
    SCOPED_TRACE(text);
    Preprocess pre(PreprocessConfig::from_json(json::parse(text)));
    pre.fit(d);
    const std::string saved = pre.to_json().dump();
    const Preprocess back = Preprocess::from_json(json::parse(saved));
    EXPECT_EQ(back.to_json().dump(), saved);
    Tensor x1, x2;
    std::vector<int> y;
    batch(d, iota_n(50), x1, y, pre);
    batch(d, iota_n(50), x2, y, back);
    for (std::size_t i = 0; i < x1.size(); ++i) ASSERT_EQ(x1.data()[i], x2.data()[i]) << i;
  }
  Preprocess unfitted(PreprocessConfig{});
  EXPECT_FALSE(Preprocess::from_json(unfitted.to_json()).fitted());
}

TEST(DataPreprocess, ClearErrors) {
  Preprocess pre(PreprocessConfig{});
  Tensor x = zeros({2, 1, 3, 3});
  EXPECT_HAS(error_of([&] { pre.apply(x); }), "before fit");
  pre.fit(correlated_dataset(20));
  Tensor wrong = zeros({2, 1, 4, 4});
  EXPECT_HAS(error_of([&] { pre.apply(wrong); }), "expects a batch {N, 1, 3, 3}");
  EXPECT_HAS(error_of([] { PreprocessConfig::from_json(json::parse(R"({"mean":"median"})")); }), "'mean' must be");
  EXPECT_HAS(error_of([] { PreprocessConfig::from_json(json::parse(R"({"whiten":"pcaa"})")); }), "'whiten' must be");
  EXPECT_HAS(error_of([] { PreprocessConfig::from_json(json::parse(R"({"eps":0})")); }), "'eps' must be > 0");
  EXPECT_HAS(error_of([] { PreprocessConfig::from_json(json::parse(R"({"epsilon":1})")); }), "unknown key 'epsilon'");
  json state = pre.to_json();
  state["channel_std"] = json::array({1.0, 2.0});
  EXPECT_HAS(error_of([&] { Preprocess::from_json(state); }), "'channel_std' has 2 values, expected 1");
  PreprocessConfig wc;
  wc.whiten = PreprocessConfig::Whiten::zca;
  Preprocess pz(wc);
  pz.fit(correlated_dataset(50));
  state = pz.to_json();
  state["whiten_matrix"] = "AAAAAA==";
  EXPECT_HAS(error_of([&] { Preprocess::from_json(state); }), "'whiten_matrix' has 1 values, expected 81");
  state["whiten_matrix"] = "A*AA";
  EXPECT_HAS(error_of([&] { Preprocess::from_json(state); }), "invalid base64");
  EXPECT_HAS(error_of([] { Preprocess().fit(Dataset{}); }), "empty");
}

// ---------------------------------------------------------------- Eigen solver

void check_eigen(const std::vector<double>& A, std::size_t n, const std::string& what) {
  SCOPED_TRACE(what + " n=" + std::to_string(n));
  std::vector<double> a = A, val, vec;
  symmetric_eigen(a, n, val, vec);
  ASSERT_EQ(val.size(), n);
  double norm = 1e-300;
  for (double v : A) norm = std::max(norm, std::fabs(v));
  for (std::size_t k = 0; k + 1 < n; ++k) EXPECT_GE(val[k], val[k + 1]);
  double worst_res = 0.0, worst_orth = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double* v = vec.data() + k * n;
    for (std::size_t i = 0; i < n; ++i) {
      double av = 0.0;
      for (std::size_t j = 0; j < n; ++j) av += A[i * n + j] * v[j];
      worst_res = std::max(worst_res, std::fabs(av - val[k] * v[i]));
    }
    for (std::size_t m = 0; m < n; ++m) {
      double dot = 0.0;
      for (std::size_t j = 0; j < n; ++j) dot += v[j] * vec[m * n + j];
      worst_orth = std::max(worst_orth, std::fabs(dot - (k == m ? 1.0 : 0.0)));
    }
  }
  EXPECT_LT(worst_res, 1e-10 * norm * static_cast<double>(n));
  EXPECT_LT(worst_orth, 1e-10 * static_cast<double>(n));
}

TEST(DataEigen, SymmetricMatricesDecompose) {
  Rng rng(1);
  for (std::size_t n : {1, 2, 3, 5, 10, 40, 100}) {
    std::vector<double> A(n * n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j <= i; ++j) A[i * n + j] = A[j * n + i] = rng.uniform(-1.0f, 1.0f);
    check_eigen(A, n, "random");
    // A covariance with zero rows (constant pixels) and a rank deficit.
    std::vector<double> B(n * n, 0.0);
    for (int r = 0; r < 3; ++r) {
      std::vector<double> u(n);
      for (std::size_t i = 0; i < n; ++i) u[i] = i % 4 == 0 ? 0.0 : rng.uniform(-1.0f, 1.0f);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) B[i * n + j] += u[i] * u[j];
    }
    check_eigen(B, n, "low rank with zero rows");
  }
  // Repeated eigenvalues, already diagonal, zero matrix.
  std::vector<double> I(36, 0.0), Z(36, 0.0), T(36, 0.0);
  for (int i = 0; i < 6; ++i) I[i * 6 + i] = i < 3 ? 2.0 : -1.0;
  for (int i = 0; i < 6; ++i) T[i * 6 + i] = 1.0;
  for (int i = 0; i < 5; ++i) T[i * 6 + i + 1] = T[(i + 1) * 6 + i] = 1.0;  // tridiagonal already
  check_eigen(I, 6, "repeated");
  check_eigen(Z, 6, "zero");
  check_eigen(T, 6, "tridiagonal");
  std::vector<double> v, w, diag = I;
  symmetric_eigen(diag, 6, v, w);
  EXPECT_EQ(v, (std::vector<double>{2, 2, 2, -1, -1, -1}));
  std::vector<double> bad(4, std::nan(""));
  EXPECT_HAS(error_of([&] { symmetric_eigen(bad, 2, v, w); }), "non-finite");
}

}  // namespace
}  // namespace cnn::test
