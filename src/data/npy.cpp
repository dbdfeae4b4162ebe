#include "data/npy.h"

#include <cstring>
#include <sstream>

#include "serialize.h"
#include "tensor.h"

namespace cnn {

Npy parse_npy(const std::uint8_t* data, std::size_t size, const std::string& path) {
  const std::vector<std::uint8_t> b(data, data + size);
  auto bad = [&](const std::string& why) { return Error(path + ": not a float32 .npy file (" + why + ")"); };
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) throw bad("no NumPy magic");
  const int major = b[6];
  std::size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = b[8] | static_cast<std::size_t>(b[9]) << 8;
    off = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw bad("truncated header");
    hlen = b[8] | static_cast<std::size_t>(b[9]) << 8 | static_cast<std::size_t>(b[10]) << 16 |
           static_cast<std::size_t>(b[11]) << 24;
    off = 12;
  } else {
    throw bad("unknown version " + std::to_string(major));
  }
  if (b.size() < off + hlen) throw bad("truncated header");
  const std::string h(reinterpret_cast<const char*>(b.data() + off), hlen);
  auto value_after = [&](const std::string& key) {
    const std::size_t k = h.find("'" + key + "'");
    if (k == std::string::npos) throw bad("no '" + key + "' in the header");
    const std::size_t c = h.find(':', k);
    if (c == std::string::npos) throw bad("malformed header");
    return c + 1;
  };
  std::size_t p = h.find('\'', value_after("descr"));
  const std::size_t q = p == std::string::npos ? p : h.find('\'', p + 1);
  if (q == std::string::npos) throw bad("malformed descr");
  const std::string descr = h.substr(p + 1, q - p - 1);
  if (descr != "<f4")
    throw Error(path + ": the array holds '" + descr +
                "' values; float32 ('<f4') is needed (numpy: x.astype(np.float32))");
  p = value_after("fortran_order");
  while (p < h.size() && h[p] == ' ') ++p;
  if (h.compare(p, 5, "False") != 0) throw Error(path + ": a Fortran-order array; save it in C order");
  p = h.find('(', value_after("shape"));
  const std::size_t e = p == std::string::npos ? p : h.find(')', p);
  if (e == std::string::npos) throw bad("malformed shape");
  Npy n;
  std::stringstream ss(h.substr(p + 1, e - p - 1));
  std::string item;
  std::size_t count = 1;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (v < 0 || v > (1LL << 40)) throw bad("bad dimension '" + item + "'");
    n.shape.push_back(static_cast<std::size_t>(v));
    count *= static_cast<std::size_t>(v);
    if (count > (1ULL << 34)) throw bad("too large");
  }
  const std::size_t start = off + hlen;
  if (b.size() - start != count * 4)
    throw Error(path + ": the shape " + shape_str(n.shape) + " needs " + std::to_string(count * 4) +
                " bytes of data, the file has " + std::to_string(b.size() - start));
  n.data.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* s = b.data() + start + 4 * i;
    const std::uint32_t u = s[0] | static_cast<std::uint32_t>(s[1]) << 8 | static_cast<std::uint32_t>(s[2]) << 16 |
                            static_cast<std::uint32_t>(s[3]) << 24;
    std::memcpy(&n.data[i], &u, 4);
  }
  return n;
}

Npy read_npy(const std::string& path) {
  const auto b = read_file_bytes(path);
  return parse_npy(b.data(), b.size(), path);
}

std::vector<std::uint8_t> encode_npy(const std::vector<std::size_t>& shape, const float* data) {
  std::string dims;
  std::size_t count = 1;
  for (std::size_t d : shape) dims += std::to_string(d) + ",", count *= d;
  if (shape.size() > 1) dims.pop_back();
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<std::uint8_t> out{0x93,
                                'N',
                                'U',
                                'M',
                                'P',
                                'Y',
                                1,
                                0,
                                static_cast<std::uint8_t>(h.size() & 0xff),
                                static_cast<std::uint8_t>(h.size() >> 8)};
  for (char c : h) out.push_back(static_cast<std::uint8_t>(c));
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t u;
    std::memcpy(&u, data + i, 4);
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(u >> (8 * k)));
  }
  return out;
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data) {
  write_file(path, encode_npy(shape, data));
}

}  // namespace cnn
