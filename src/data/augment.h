// Data augmentation of a float NCHW batch, seeded by a cnn::Rng (reproducible, and the same
// natively and in WebAssembly: every random number comes from Rng::uniform / Rng::below).
//
// Intended place in the pipeline: on the [0, 1] pixels, before preprocessing (Dataset batch()
// does it in that order), so that "zero outside the image" and the cutout fill 0 mean background.
//
// Per image, in this order, each step only when enabled (and only then does it draw numbers):
//   1. one geometric resample combining
//        rotation  theta ~ U(-rotate, rotate) degrees (positive = counter-clockwise on screen)
//        scale     s     ~ U(1 - scale, 1 + scale)   (> 1 enlarges)
//        shift     (dx, dy) integers, each ~ U{-translate..translate} + U{-crop..crop}
//        flip      horizontal mirror with probability 1/2
//      about the image centre c = ((W-1)/2, (H-1)/2). An output pixel q = (x, y) takes the input at
//        q' = flip ? (W-1-x, y) : q,    p = R(-theta) (q' - c - (dx, dy)) / s + c
//      by bilinear interpolation; input pixels outside the image count as 0. With theta = 0 and
//      s = 1 the resample is an exact integer shift (no interpolation).
//      "crop" is the pad-then-random-crop augmentation: padding by P zeros and cropping H x W back
//      at a random offset is exactly a shift by U{-P..P} with zero fill, and is done that way.
//   2. contrast:   x <- (x - m) * k + m,  k ~ U(1 - contrast, 1 + contrast), m = the image's mean
//   3. brightness: x <- x + b,            b ~ U(-brightness, brightness)   (no clamping)
//   4. cutout:     a square of side `cutout` (clipped to the image when larger) set to 0 in every
//      channel; its top-left corner is uniform over the positions that keep it inside the image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "nn/layer.h"  // json

namespace cnn {

struct AugmentConfig {
  int translate = 0;        // max shift in pixels (integer shifts)
  int crop = 0;             // pad-then-random-crop padding in pixels
  float rotate = 0.0f;      // max rotation in degrees, 0..180
  float scale = 0.0f;       // max relative scale change, 0..<1
  bool flip = false;        // random horizontal flip (off by default: digits are not symmetric)
  float brightness = 0.0f;  // max additive change
  float contrast = 0.0f;    // max relative contrast change, 0..1
  int cutout = 0;           // side of the zeroed square, 0 = off

  bool any() const;
  // Throws cnn::Error for out-of-range values.
  void validate() const;
  // {"translate":2,"crop":0,"rotate":10,"scale":0.1,"flip":false,"brightness":0.1,"contrast":0.1,"cutout":8}
  // Missing keys keep the defaults (off); unknown keys are an error. Or a preset's name, owned here:
  //   "none"; "digits" {translate 2, rotate 10, scale 0.1};
  //   "strong" {translate 2, rotate 12, scale 0.12, brightness 0.1, contrast 0.1, cutout 6}.
  static AugmentConfig from_json(const json& j);
  json to_json() const;
};

// One image's geometric transform (see the formula above).
struct ImageTransform {
  float angle_deg = 0.0f;
  float scale = 1.0f;
  float dx = 0.0f, dy = 0.0f;  // shift in pixels (+x right, +y down)
  bool flip = false;
};

// dst = transform(src) for one C x H x W image; src and dst must not overlap.
void transform_image(const float* src, float* dst, std::size_t c, std::size_t h, std::size_t w,
                     const ImageTransform& t);
// Sets the size x size square with top-left corner (top, left) to 0 in every channel (clipped).
void cutout_image(float* img, std::size_t c, std::size_t h, std::size_t w, std::size_t top, std::size_t left,
                  std::size_t size);

// Augments every image of the NCHW batch x in place.
void augment(Tensor& x, const AugmentConfig& cfg, Rng& rng);
// out = augmented copy of x (x unchanged).
void augment(const Tensor& x, Tensor& out, const AugmentConfig& cfg, Rng& rng);

// Fisher-Yates shuffle: for i = n-1 .. 1, swap v[i] with v[rng.below(i + 1)].
void shuffle(std::vector<std::size_t>& v, Rng& rng);

}  // namespace cnn
