#include "engine/model/tfjs_weights.h"

#include <bit>
#include <cstring>

#include "engine/core/config.h"
#include "engine/core/file_io.h"

namespace mirage::model {
namespace {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "tfjs shards are little-endian");

struct Entry {
  std::string name;
  std::vector<std::int64_t> shape;
  std::int64_t count = 1;
  int bytes_per_value = 4;
  enum class Kind { kFloat32, kInt32, kUint8, kUint16 } kind = Kind::kFloat32;
  double scale = 1.0, min = 0.0;
};

Result<Entry> read_entry(const Json& w, std::string_view where) {
  if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
      !w["shape"].is_array() || !w.contains("dtype") || !w["dtype"].is_string()) {
    return fail(ErrorCode::kCorrupt, "{}: an entry without name, shape and dtype: not a TensorFlow.js weights manifest", where);
  }
  Entry e;
  e.name = w["name"].get<std::string>();
  const std::string name = printable(e.name);  // for messages
  for (const Json& d : w["shape"]) {
    if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > (1 << 24)) {
      return fail(ErrorCode::kCorrupt, "{}: {}: shape: expected non-negative integers", where, name);
    }
    e.shape.push_back(d.get<std::int64_t>());
    e.count *= e.shape.back();
    if (e.count > (std::int64_t{1} << 31)) return fail(ErrorCode::kCorrupt, "{}: {}: shape: too large", where, name);
  }
  const std::string dtype = w["dtype"].get<std::string>();
  if (dtype != "float32" && dtype != "int32") {
    return fail(ErrorCode::kUnsupported, "{}: {}: dtype '{}' is not read (float32 and int32 are)", where, name, printable(dtype));
  }
  e.kind = dtype == "int32" ? Entry::Kind::kInt32 : Entry::Kind::kFloat32;
  if (w.contains("quantization")) {
    const Json& q = w["quantization"];
    if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string()) {
      return fail(ErrorCode::kCorrupt, "{}: {}: quantization: expected an object with a dtype", where, name);
    }
    const std::string qtype = q["dtype"].get<std::string>();
    if (qtype != "uint8" && qtype != "uint16") {
      return fail(ErrorCode::kUnsupported, "{}: {}: quantization '{}' is not read (uint8 and uint16 are)", where, name, printable(qtype));
    }
    if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") || !q["min"].is_number()) {
      return fail(ErrorCode::kCorrupt, "{}: {}: quantization: expected numbers scale and min", where, name);
    }
    e.kind = qtype == "uint8" ? Entry::Kind::kUint8 : Entry::Kind::kUint16;
    e.bytes_per_value = qtype == "uint8" ? 1 : 2;
    e.scale = q["scale"].get<double>();
    e.min = q["min"].get<double>();
  }
  return e;
}

void decode(const Entry& e, const unsigned char* bytes, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(e.count));
  for (std::int64_t i = 0; i < e.count; ++i) {
    const unsigned char* p = bytes + i * e.bytes_per_value;
    switch (e.kind) {
      case Entry::Kind::kFloat32: std::memcpy(&out[i], p, 4); break;
      case Entry::Kind::kInt32: {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        out[i] = static_cast<float>(v);
        break;
      }
      case Entry::Kind::kUint8: out[i] = static_cast<float>(p[0] * e.scale + e.min); break;
      case Entry::Kind::kUint16: {
        std::uint16_t v;
        std::memcpy(&v, p, 2);
        out[i] = static_cast<float>(v * e.scale + e.min);
        break;
      }
    }
  }
}

}  // namespace

Result<std::vector<TfjsTensor>> parse_tfjs_weights(std::string_view manifest_text, std::string_view where,
                                                   const ShardReader& read_shard) {
  auto json = parse_json(manifest_text, where);
  if (!json) return fail(ErrorCode::kCorrupt, "{} (not a TensorFlow.js weights manifest)", json.error().message);
  if (!json->is_array() || json->empty()) {
    return fail(ErrorCode::kCorrupt, "{}: expected an array of weight groups: not a TensorFlow.js weights manifest", where);
  }
  std::vector<TfjsTensor> tensors;
  for (const Json& group : *json) {
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
        !group["weights"].is_array()) {
      return fail(ErrorCode::kCorrupt, "{}: a group without paths and weights: not a TensorFlow.js weights manifest", where);
    }
    std::string bytes;
    std::string shard_names;
    for (const Json& p : group["paths"]) {
      if (!p.is_string()) return fail(ErrorCode::kCorrupt, "{}: paths: expected file names", where);
      auto shard_bytes = read_shard(p.get<std::string>());
      if (!shard_bytes) return std::unexpected(shard_bytes.error());
      bytes += *shard_bytes;
      if (!shard_names.empty()) shard_names += '+';
      shard_names += fs::path(p.get<std::string>()).filename().string();
    }
    std::size_t offset = 0;
    for (const Json& w : group["weights"]) {
      auto entry = read_entry(w, where);
      if (!entry) return std::unexpected(entry.error());
      const std::size_t need = static_cast<std::size_t>(entry->count) * entry->bytes_per_value;
      if (need > bytes.size() - offset) {
        return fail(ErrorCode::kCorrupt,
                    "{}: the shapes disagree with the binary: {} needs bytes {}..{} but {} holds {} (truncated or "
                    "another model's file)",
                    where, printable(entry->name), offset, offset + need, printable(shard_names), bytes.size());
      }
      TfjsTensor t{.name = entry->name, .shape = entry->shape, .values = {}};
      decode(*entry, reinterpret_cast<const unsigned char*>(bytes.data()) + offset, t.values);
      offset += need;
      tensors.push_back(std::move(t));
    }
    if (offset != bytes.size()) {
      return fail(ErrorCode::kCorrupt, "{}: the shapes disagree with the binary: the entries need {} bytes but {} holds {}",
                  where, offset, printable(shard_names), bytes.size());
    }
  }
  return tensors;
}

Result<std::vector<TfjsTensor>> load_tfjs_weights(const fs::path& manifest) {
  const std::string where = manifest.string();
  if (!fs::exists(manifest)) return fail(ErrorCode::kNotFound, "no such weights manifest: {}", where);
  auto text = read_file(manifest);
  if (!text) return std::unexpected(text.error());
  return parse_tfjs_weights(*text, where, [&](const std::string& name) -> Result<std::string> {
    const fs::path shard = manifest.parent_path() / name;
    if (!fs::exists(shard)) return fail(ErrorCode::kNotFound, "{}: the weights file {} is missing", where, shard.string());
    return read_file(shard);
  });
}

const TfjsTensor* find_tensor(const std::vector<TfjsTensor>& tensors, std::string_view name) {
  for (const TfjsTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace mirage::model
