// A seeded generator that gives the same numbers natively (libstdc++) and in wasm (libc++).
// MT19937 is specified bit for bit, but neither the distributions (std::normal_distribution draws
// differently in the two libraries) nor the text of std::mt19937's state are (libstdc++ writes 624
// words and its index, libc++ 624 words rotated): so the generator is our own (tested equal to
// std::mt19937), floats and normals are made here from raw bits, and the state text is ours, read
// and written the same by both builds. Checkpoints move between the page and the command line.
#pragma once

#include <cstdint>
#include <string>

namespace cnn {

// MT19937 (Matsumoto and Nishimura), the same sequence as std::mt19937.
class Mt19937 {
 public:
  static constexpr int kN = 624;
  explicit Mt19937(std::uint32_t seed = 5489u) { seed_with(seed); }
  void seed_with(std::uint32_t s);
  std::uint32_t operator()() {
    if (i_ >= kN) twist();
    std::uint32_t y = x_[i_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
  }
  std::uint32_t word(int k) const { return x_[k]; }
  int index() const { return i_; }
  void set(const std::uint32_t* words, int index);

 private:
  void twist();
  std::uint32_t x_[kN];
  int i_ = kN;
};

class Rng {
 public:
  explicit Rng(std::uint32_t seed = 42) : gen_(seed) {}
  void seed(std::uint32_t s) {
    gen_.seed_with(s);
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
  // Full state, for checkpoints: "mt19937 <624 words> <index> <spare flag> <spare's 64 bits in hex>".
  // set_state also reads the state texts of earlier checkpoints (std::mt19937's, libstdc++'s and libc++'s).
  std::string state() const;
  void set_state(const std::string& s);

 private:
  Mt19937 gen_;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cnn
