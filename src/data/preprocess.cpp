#include "data/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/rng.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/linalg.h"
#include "kernels/gemm/gemm.h"

namespace cnn {

namespace {

const char* kWhere = "preprocess";

[[noreturn]] void fail(const std::string& m) { throw Error(std::string(kWhere) + ": " + m); }

const char* mean_name(PreprocessConfig::Mean m) {
  switch (m) {
    case PreprocessConfig::Mean::none:
      return "none";
    case PreprocessConfig::Mean::channel:
      return "channel";
    case PreprocessConfig::Mean::pixel:
      return "pixel";
  }
  return "?";
}

const char* whiten_name(PreprocessConfig::Whiten w) {
  switch (w) {
    case PreprocessConfig::Whiten::none:
      return "none";
    case PreprocessConfig::Whiten::pca:
      return "pca";
    case PreprocessConfig::Whiten::zca:
      return "zca";
  }
  return "?";
}

// ---- base64 of little-endian float32 ----
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string floats_to_b64(const std::vector<float>& v) {
  std::vector<std::uint8_t> bytes(v.size() * 4);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u;
    std::memcpy(&u, &v[i], 4);
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<std::uint8_t>(u >> (8 * b));
  }
  std::string s;
  s.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    const std::uint32_t t = (std::uint32_t(bytes[i]) << 16) | (left > 1 ? std::uint32_t(bytes[i + 1]) << 8 : 0u) |
                            (left > 2 ? std::uint32_t(bytes[i + 2]) : 0u);
    s += kB64[(t >> 18) & 63];
    s += kB64[(t >> 12) & 63];
    s += left > 1 ? kB64[(t >> 6) & 63] : '=';
    s += left > 2 ? kB64[t & 63] : '=';
  }
  return s;
}

std::vector<float> b64_to_floats(const std::string& s, const std::string& key) {
  auto bad = [&](const std::string& m) { fail("state '" + key + "': " + m); };
  if (s.size() % 4) bad("base64 length " + std::to_string(s.size()) + " is not a multiple of 4");
  std::vector<std::uint8_t> bytes;
  bytes.reserve(s.size() / 4 * 3);
  auto val = [&](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    bad(std::string("invalid base64 character '") + ch + "'");
    return 0;
  };
  for (std::size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    const int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
    if (pad && !last) bad("base64 padding in the middle");
    if (s[i + 2] == '=' && s[i + 3] != '=') bad("bad base64 padding");
    std::uint32_t t = (std::uint32_t(val(s[i])) << 18) | (std::uint32_t(val(s[i + 1])) << 12);
    if (pad < 2) t |= std::uint32_t(val(s[i + 2])) << 6;
    if (pad < 1) t |= std::uint32_t(val(s[i + 3]));
    bytes.push_back(static_cast<std::uint8_t>(t >> 16));
    if (pad < 2) bytes.push_back(static_cast<std::uint8_t>(t >> 8));
    if (pad < 1) bytes.push_back(static_cast<std::uint8_t>(t));
  }
  if (bytes.size() % 4) bad(std::to_string(bytes.size()) + " bytes, not a whole number of float32 values");
  std::vector<float> v(bytes.size() / 4);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= std::uint32_t(bytes[4 * i + b]) << (8 * b);
    std::memcpy(&v[i], &u, 4);
  }
  return v;
}

std::vector<double> number_array(const json& j, const char* key, std::size_t want) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) fail(std::string("state '") + key + "' is missing or not an array");
  if (it->size() != want)
    fail(std::string("state '") + key + "' has " + std::to_string(it->size()) + " values, expected " +
         std::to_string(want));
  std::vector<double> v;
  for (auto& x : *it) {
    if (!x.is_number()) fail(std::string("state '") + key + "' must hold numbers");
    v.push_back(x.get<double>());
  }
  return v;
}

std::vector<float> b64_array(const json& j, const char* key, std::size_t want) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) fail(std::string("state '") + key + "' is missing or not a base64 string");
  std::vector<float> v = b64_to_floats(it->get<std::string>(), key);
  if (v.size() != want)
    fail(std::string("state '") + key + "' has " + std::to_string(v.size()) + " values, expected " +
         std::to_string(want));
  return v;
}

}  // namespace

