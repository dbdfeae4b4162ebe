#include "core/rng.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "core/tensor.h"

namespace cnn {

std::uint32_t Rng::below(std::uint32_t n) {
  // Rejection sampling: unbiased and identical on every platform.
  const std::uint32_t limit = 0xFFFFFFFFu - (0xFFFFFFFFu % n);
  std::uint32_t r;
  do r = next_u32();
  while (r >= limit);
  return r % n;
}

float Rng::normal() {
  if (have_spare_) {
    have_spare_ = false;
    return static_cast<float>(spare_);
  }
  // u1 in (0, 1], u2 in [0, 1), each from 53 bits.
  auto u53 = [this] {
    std::uint64_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
  };
  const double u1 = 1.0 - u53(), u2 = u53();
  const double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
  spare_ = r * std::sin(t);
  have_spare_ = true;
  return static_cast<float>(r * std::cos(t));
}

void Mt19937::seed_with(std::uint32_t s) {
  x_[0] = s;
  for (int k = 1; k < kN; ++k) x_[k] = 1812433253u * (x_[k - 1] ^ (x_[k - 1] >> 30)) + static_cast<std::uint32_t>(k);
  i_ = kN;
}

void Mt19937::twist() {
  constexpr int kM = 397;
  for (int k = 0; k < kN; ++k) {
    const std::uint32_t y = (x_[k] & 0x80000000u) | (x_[(k + 1) % kN] & 0x7fffffffu);
    x_[k] = x_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  i_ = 0;
}

void Mt19937::set(const std::uint32_t* words, int index) {
  for (int k = 0; k < kN; ++k) x_[k] = words[k];
  i_ = index;
}

std::string Rng::state() const {
  std::ostringstream os;
  os << "mt19937";
  for (int k = 0; k < Mt19937::kN; ++k) os << ' ' << gen_.word(k);
  std::uint64_t bits;
  std::memcpy(&bits, &spare_, 8);
  os << ' ' << gen_.index() << ' ' << (have_spare_ ? 1 : 0) << ' ' << std::hex << bits;
  return os.str();
}

void Rng::set_state(const std::string& s) {
  const auto bad = [](const std::string& why) { return Error("random generator state is malformed (" + why + ")"); };
  if (s.size() > 16384) throw bad("too long");
  std::istringstream is(s);
  std::vector<std::string> tok;
  for (std::string t; is >> t;) tok.push_back(t);
  const auto u64 = [&](const std::string& t, int base, std::uint64_t max) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(t, &used, base);
    } catch (const std::exception&) {
      throw bad("'" + t.substr(0, 20) + "' is not a number");
    }
    if (used != t.size() || t[0] == '-' || v > max) throw bad("'" + t.substr(0, 20) + "' is out of range");
    return static_cast<std::uint64_t>(v);
  };
  constexpr int N = Mt19937::kN;
  std::uint32_t w[N];
  int index = N;
  std::size_t at = 0;
  double spare = 0.0;
  bool have = false;
  if (!tok.empty() && tok[0] == "mt19937") {  // ours
    if (tok.size() != 1 + N + 3) throw bad("expected 628 fields, got " + std::to_string(tok.size()));
    at = 1;
    index = static_cast<int>(u64(tok[1 + N], 10, N));
    have = u64(tok[2 + N], 10, 1) == 1;
    const std::uint64_t bits = u64(tok[3 + N], 16, UINT64_MAX);
    std::memcpy(&spare, &bits, 8);
  } else if (tok.size() == N + 3 || tok.size() == N + 2) {
    // Earlier checkpoints, then "<spare flag> <spare>". libstdc++ twists the 624 words a block at a
    // time, as Mt19937 does: it wrote them and its index. libc++ replaces one word per draw and wrote
    // the 624 words from the next one to replace on: 624 consecutive values of the sequence, which is
    // Mt19937's state right before a block is twisted (index 624).
    index = tok.size() == N + 3 ? static_cast<int>(u64(tok[N], 10, N)) : N;
    have = u64(tok[tok.size() - 2], 10, 1) == 1;
    spare = std::strtod(tok.back().c_str(), nullptr);
  } else {
    throw bad("expected 628 fields, got " + std::to_string(tok.size()));
  }
  for (int k = 0; k < N; ++k) w[k] = static_cast<std::uint32_t>(u64(tok[at + k], 10, 0xFFFFFFFFu));
  if (!std::isfinite(spare)) throw bad("the spare normal is not finite");
  gen_.set(w, index);
  have_spare_ = have;
  spare_ = spare;
}

}  // namespace cnn
