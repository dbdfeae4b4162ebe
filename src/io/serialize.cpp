#include "io/serialize.h"

#include <cstring>
#include <fstream>

#include "core/size_limits.h"

namespace cnn {

namespace {

constexpr char kMagic[8] = {'C', 'N', 'N', 'M', 'O', 'D', 'E', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kMinPacked = 16;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

bool is_float_array(const json& j) {
  if (!j.is_array() || j.size() < kMinPacked) return false;
  for (const json& e : j)
    if (!e.is_number_float()) return false;
  return true;
}

// Moves long float arrays into the blob.
json pack(const json& j, std::vector<float>& blob) {
  if (is_float_array(j)) {
    const std::size_t off = blob.size();
    for (const json& e : j) blob.push_back(e.get<float>());
    return json{{"$f32", {off, j.size()}}};
  }
  if (j.is_object()) {
    json o = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) o[it.key()] = pack(it.value(), blob);
    return o;
  }
  if (j.is_array()) {
    json a = json::array();
    for (const json& e : j) a.push_back(pack(e, blob));
    return a;
  }
  return j;
}

// The checked {offset, count} of an array reference {"$f32": [offset, count]}.
std::pair<std::uint64_t, std::uint64_t> array_ref(const json& ref, std::size_t count, const std::string& name) {
  if (!ref.is_array() || ref.size() != 2 || !ref[0].is_number_unsigned() || !ref[1].is_number_unsigned())
    throw Error(name + ": malformed array reference " + ref.dump());
  const std::uint64_t off = ref[0], n = ref[1];
  if (off > count || n > count - off)
    throw Error(name + ": the file is truncated (an array needs floats " + std::to_string(off) + ".." +
                std::to_string(off + n) + ", the file holds " + std::to_string(count) + ")");
  return {off, n};
}

bool is_ref(const json& j) { return j.is_object() && j.size() == 1 && j.contains("$f32"); }

void check_refs(const json& j, std::size_t count, const std::string& name) {
  if (is_ref(j)) {
    array_ref(j["$f32"], count, name);
  } else if (j.is_structured()) {
    for (const json& e : j) check_refs(e, count, name);
  }
}

json unpack(const json& j, const float* blob, std::size_t count, const std::string& name) {
  if (j.is_object()) {
    auto it = j.find("$f32");
    if (it != j.end() && j.size() == 1) {
      const auto [off, n] = array_ref(*it, count, name);
      json a = json::array();
      for (std::uint64_t i = 0; i < n; ++i) a.push_back(blob[off + i]);
      return a;
    }
    json o = json::object();
    for (auto e = j.begin(); e != j.end(); ++e) o[e.key()] = unpack(e.value(), blob, count, name);
    return o;
  }
  if (j.is_array()) {
    json a = json::array();
    for (const json& e : j) a.push_back(unpack(e, blob, count, name));
    return a;
  }
  return j;
}

json tensor_json(const Tensor& t) {
  return {{"shape", shape_of(t)}, {"data", std::vector<float>(t.data(), t.data() + t.size())}};
}

void tensor_from_json(Tensor& t, const json& j, const std::string& what, const std::string& name) {
  if (!j.is_object() || !j.contains("shape") || !j.contains("data") || !j["data"].is_array())
    throw Error(name + ": " + what + " is malformed");
  // Whole non-negative numbers only (json's get<Shape>() would convert 3e57 to a size_t: undefined).
  Shape s;
  if (!j["shape"].is_array()) throw Error(name + ": " + what + " has a malformed shape");
  for (const json& d : j["shape"]) {
    if (!d.is_number_unsigned()) throw Error(name + ": " + what + " has a malformed shape");
    s.push_back(d.get<std::size_t>());
  }
  if (s != shape_of(t))
    throw Error(name + ": " + what + " has shape " + shape_str(s) + " but the model needs " + shape_str(shape_of(t)));
  const json& d = j["data"];
  if (d.size() != t.size())
    throw Error(name + ": " + what + " has " + std::to_string(d.size()) + " values, expected " +
                std::to_string(t.size()));
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!d[i].is_number()) throw Error(name + ": " + what + " holds a non-number");
    t.data()[i] = d[i].get<float>();
  }
}

}  // namespace

std::vector<std::uint8_t> encode_bundle(const json& doc) {
  std::vector<float> blob;
  const std::string header = pack(doc, blob).dump();
  std::vector<std::uint8_t> out(kMagic, kMagic + 8);
  put_u32(out, kVersion);
  put_u32(out, static_cast<std::uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  const std::size_t at = out.size();
  out.resize(at + blob.size() * 4);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    std::uint32_t u;
    std::memcpy(&u, &blob[i], 4);
    for (int b = 0; b < 4; ++b) out[at + 4 * i + b] = static_cast<std::uint8_t>(u >> (8 * b));
  }
  return out;
}