// ---------------- PreprocessConfig ----------------

PreprocessConfig PreprocessConfig::identity() {
  PreprocessConfig c;
  c.mean = Mean::none;
  c.std = false;
  c.whiten = Whiten::none;
  return c;
}

PreprocessConfig PreprocessConfig::from_json(const json& j) {
  if (j.is_null()) return {};
  if (!j.is_object()) fail("expected a JSON object, got " + j.dump());
  static const char* known[] = {"mean", "std", "whiten", "eps", "fit_samples", "seed"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) ==
        std::end(known))
      fail("unknown key '" + it.key() + "' (known: mean, std, whiten, eps, fit_samples, seed)");
  PreprocessConfig c;
  if (j.contains("mean")) {
    const json& m = j["mean"];
    if (m.is_boolean())
      c.mean = m.get<bool>() ? Mean::channel : Mean::none;
    else if (m == "none")
      c.mean = Mean::none;
    else if (m == "channel")
      c.mean = Mean::channel;
    else if (m == "pixel")
      c.mean = Mean::pixel;
    else
      fail("'mean' must be \"none\", \"channel\" or \"pixel\", got " + m.dump());
  }
  c.std = json_bool(j, "std", c.std, kWhere);
  if (j.contains("whiten")) {
    const json& w = j["whiten"];
    if (w == "none" || w == false)
      c.whiten = Whiten::none;
    else if (w == "pca")
      c.whiten = Whiten::pca;
    else if (w == "zca")
      c.whiten = Whiten::zca;
    else
      fail("'whiten' must be \"none\", \"pca\" or \"zca\", got " + w.dump());
  }
  c.eps = json_num(j, "eps", c.eps, kWhere);
  if (!(c.eps > 0.0 && std::isfinite(c.eps))) fail("'eps' must be > 0, got " + std::to_string(c.eps));
  const std::int64_t fs = json_int(j, "fit_samples", 0, kWhere, 0, 1000000000);
  if (fs < 0) fail("'fit_samples' must be >= 0 (0 = all), got " + std::to_string(fs));
  c.fit_samples = static_cast<std::size_t>(fs);
  if (j.contains("seed")) {
    const json& s = j["seed"];
    if (!s.is_number_integer() || s.get<long long>() < 0 || s.get<long long>() > 0xFFFFFFFFll)
      fail("'seed' must be an integer in 0..2^32-1, got " + s.dump());
    c.seed = static_cast<std::uint32_t>(s.get<long long>());
  }
  return c;
}

json PreprocessConfig::to_json() const {
  return json{{"mean", mean_name(mean)},    {"std", std},  {"whiten", whiten_name(whiten)}, {"eps", eps},
              {"fit_samples", fit_samples}, {"seed", seed}};
}

// ---------------- Preprocess ----------------

Preprocess::Preprocess() : cfg_(PreprocessConfig::identity()) {}
Preprocess::Preprocess(const PreprocessConfig& cfg) : cfg_(cfg) {
  if (!(cfg_.eps > 0.0 && std::isfinite(cfg_.eps))) fail("'eps' must be > 0, got " + std::to_string(cfg_.eps));
}

bool Preprocess::is_identity() const {
  return cfg_.mean == PreprocessConfig::Mean::none && !cfg_.std && cfg_.whiten == PreprocessConfig::Whiten::none;
}

void Preprocess::build_affine() {
  const std::size_t C = shape_[0], HW = shape_[1] * shape_[2], D = C * HW;
  scale_.assign(D, 1.0f);
  shift_.assign(D, 0.0f);
  for (std::size_t ch = 0; ch < C; ++ch) {
    const double sigma = cfg_.std ? channel_std_[ch] : 1.0;
    const double a = sigma > 1e-8 ? 1.0 / sigma : 1.0;
    for (std::size_t i = 0; i < HW; ++i) {
      const std::size_t j = ch * HW + i;
      double mu = 0.0;
      if (cfg_.mean == PreprocessConfig::Mean::channel) mu = channel_mean_[ch];
      if (cfg_.mean == PreprocessConfig::Mean::pixel) mu = pixel_mean_[j];
      scale_[j] = static_cast<float>(a);
      shift_[j] = static_cast<float>(-mu * a);
    }
  }
}

