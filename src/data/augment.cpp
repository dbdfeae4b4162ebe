#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnn {

namespace {
const char* kWhere = "augmentation";
}

bool AugmentConfig::any() const {
  return translate > 0 || crop > 0 || rotate > 0.0f || scale > 0.0f || flip || brightness > 0.0f || contrast > 0.0f ||
         cutout > 0;
}

void AugmentConfig::validate() const {
  auto bad = [](const std::string& m) { throw Error(std::string(kWhere) + ": " + m); };
  if (translate < 0 || translate > 1024) bad("'translate' must be 0..1024 pixels, got " + std::to_string(translate));
  if (crop < 0 || crop > 1024) bad("'crop' must be 0..1024 pixels, got " + std::to_string(crop));
  if (!(rotate >= 0.0f && rotate <= 180.0f)) bad("'rotate' must be 0..180 degrees, got " + std::to_string(rotate));
  if (!(scale >= 0.0f && scale < 1.0f)) bad("'scale' must be in [0, 1), got " + std::to_string(scale));
  if (!(brightness >= 0.0f && std::isfinite(brightness)))
    bad("'brightness' must be >= 0, got " + std::to_string(brightness));
  if (!(contrast >= 0.0f && contrast <= 1.0f)) bad("'contrast' must be in [0, 1], got " + std::to_string(contrast));
  if (cutout < 0 || cutout > 65536) bad("'cutout' must be 0..65536 pixels, got " + std::to_string(cutout));
}

AugmentConfig AugmentConfig::from_json(const json& j) {
  if (j.is_null()) return {};
  if (j.is_string()) {
    // The presets, here only: the page, the widget and the command line name them.
    const std::string name = j.get<std::string>();
    if (name == "none") return {};
    if (name == "digits") return from_json({{"translate", 2}, {"rotate", 10}, {"scale", 0.1}});
    if (name == "strong")
      return from_json(
          {{"translate", 2}, {"rotate", 12}, {"scale", 0.12}, {"brightness", 0.1}, {"contrast", 0.1}, {"cutout", 6}});
    throw Error(std::string(kWhere) + ": unknown preset '" + name + "' (known: none, digits, strong; or an object)");
  }
  if (!j.is_object()) throw Error(std::string(kWhere) + ": expected a JSON object, got " + j.dump());
  static const char* known[] = {"translate", "crop", "rotate", "scale", "flip", "brightness", "contrast", "cutout"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) ==
        std::end(known))
      throw Error(std::string(kWhere) + ": unknown key '" + it.key() +
                  "' (known: translate, crop, rotate, scale, flip, brightness, contrast, cutout)");
  AugmentConfig c;
  c.translate = static_cast<int>(json_int(j, "translate", 0, kWhere, 0, kMaxDim));
  c.crop = static_cast<int>(json_int(j, "crop", 0, kWhere, 0, kMaxDim));
  c.rotate = static_cast<float>(json_num(j, "rotate", 0.0, kWhere));
  c.scale = static_cast<float>(json_num(j, "scale", 0.0, kWhere));
  c.flip = json_bool(j, "flip", false, kWhere);
  c.brightness = static_cast<float>(json_num(j, "brightness", 0.0, kWhere));
  c.contrast = static_cast<float>(json_num(j, "contrast", 0.0, kWhere));
  c.cutout = static_cast<int>(json_int(j, "cutout", 0, kWhere, 0, kMaxDim));
  c.validate();
  return c;
}

json AugmentConfig::to_json() const {
  return json{{"translate", translate},   {"crop", crop},         {"rotate", rotate}, {"scale", scale}, {"flip", flip},
              {"brightness", brightness}, {"contrast", contrast}, {"cutout", cutout}};
}

void transform_image(const float* src, float* dst, std::size_t c, std::size_t h, std::size_t w,
                     const ImageTransform& t) {
  const std::size_t plane = h * w;
  const long H = static_cast<long>(h), W = static_cast<long>(w);
  if (t.angle_deg == 0.0f && t.scale == 1.0f && t.dx == std::floor(t.dx) && t.dy == std::floor(t.dy)) {
    // Exact integer shift (and mirror): no interpolation.
    const long sx = static_cast<long>(t.dx), sy = static_cast<long>(t.dy);
    for (std::size_t ch = 0; ch < c; ++ch) {
      const float* s = src + ch * plane;
      float* d = dst + ch * plane;
      for (long y = 0; y < H; ++y) {
        const long yy = y - sy;
        for (long x = 0; x < W; ++x) {
          const long xx = (t.flip ? W - 1 - x : x) - sx;
          d[y * W + x] = (yy >= 0 && yy < H && xx >= 0 && xx < W) ? s[yy * W + xx] : 0.0f;
        }
      }
    }
    return;
  }
  if (!(t.scale > 0.0f)) throw Error("transform_image: scale must be > 0, got " + std::to_string(t.scale));
  const double th = static_cast<double>(t.angle_deg) * 3.14159265358979323846 / 180.0;
  const float inv = 1.0f / t.scale;
  const float cs = static_cast<float>(std::cos(th)) * inv, sn = static_cast<float>(std::sin(th)) * inv;
  const float cx = 0.5f * static_cast<float>(W - 1), cy = 0.5f * static_cast<float>(H - 1);
  for (long y = 0; y < H; ++y) {
    for (long x = 0; x < W; ++x) {
      const float ux = static_cast<float>(t.flip ? W - 1 - x : x) - cx - t.dx;
      const float uy = static_cast<float>(y) - cy - t.dy;
      const float px = cs * ux - sn * uy + cx, py = sn * ux + cs * uy + cy;
      const long idx = y * W + x;
      if (!(px > -1.0f && px < static_cast<float>(W) && py > -1.0f && py < static_cast<float>(H))) {
        for (std::size_t ch = 0; ch < c; ++ch) dst[ch * plane + idx] = 0.0f;
        continue;
      }
      const float fx0 = std::floor(px), fy0 = std::floor(py);
      const long x0 = static_cast<long>(fx0), y0 = static_cast<long>(fy0);
      const float ax = px - fx0, ay = py - fy0;
      const float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
      const bool inx0 = x0 >= 0, inx1 = x0 + 1 < W, iny0 = y0 >= 0, iny1 = y0 + 1 < H;
      for (std::size_t ch = 0; ch < c; ++ch) {
        const float* s = src + ch * plane;
        float v = 0.0f;
        if (iny0 && inx0) v += w00 * s[y0 * W + x0];
        if (iny0 && inx1) v += w01 * s[y0 * W + x0 + 1];
        if (iny1 && inx0) v += w10 * s[(y0 + 1) * W + x0];
        if (iny1 && inx1) v += w11 * s[(y0 + 1) * W + x0 + 1];
        dst[ch * plane + idx] = v;
      }
    }
  }
}

