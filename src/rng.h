// A seeded generator that gives the same numbers natively (libstdc++) and in wasm (libc++).
// std::mt19937 is specified bit for bit; the distributions are not (std::normal_distribution
// draws differently in the two libraries), so floats and normals are made here from raw bits.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace cnn {

class Rng {
 public:
  explicit Rng(std::uint32_t seed = 42) : gen_(seed) {}
  void seed(std::uint32_t s) {
    gen_.seed(s);
    have_spare_ = false;
  }
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(gen_()); }
  // Uniform in [0, 1) with 24 random bits.
  float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n).
  std::uint32_t below(std::uint32_t n);
  // Standard normal by Box-Muller (double precision internally, the same on both builds).
  float normal();
  // Full state, for checkpoints.
  std::string state() const;
  void set_state(const std::string& s);

 private:
  std::mt19937 gen_;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cnn