void Preprocess::fit(const Dataset& d) {
  d.validate();
  if (d.n == 0) fail("cannot fit on an empty dataset");
  const std::size_t N = d.n, C = d.c, HW = d.h * d.w, D = C * HW;
  shape_ = {d.c, d.h, d.w};
  channel_mean_.clear();
  channel_std_.clear();
  pixel_mean_.clear();
  eigenvalues_.clear();
  eigenvectors_.clear();
  whiten_mean_.clear();
  whiten_matrix_.clear();
  fitted_ = false;
  if (is_identity()) {
    fitted_ = true;
    return;
  }
  // Exact integer sums of x and x^2 per pixel (x in 0..255).
  std::vector<std::uint64_t> s1(D, 0), s2(D, 0);
  for (std::size_t k = 0; k < N; ++k) {
    const std::uint8_t* p = d.image(k);
    for (std::size_t j = 0; j < D; ++j) {
      const std::uint32_t v = p[j];
      s1[j] += v;
      s2[j] += v * v;
    }
  }
  const double n = static_cast<double>(N);
  std::vector<double> pm(D);  // per-pixel mean in [0, 1] units
  for (std::size_t j = 0; j < D; ++j) pm[j] = static_cast<double>(s1[j]) / (n * 255.0);
  channel_mean_.assign(C, 0.0);
  channel_std_.assign(C, 0.0);
  for (std::size_t ch = 0; ch < C; ++ch) {
    double s = 0.0;
    for (std::size_t i = 0; i < HW; ++i) s += pm[ch * HW + i];
    channel_mean_[ch] = s / static_cast<double>(HW);
  }
  const bool pixel = cfg_.mean == PreprocessConfig::Mean::pixel;
  if (pixel) pixel_mean_.assign(pm.begin(), pm.end());
  for (std::size_t ch = 0; ch < C; ++ch) {
    // mean over samples and pixels of (x - centre)^2 = sum_j [E x_j^2 - 2 centre_j E x_j + centre_j^2] / HW
    double acc = 0.0;
    for (std::size_t i = 0; i < HW; ++i) {
      const std::size_t j = ch * HW + i;
      const double centre = pixel ? static_cast<double>(pixel_mean_[j]) : channel_mean_[ch];
      acc += static_cast<double>(s2[j]) / (n * 255.0 * 255.0) - 2.0 * centre * pm[j] + centre * centre;
    }
    channel_std_[ch] = std::sqrt(std::max(0.0, acc / static_cast<double>(HW)));
  }
  build_affine();

  if (cfg_.whiten != PreprocessConfig::Whiten::none) {
    // Samples for the covariance.
    std::vector<std::size_t> idx(N);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    if (cfg_.fit_samples > 0 && cfg_.fit_samples < N) {
      Rng rng(cfg_.seed);
      shuffle(idx, rng);
      idx.resize(cfg_.fit_samples);
      std::sort(idx.begin(), idx.end());
    }
    const std::size_t K = idx.size();
    // Raw second moments S = sum x x^T and sums s over the samples, x in 0..255. Every partial sum
    // is an integer below 2^53, so the result is exact and independent of the summation order.
    std::vector<double> S(D * D, 0.0), s(D, 0.0), xv(D);
    std::vector<std::size_t> nz;
    nz.reserve(D);
    for (std::size_t k : idx) {
      const std::uint8_t* p = d.image(k);
      nz.clear();
      for (std::size_t j = 0; j < D; ++j) {
        xv[j] = p[j];
        s[j] += p[j];
        if (p[j]) nz.push_back(j);
      }
      if (nz.size() * 2 > D) {  // dense: contiguous rows of the upper triangle
        for (std::size_t a = 0; a < D; ++a) {
          const double va = xv[a];
          if (va == 0.0) continue;
          double* row = S.data() + a * D;
          for (std::size_t b = a; b < D; ++b) row[b] += va * xv[b];
        }
      } else {  // sparse (MNIST: ~20% of the pixels are non-zero)
        for (std::size_t ia = 0; ia < nz.size(); ++ia) {
          const double va = xv[nz[ia]];
          double* row = S.data() + nz[ia] * D;
          for (std::size_t ib = ia; ib < nz.size(); ++ib) row[nz[ib]] += va * xv[nz[ib]];
        }
      }
    }
    // cov(y)_ab = scale_a scale_b cov(x)_ab, cov(x)_ab = (K S_ab - s_a s_b) / (K^2 255^2).
    const double kk = static_cast<double>(K), denom = kk * kk * 255.0 * 255.0;
    std::vector<double> cov(D * D);
    for (std::size_t a = 0; a < D; ++a)
      for (std::size_t b = a; b < D; ++b) {
        const double v =
            (kk * S[a * D + b] - s[a] * s[b]) / denom * static_cast<double>(scale_[a]) * static_cast<double>(scale_[b]);
        cov[a * D + b] = cov[b * D + a] = v;
      }
    S.clear();
    S.shrink_to_fit();
    symmetric_eigen(cov, D, eigenvalues_, eigenvectors_);
    std::vector<double> r(D);
    for (std::size_t k = 0; k < D; ++k) r[k] = 1.0 / std::sqrt(std::max(0.0, eigenvalues_[k]) + cfg_.eps);
    whiten_matrix_.assign(D * D, 0.0f);
    if (cfg_.whiten == PreprocessConfig::Whiten::pca) {
      for (std::size_t k = 0; k < D; ++k)
        for (std::size_t j = 0; j < D; ++j)
          whiten_matrix_[k * D + j] = static_cast<float>(eigenvectors_[k * D + j] * r[k]);
    } else {
      // W = U diag(r) U^T = sum_k r_k u_k u_k^T (u_k = row k of eigenvectors_).
      std::vector<double> W(D * D, 0.0);
      for (std::size_t k = 0; k < D; ++k) {
        const double* uk = eigenvectors_.data() + k * D;
        for (std::size_t i = 0; i < D; ++i) {
          const double t = uk[i] * r[k];
          if (t == 0.0) continue;
          double* row = W.data() + i * D;
          for (std::size_t j = 0; j < D; ++j) row[j] += t * uk[j];
        }
      }
      for (std::size_t i = 0; i < D * D; ++i) whiten_matrix_[i] = static_cast<float>(W[i]);
    }
    // m = mean of y over the whole training set.
    whiten_mean_.resize(D);
    for (std::size_t j = 0; j < D; ++j)
      whiten_mean_[j] = static_cast<float>(pm[j] * static_cast<double>(scale_[j]) + static_cast<double>(shift_[j]));
  }
  fitted_ = true;
}