void cutout_image(float* img, std::size_t c, std::size_t h, std::size_t w, std::size_t top, std::size_t left,
                  std::size_t size) {
  const std::size_t y1 = std::min(h, top + size), x1 = std::min(w, left + size);
  for (std::size_t ch = 0; ch < c; ++ch)
    for (std::size_t y = top; y < y1; ++y)
      for (std::size_t x = left; x < x1; ++x) img[(ch * h + y) * w + x] = 0.0f;
}

void augment(Tensor& x, const AugmentConfig& cfg, Rng& rng) {
  if (x.dimension() != 4) throw Error("augment: expects an NCHW batch, got " + shape_str(shape_of(x)));
  cfg.validate();
  if (!cfg.any()) return;
  const std::size_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const std::size_t sz = c * h * w;
  if (sz == 0) return;
  const bool geometric = cfg.translate > 0 || cfg.crop > 0 || cfg.rotate > 0.0f || cfg.scale > 0.0f || cfg.flip;
  thread_local std::vector<float> scratch;  // reused: a training step allocates nothing
  if (geometric && scratch.size() < sz) scratch.resize(sz);
  auto shift = [&rng](int m) {
    return m > 0 ? static_cast<int>(rng.below(static_cast<std::uint32_t>(2 * m + 1))) - m : 0;
  };
  for (std::size_t i = 0; i < n; ++i) {
    float* img = x.data() + i * sz;
    if (geometric) {
      ImageTransform t;
      if (cfg.rotate > 0.0f) t.angle_deg = rng.uniform(-cfg.rotate, cfg.rotate);
      if (cfg.scale > 0.0f) t.scale = rng.uniform(1.0f - cfg.scale, 1.0f + cfg.scale);
      const int sx = shift(cfg.translate) + shift(cfg.crop);
      const int sy = shift(cfg.translate) + shift(cfg.crop);
      t.dx = static_cast<float>(sx);
      t.dy = static_cast<float>(sy);
      if (cfg.flip) t.flip = rng.below(2) == 1;
      std::copy(img, img + sz, scratch.begin());
      transform_image(scratch.data(), img, c, h, w, t);
    }
    if (cfg.contrast > 0.0f) {
      const float k = rng.uniform(1.0f - cfg.contrast, 1.0f + cfg.contrast);
      double sum = 0.0;
      for (std::size_t j = 0; j < sz; ++j) sum += img[j];
      const float m = static_cast<float>(sum / static_cast<double>(sz));
      for (std::size_t j = 0; j < sz; ++j) img[j] = (img[j] - m) * k + m;
    }
    if (cfg.brightness > 0.0f) {
      const float b = rng.uniform(-cfg.brightness, cfg.brightness);
      for (std::size_t j = 0; j < sz; ++j) img[j] += b;
    }
    if (cfg.cutout > 0) {
      const std::size_t kh = std::min<std::size_t>(static_cast<std::size_t>(cfg.cutout), h);
      const std::size_t kw = std::min<std::size_t>(static_cast<std::size_t>(cfg.cutout), w);
      const std::size_t top = rng.below(static_cast<std::uint32_t>(h - kh + 1));
      const std::size_t left = rng.below(static_cast<std::uint32_t>(w - kw + 1));
      cutout_image(img, c, h, w, top, left, static_cast<std::size_t>(cfg.cutout));
    }
  }
}

void augment(const Tensor& x, Tensor& out, const AugmentConfig& cfg, Rng& rng) {
  ensure_shape(out, shape_of(x));
  std::copy(x.data(), x.data() + x.size(), out.data());
  augment(out, cfg, rng);
}

void shuffle(std::vector<std::size_t>& v, Rng& rng) {
  if (v.size() > std::numeric_limits<std::uint32_t>::max())
    throw Error("shuffle: " + std::to_string(v.size()) + " elements, more than 2^32 - 1");
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(static_cast<std::uint32_t>(i))]);
}

}  // namespace cnn
