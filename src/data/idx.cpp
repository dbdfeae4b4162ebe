#include "data/idx.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>

#include "core/tensor.h"

namespace cnn {

namespace {

constexpr std::size_t kMaxDims = 8;

const char* type_name(std::uint8_t t) {
  switch (t) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return nullptr;
  }
}

std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFFu);
  return buf;
}

struct Header {
  std::vector<std::size_t> dims;
  std::size_t header_bytes = 0;
  std::size_t data_bytes = 0;
};

// Validates the header in `p` (the first `avail` bytes of an input of `total` bytes).
// `avail` >= min(total, 4 + 4 * kMaxDims) is enough to parse any valid header.
Header parse_header(const std::uint8_t* p, std::size_t avail, std::size_t total, const std::string& name) {
  const std::string who = "IDX file '" + name + "'";
  if (total < 4)
    throw Error(who + ": truncated: " + std::to_string(total) +
                " bytes, shorter than the 4-byte magic number (expected at least 4)");
  if (p[0] == 0x1F && p[1] == 0x8B)
    throw Error(who +
                ": wrong magic number: it starts with 0x1F 0x8B, the gzip signature; the file is "
                "gzip-compressed: decompress it first (gunzip), only raw IDX is read");
  if (p[0] != 0 || p[1] != 0)
    throw Error(who + ": wrong magic number: bytes 0-1 are " + hex2(p[0]) + " " + hex2(p[1]) +
                ", expected 0x00 0x00 (not an IDX file)");
  const char* tn = type_name(p[2]);
  if (!tn) throw Error(who + ": wrong magic number: unknown data type code " + hex2(p[2]) + " in byte 2");
  if (p[2] != 0x08)
    throw Error(who + ": unsupported data type " + hex2(p[2]) + " (" + tn +
                "); only 0x08 (unsigned byte) is supported");
  const std::size_t nd = p[3];
  if (nd == 0 || nd > kMaxDims)
    throw Error(who + ": bad dimension count " + std::to_string(nd) + " in byte 3 (expected 1.." +
                std::to_string(kMaxDims) + ")");
  Header h;
  h.header_bytes = 4 + 4 * nd;
  if (total < h.header_bytes || avail < h.header_bytes)
    throw Error(who + ": truncated header: " + std::to_string(nd) + " dimensions need " +
                std::to_string(h.header_bytes) + " header bytes, but the file has only " + std::to_string(total) +
                " bytes");
  const std::size_t remaining = total - h.header_bytes;
  std::size_t prod = 1;
  bool overflow = false;
  for (std::size_t i = 0; i < nd; ++i) {
    const std::uint8_t* q = p + 4 + 4 * i;
    const std::uint32_t d =
        (std::uint32_t(q[0]) << 24) | (std::uint32_t(q[1]) << 16) | (std::uint32_t(q[2]) << 8) | std::uint32_t(q[3]);
    h.dims.push_back(d);
    if (d != 0 && prod > std::numeric_limits<std::size_t>::max() / d)
      overflow = true;
    else
      prod *= d;
  }
  if (overflow || prod > remaining)
    throw Error(who + ": truncated: the header declares " + idx_dims_str(h.dims) + " = " +
                (overflow ? std::string("more than 2^64") : std::to_string(prod)) + " bytes of data after the " +
                std::to_string(h.header_bytes) + "-byte header, but only " + std::to_string(remaining) +
                " bytes follow (file size " + std::to_string(total) + ")");
  if (prod < remaining)
    throw Error(who + ": size mismatch: the header declares " + idx_dims_str(h.dims) + " = " + std::to_string(prod) +
                " bytes of data after the " + std::to_string(h.header_bytes) + "-byte header, but " +
                std::to_string(remaining) + " bytes follow (" + std::to_string(remaining - prod) +
                " extra; file size " + std::to_string(total) + ")");
  h.data_bytes = prod;
  return h;
}

}  // namespace

std::string idx_dims_str(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

Idx parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  if (!bytes && size) throw Error("IDX file '" + name + "': null buffer");
  Header h = parse_header(bytes, size, size, name);
  Idx out;
  out.dims = std::move(h.dims);
  out.data.assign(bytes + h.header_bytes, bytes + h.header_bytes + h.data_bytes);
  return out;
}

Idx read_idx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("IDX file '" + path + "': cannot open it for reading");
  f.seekg(0, std::ios::end);
  const std::streamoff len = f.tellg();
  if (len < 0) throw Error("IDX file '" + path + "': cannot determine its size");
  f.seekg(0, std::ios::beg);
  const std::size_t total = static_cast<std::size_t>(len);
  std::uint8_t head[4 + 4 * kMaxDims] = {};
  const std::size_t want = std::min<std::size_t>(total, sizeof head);
  f.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(want));
  if (static_cast<std::size_t>(f.gcount()) != want) throw Error("IDX file '" + path + "': read error in the header");
  Header h = parse_header(head, want, total, path);
  // The header agrees with the real file length: the allocation below is bounded by the file.
  Idx out;
  out.dims = std::move(h.dims);
  out.data.resize(h.data_bytes);
  if (h.data_bytes) {
    f.seekg(static_cast<std::streamoff>(h.header_bytes), std::ios::beg);
    f.read(reinterpret_cast<char*>(out.data.data()), static_cast<std::streamsize>(h.data_bytes));
    if (!f || static_cast<std::size_t>(f.gcount()) != h.data_bytes)
      throw Error("IDX file '" + path + "': read error: expected " + std::to_string(h.data_bytes) +
                  " bytes of data, got " + std::to_string(f.gcount()));
  }
  return out;
}

std::vector<std::uint8_t> encode_idx(const Idx& idx) {
  if (idx.dims.empty() || idx.dims.size() > kMaxDims)
    throw Error("write IDX: " + std::to_string(idx.dims.size()) + " dimensions (expected 1.." +
                std::to_string(kMaxDims) + ")");
  std::size_t prod = 1;
  for (std::size_t d : idx.dims) {
    if (static_cast<unsigned long long>(d) > 0xFFFFFFFFull)
      throw Error("write IDX: dimension " + std::to_string(d) + " does not fit in 32 bits");
    if (d != 0 && prod > std::numeric_limits<std::size_t>::max() / d)
      throw Error("write IDX: dimensions " + idx_dims_str(idx.dims) + " overflow the address space");
    prod *= d;
  }
  if (prod != idx.data.size())
    throw Error("write IDX: dimensions " + idx_dims_str(idx.dims) + " = " + std::to_string(prod) + " bytes, but " +
                std::to_string(idx.data.size()) + " bytes of data were given");
  std::vector<std::uint8_t> out;
  out.reserve(4 + 4 * idx.dims.size() + prod);
  out.push_back(0);
  out.push_back(0);
  out.push_back(0x08);
  out.push_back(static_cast<std::uint8_t>(idx.dims.size()));
  for (std::size_t d : idx.dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>((d >> shift) & 0xFF));
  out.insert(out.end(), idx.data.begin(), idx.data.end());
  return out;
}

void write_idx(const std::string& path, const Idx& idx) {
  const std::vector<std::uint8_t> bytes = encode_idx(idx);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error("IDX file '" + path + "': cannot open it for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) throw Error("IDX file '" + path + "': write error");
}

}  // namespace cnn
