// Helpers shared by the data tier's tests (tests/data/): temporary files, IDX headers, synthetic
// data sets and statistics.
#pragma once

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
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/linalg.h"
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

}  // namespace
}  // namespace cnn::test