void Preprocess::apply(Tensor& x) const {
  if (is_identity()) return;
  if (!fitted_) fail("apply() before fit()");
  if (x.dimension() != 4 || x.shape()[1] != shape_[0] || x.shape()[2] != shape_[1] || x.shape()[3] != shape_[2])
    fail("expects a batch {N, " + std::to_string(shape_[0]) + ", " + std::to_string(shape_[1]) + ", " +
         std::to_string(shape_[2]) + "} (the fitted shape), got " + shape_str(shape_of(x)));
  apply(x.data(), x.shape()[0]);
}

void Preprocess::apply(float* x, std::size_t n) const {
  if (is_identity() || n == 0) return;
  if (!fitted_) fail("apply() before fit()");
  const std::size_t D = shape_size(shape_);
  if (cfg_.mean != PreprocessConfig::Mean::none || cfg_.std)
    for (std::size_t k = 0; k < n; ++k) {
      float* p = x + k * D;
      for (std::size_t j = 0; j < D; ++j) p[j] = p[j] * scale_[j] + shift_[j];
    }
  if (cfg_.whiten != PreprocessConfig::Whiten::none) {
    std::vector<float> centred(n * D);
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < D; ++j) centred[k * D + j] = x[k * D + j] - whiten_mean_[j];
    const int Di = static_cast<int>(D);
    // x = centred W^T
    kernels::gemm_f32(false, true, static_cast<int>(n), Di, Di, centred.data(), Di, whiten_matrix_.data(), Di, 0.0f, x,
                      Di);
  }
}