namespace {

// Checks the framing and parses the header; *blob_floats = the number of floats after it.
json parse_header(const std::uint8_t* bytes, std::size_t size, const std::string& name, std::size_t* blob_floats) {
  if (size < 16 || std::memcmp(bytes, kMagic, 8) != 0)
    throw Error(name + ": not a model file (it does not start with CNNMODEL)");
  const std::uint32_t version = get_u32(bytes + 8), hlen = get_u32(bytes + 12);
  if (version != kVersion)
    throw Error(name + ": model file format version " + std::to_string(version) + " is not supported (this is " +
                std::to_string(kVersion) + ")");
  if (hlen > size - 16) throw Error(name + ": the file is truncated (its header is cut off)");
  const std::size_t blob_bytes = size - 16 - hlen;
  if (blob_bytes % 4 != 0) throw Error(name + ": the file is truncated (the float data is cut off)");
  const char* text = reinterpret_cast<const char*>(bytes + 16);
  json header = parse_json(text, text + hlen, name + ": the header");
  *blob_floats = blob_bytes / 4;
  return header;
}

}  // namespace

json decode_bundle(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  std::size_t floats = 0;
  const json header = parse_header(bytes, size, name, &floats);
  std::vector<float> blob(floats);
  const std::uint8_t* p = bytes + (size - floats * 4);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    const std::uint32_t u = get_u32(p + 4 * i);
    std::memcpy(&blob[i], &u, 4);
  }
  return unpack(header, blob.data(), blob.size(), name);
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("cannot write '" + path + "'");
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw Error("writing '" + path + "' failed");
  }
  // Replace atomically: a crash mid-write never leaves a half-written model behind.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error("cannot replace '" + path + "'");
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open '" + path + "'");
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

json decode_bundle_header(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  std::size_t floats = 0;
  json header = parse_header(bytes, size, name, &floats);
  check_refs(header, floats, name);
  return header;
}

json model_document(Model& m) {
  json d{{"format", "cnn-model"}, {"version", 1}, {"architecture", m.description()}};
  d["params"] = json::object();
  for (auto& p : m.params()) d["params"][p.name] = tensor_json(*p.value);
  d["buffers"] = json::object();
  for (auto& [n, t] : m.buffers()) d["buffers"][n] = tensor_json(*t);
  return d;
}

void load_state_into(Model& m, const json& doc, const std::string& name) {
  if (!doc.contains("params") || !doc["params"].is_object()) throw Error(name + ": no \"params\" section");
  for (auto& p : m.params()) {
    if (!doc["params"].contains(p.name)) throw Error(name + ": parameter '" + p.name + "' is missing");
    tensor_from_json(*p.value, doc["params"][p.name], "parameter '" + p.name + "'", name);
  }
  for (auto& [n, t] : m.buffers()) {
    if (!doc.contains("buffers") || !doc["buffers"].contains(n)) throw Error(name + ": buffer '" + n + "' is missing");
    tensor_from_json(*t, doc["buffers"][n], "buffer '" + n + "'", name);
  }
}

namespace {
// {"format": "cnn-model", ...}; a "format" of another type is "not a cnn-model document" too (json's
// value() would throw its own type_error).
bool is_cnn_model(const json& doc) {
  if (!doc.is_object()) return false;
  const auto it = doc.find("format");
  return it != doc.end() && it->is_string() && it->get<std::string>() == "cnn-model";
}
}  // namespace

Model model_from_document(const json& doc, const std::string& name) {
  if (!is_cnn_model(doc)) throw Error(name + ": not a cnn-model document");
  if (!doc.contains("architecture")) throw Error(name + ": no \"architecture\" section");
  Model m = [&] {
    try {
      return Model(doc["architecture"]);
    } catch (const Error& e) {
      throw Error(name + ": " + e.what());
    }
  }();
  load_state_into(m, doc, name);
  return m;
}

std::vector<std::uint8_t> encode_model(Model& m, const json& extra) {
  if (!extra.is_object()) throw Error("the extra sections of a model file must be a JSON object");
  json d = model_document(m);
  for (auto it = extra.begin(); it != extra.end(); ++it) d[it.key()] = it.value();
  return encode_bundle(d);
}

json model_file_info(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  json h = decode_bundle_header(bytes, size, name);
  if (!is_cnn_model(h)) throw Error(name + ": not a cnn-model document");
  json info = json::object();
  for (auto it = h.begin(); it != h.end(); ++it)
    if (it.key() != "params" && it.key() != "buffers" && it.key() != "training") info[it.key()] = it.value();
  // Saturating: the shapes are not checked here (the file is not loaded), only counted.
  std::uint64_t count = 0;
  if (h.contains("params") && h["params"].is_object())
    for (const json& p : h["params"]) {
      std::uint64_t n = 1;
      if (p.is_object() && p.contains("shape") && p["shape"].is_array())
        for (const json& d : p["shape"]) n = mul_sat(n, d.is_number_unsigned() ? d.get<std::uint64_t>() : 0);
      count = add_sat(count, n);
    }
  info["param_count"] = count;
  info["has_training"] = h.contains("training");
  if (h.contains("training") && h["training"].is_object()) {
    json t = json::object();
    for (const char* k : {"config", "iteration", "epoch", "status", "message", "history"})
      if (h["training"].contains(k)) t[k] = h["training"][k];
    info["training"] = t;
  }
  return info;
}

void save_model(Model& m, const std::string& path, const json& extra) { write_file(path, encode_model(m, extra)); }

Model load_model(const std::string& path) {
  const auto bytes = read_file_bytes(path);
  return model_from_document(decode_bundle(bytes.data(), bytes.size(), path), path);
}

}  // namespace cnn
