#include "io/npy.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "core/size_limits.h"
#include "core/tensor.h"
#include "io/serialize.h"

namespace cnn {

namespace {

constexpr std::size_t kMaxRank = 64;  // NumPy's own limit (NPY_MAXDIMS in NumPy 2; 32 before)
// At most this many values: one tensor of the engine (size_limits.h), the same in both builds.
constexpr std::size_t kMaxValues = static_cast<std::size_t>(kMaxTensorElements);

// Header text quoted in messages: at most 60 characters, anything unprintable as '?'.
std::string quoted(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 60; ++i) out += s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '?';
  return "'" + out + (s.size() > 60 ? "...'" : "'");
}

// The product of the dimensions, or an Error when it (or the product of the non-zero ones: a
// zero-size array still has to have sensible dimensions) exceeds kMaxValues.
std::size_t value_count(const std::vector<std::size_t>& shape, const std::string& who, const std::string& text) {
  std::size_t nonzero = 1;
  bool zero = false;
  for (std::size_t d : shape) {
    if (d == 0) {
      zero = true;
      continue;
    }
    if (nonzero > kMaxValues / d)
      throw Error(who + ": the shape " + text + " is too large (more than " + std::to_string(kMaxValues) +
                  " values, the most this engine holds in one tensor)");
    nonzero *= d;
  }
  return zero ? 0 : nonzero;
}

// The header: a Python dict literal with the keys 'descr' (a string), 'fortran_order' (True or
// False) and 'shape' (a tuple of whole numbers), in any order, each exactly once, an optional
// trailing comma, then only spaces up to the end (NumPy pads with spaces and a '\n').
class HeaderParser {
 public:
  HeaderParser(const std::string& h, const std::string& path) : h_(h), path_(path) {}

  Npy parse() {
    expect('{', "it does not start with '{'");
    bool have_descr = false, have_order = false, have_shape = false;
    Npy n;
    ws();
    while (!at('}')) {
      const std::string key = string_literal("a key");
      expect(':', "no ':' after the key " + quoted(key));
      bool* seen = key == "descr"           ? &have_descr
                   : key == "fortran_order" ? &have_order
                   : key == "shape"         ? &have_shape
                                            : nullptr;
      if (!seen) throw bad("unknown key " + quoted(key) + " in the header");
      if (*seen) throw bad("the key " + quoted(key) + " is in the header twice");
      *seen = true;
      if (key == "descr") {
        const std::string descr = string_literal("the value of 'descr'");
        if (descr != "<f4")
          throw Error(path_ + ": the array holds " + quoted(descr) +
                      " values; float32 ('<f4') is needed (numpy: x.astype(np.float32))");
      } else if (key == "fortran_order") {
        const std::string v = word();
        if (v == "True") throw Error(path_ + ": a Fortran-order array; save it in C order");
        if (v != "False") throw bad("'fortran_order' must be True or False, not " + quoted(v));
      } else {
        n.shape = shape();
      }
      ws();
      if (at(',')) {
        ++i_;
        ws();
      } else if (!at('}')) {
        throw bad("malformed header: expected ',' or '}' at byte " + std::to_string(i_) + " of " + quoted(h_));
      }
    }
    ++i_;
    while (i_ < h_.size() && (h_[i_] == ' ' || h_[i_] == '\n' || h_[i_] == '\r' || h_[i_] == '\t')) ++i_;
    if (i_ != h_.size()) throw bad("malformed header: text after its closing '}'");
    if (!have_descr) throw bad("no 'descr' in the header");
    if (!have_order) throw bad("no 'fortran_order' in the header");
    if (!have_shape) throw bad("no 'shape' in the header");
    return n;
  }