json Preprocess::to_json() const {
  json j = cfg_.to_json();
  j["fitted"] = fitted_;
  if (!fitted_) return j;
  j["shape"] = shape_;
  if (!channel_mean_.empty()) j["channel_mean"] = channel_mean_;
  if (!channel_std_.empty()) j["channel_std"] = channel_std_;
  if (!pixel_mean_.empty()) j["pixel_mean"] = floats_to_b64(pixel_mean_);
  if (!whiten_matrix_.empty()) {
    j["whiten_mean"] = floats_to_b64(whiten_mean_);
    j["whiten_matrix"] = floats_to_b64(whiten_matrix_);
    j["eigenvalues"] = eigenvalues_;
  }
  return j;
}

Preprocess Preprocess::from_json(const json& j) {
  if (!j.is_object()) fail("state: expected a JSON object, got " + j.dump().substr(0, 80));
  json cfgj = json::object();
  for (const char* k : {"mean", "std", "whiten", "eps", "fit_samples", "seed"})
    if (j.contains(k)) cfgj[k] = j[k];
  Preprocess p(PreprocessConfig::from_json(cfgj));
  const bool fitted = json_bool(j, "fitted", false, kWhere);
  if (!fitted || p.is_identity()) {
    p.fitted_ = fitted;
    if (fitted && j.contains("shape")) {
      const auto sh = number_array(j, "shape", 3);
      p.shape_ = {static_cast<std::size_t>(sh[0]), static_cast<std::size_t>(sh[1]), static_cast<std::size_t>(sh[2])};
    }
    return p;
  }
  const auto sh = number_array(j, "shape", 3);
  for (double v : sh)
    if (!(v >= 1.0 && v <= 65536.0 && v == std::floor(v))) fail("state 'shape' must hold 3 positive integers");
  p.shape_ = {static_cast<std::size_t>(sh[0]), static_cast<std::size_t>(sh[1]), static_cast<std::size_t>(sh[2])};
  const std::size_t C = p.shape_[0], D = shape_size(p.shape_);
  p.channel_mean_ = number_array(j, "channel_mean", C);
  p.channel_std_ = number_array(j, "channel_std", C);
  if (p.cfg_.mean == PreprocessConfig::Mean::pixel) p.pixel_mean_ = b64_array(j, "pixel_mean", D);
  p.build_affine();
  if (p.cfg_.whiten != PreprocessConfig::Whiten::none) {
    if (D > 16384) fail("state: whitening of " + std::to_string(D) + " values is too large");
    p.whiten_mean_ = b64_array(j, "whiten_mean", D);
    p.whiten_matrix_ = b64_array(j, "whiten_matrix", D * D);
    if (j.contains("eigenvalues")) p.eigenvalues_ = number_array(j, "eigenvalues", D);
  }
  p.fitted_ = true;
  return p;
}

namespace {
void check_shape(const Preprocess& p, const Shape& input, const std::string& what) {
  if (!p.is_identity() && p.shape() != input)
    fail("fitted on images of " + shape_str(p.shape()) + " but " + what + " has images of " + shape_str(input));
}
}  // namespace

Preprocess fit_preprocess(const json& spec, const Dataset& train) {
  if (spec.is_null() || spec == "standardize") {
    Preprocess p(PreprocessConfig{});  // channel mean + std
    p.fit(train);
    return p;
  }
  if (spec == "none") return Preprocess();
  if (!spec.is_object()) fail("expected \"standardize\", \"none\" or a JSON object, got " + spec.dump().substr(0, 80));
  if (json_bool(spec, "fitted", false, kWhere)) {
    Preprocess p = Preprocess::from_json(spec);
    check_shape(p, train.sample_shape(), "the training set");
    return p;
  }
  Preprocess p(PreprocessConfig::from_json(spec));
  p.fit(train);
  return p;
}

Preprocess preprocess_for(const json& state, const Shape& input) {
  Preprocess p = Preprocess::from_json(state);
  if (!p.is_identity() && !p.fitted()) fail("the state is not fitted (\"fitted\": false)");
  check_shape(p, input, "the model");
  return p;
}

}  // namespace cnn
