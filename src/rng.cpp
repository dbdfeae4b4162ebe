#include "rng.h"

#include <cmath>
#include <sstream>

#include "tensor.h"

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

std::string Rng::state() const {
  std::ostringstream os;
  os << gen_ << ' ' << have_spare_ << ' ';
  os.precision(17);
  os << spare_;
  return os.str();
}

void Rng::set_state(const std::string& s) {
  std::istringstream is(s);
  is >> gen_ >> have_spare_ >> spare_;
  if (!is) throw Error("random generator state is malformed");
}

}  // namespace cnn