 private:
  Error bad(const std::string& why) const { return Error(path_ + ": not a float32 .npy file (" + why + ")"); }
  bool at(char c) const { return i_ < h_.size() && h_[i_] == c; }
  void ws() {
    while (i_ < h_.size() && (h_[i_] == ' ' || h_[i_] == '\t' || h_[i_] == '\n' || h_[i_] == '\r')) ++i_;
  }
  void expect(char c, const std::string& why) {
    ws();
    if (!at(c)) throw bad("malformed header: " + why);
    ++i_;
  }
  // '...' or "..." without escapes (NumPy's keys and type strings have none).
  std::string string_literal(const std::string& what) {
    ws();
    if (!at('\'') && !at('"')) throw bad("malformed header: " + what + " is not a quoted string");
    const char q = h_[i_++];
    const std::size_t end = h_.find(q, i_);
    if (end == std::string::npos) throw bad("malformed header: " + what + " is not a closed string");
    std::string s = h_.substr(i_, end - i_);
    if (s.find('\\') != std::string::npos) throw bad("malformed header: " + what + " has an escape sequence");
    i_ = end + 1;
    return s;
  }
  std::string word() {
    ws();
    const std::size_t start = i_;
    while (i_ < h_.size() && std::isalnum(static_cast<unsigned char>(h_[i_]))) ++i_;
    return h_.substr(start, i_ - start);
  }
  // (d0, d1, ...): whole numbers in decimal; one dimension needs its comma, as in Python: (3,).
  std::vector<std::size_t> shape() {
    ws();
    const std::size_t open = i_, close = h_.find(')', i_);
    const std::string text = h_.substr(open, close == std::string::npos ? std::string::npos : close - open + 1);
    auto malformed = [&](const std::string& why) { return bad("malformed shape " + quoted(text) + ": " + why); };
    if (!at('(')) throw malformed("not a tuple such as (60000, 28, 28)");
    ++i_;
    std::vector<std::size_t> dims;
    bool comma = false;
    for (;;) {
      ws();
      if (at(')')) break;
      const std::size_t start = i_;
      while (i_ < h_.size() && h_[i_] != ',' && h_[i_] != ')' && h_[i_] != ' ') ++i_;
      const std::string item = h_.substr(start, i_ - start);
      if (item.empty()) throw malformed("an empty dimension");
      if (item.find_first_not_of("0123456789") != std::string::npos)
        throw malformed("the dimension " + quoted(item) + " is not a whole number");
      std::size_t d = 0;
      for (char c : item) {
        const std::size_t digit = static_cast<std::size_t>(c - '0');
        if (d > (std::numeric_limits<std::size_t>::max() - digit) / 10)
          throw malformed("the dimension " + quoted(item) + " is too large");
        d = d * 10 + digit;
      }
      if (dims.size() == kMaxRank) throw malformed("more than " + std::to_string(kMaxRank) + " dimensions");
      dims.push_back(d);
      ws();
      comma = at(',');
      if (comma) {
        ++i_;
      } else if (!at(')')) {
        throw malformed("expected ',' or ')' after " + quoted(item));
      }
    }
    if (dims.size() == 1 && !comma) throw malformed("one dimension is written (n,) in Python");
    ++i_;
    value_count(dims, path_, quoted(text));
    return dims;
  }

  const std::string& h_;
  const std::string& path_;
  std::size_t i_ = 0;
};

std::uint32_t le32(const std::uint8_t* s) {
  return s[0] | static_cast<std::uint32_t>(s[1]) << 8 | static_cast<std::uint32_t>(s[2]) << 16 |
         static_cast<std::uint32_t>(s[3]) << 24;
}

}  // namespace

Npy parse_npy(const std::uint8_t* b, std::size_t size, const std::string& path) {
  auto bad = [&](const std::string& why) { return Error(path + ": not a float32 .npy file (" + why + ")"); };
  if (!b && size) throw bad("null buffer");
  if (size < 6 || std::memcmp(b, "\x93NUMPY", 6) != 0) throw bad("no NumPy magic");
  if (size < 8) throw bad("truncated header: no version");
  const int major = b[6], minor = b[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw bad("unknown version " + std::to_string(major) + "." + std::to_string(minor) + "; 1.0, 2.0 and 3.0 are read");
  const std::size_t off = major == 1 ? 10 : 12;
  if (size < off) throw bad("truncated header: no header length");
  const std::size_t hlen = major == 1 ? (b[8] | static_cast<std::size_t>(b[9]) << 8) : le32(b + 8);
  if (hlen > size - off)
    throw bad("truncated header: it is " + std::to_string(hlen) + " bytes long, the file has " +
              std::to_string(size - off) + " after its length");
  const std::string h(reinterpret_cast<const char*>(b + off), hlen);
  Npy n = HeaderParser(h, path).parse();
  const std::size_t count = value_count(n.shape, path, shape_str(n.shape));
  const std::size_t start = off + hlen;
  if (size - start != count * 4)
    throw Error(path + ": the shape " + shape_str(n.shape) + " needs " + std::to_string(count * 4) +
                " bytes of data, the file has " + std::to_string(size - start));
  n.data.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t u = le32(b + start + 4 * i);
    std::memcpy(&n.data[i], &u, 4);
  }
  return n;
}

Npy read_npy(const std::string& path) {
  const auto b = read_file_bytes(path);
  return parse_npy(b.data(), b.size(), path);
}

std::vector<std::uint8_t> encode_npy(const std::vector<std::size_t>& shape, const float* data) {
  if (shape.size() > kMaxRank) throw Error("write .npy: more than " + std::to_string(kMaxRank) + " dimensions");
  const std::size_t count = value_count(shape, "write .npy", shape_str(shape));
  if (count && !data) throw Error("write .npy: null data");
  std::string dims;
  for (std::size_t d : shape) dims += std::to_string(d) + ",";
  if (shape.size() > 1) dims.pop_back();
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<std::uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(static_cast<std::uint8_t>(h.size() & 0xff));
  out.push_back(static_cast<std::uint8_t>(h.size() >> 8));
  out.insert(out.end(), h.begin(), h.end());
  out.reserve(out.size() + 4 * count);
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
