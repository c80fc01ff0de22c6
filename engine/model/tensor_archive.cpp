#include "engine/model/tensor_archive.h"

#include <array>
#include <cstring>

#include "engine/core/check.h"
#include "engine/core/format.h"

namespace mirage::model {
namespace {

constexpr std::string_view kMagic = "MIRAGE-TENSORS\n";
constexpr std::size_t kMaxNameLength = 255;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

template <class T>
void put(std::string& out, T value) {
  std::array<char, sizeof(T)> bytes{};
  std::memcpy(bytes.data(), &value, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out.append(bytes.data(), bytes.size());
}

// Reads from a view that shrinks as it goes; every read checks what is left first.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  template <class T>
  bool get(T& value) {
    if (rest_.size() < sizeof(T)) return false;
    std::memcpy(&value, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return true;
  }
  bool take(std::size_t count, std::string_view& out) {
    if (rest_.size() < count) return false;
    out = rest_.substr(0, count);
    rest_.remove_prefix(count);
    return true;
  }
  std::size_t left() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::size_t element_size(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return 4;
    case TensorType::kFloat64: return 8;
    case TensorType::kInt64: return 8;
    case TensorType::kInt32: return 4;
    case TensorType::kUint8: return 1;
    case TensorType::kBfloat16: return 2;
    case TensorType::kFloat16: return 2;
    case TensorType::kBool: return 1;
  }
  return 0;
}

std::string_view to_string(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return "float32";
    case TensorType::kFloat64: return "float64";
    case TensorType::kInt64: return "int64";
    case TensorType::kInt32: return "int32";
    case TensorType::kUint8: return "uint8";
    case TensorType::kBfloat16: return "bfloat16";
    case TensorType::kFloat16: return "float16";
    case TensorType::kBool: return "bool";
  }
  return "unknown";
}

std::int64_t TensorEntry::elements() const {
  // An empty dimension first: [2^40, 2^40, 0] holds nothing, and its product in order would
  // overflow before it reached the 0 (found by fuzzing). Otherwise the parser has bounded the
  // product by the input's size.
  for (const std::int64_t s : shape) {
    if (s == 0) return 0;
  }
  std::int64_t n = 1;
  for (const std::int64_t s : shape) n *= s;
  return n;
}

void TensorArchiveWriter::add(std::string_view name, TensorType type, const std::vector<std::int64_t>& shape,
                              const void* bytes, std::size_t byte_count) {
  MIRAGE_CHECK(valid_name(name));
  MIRAGE_CHECK(shape.size() <= kMaxTensorRank);
  MIRAGE_CHECK(names_.emplace(std::string(name), true).second);
  std::size_t elements = 1;
  for (const std::int64_t s : shape) {
    MIRAGE_CHECK(s >= 0 && s <= kMaxTensorSize);
    elements *= static_cast<std::size_t>(s);
  }
  MIRAGE_CHECK(elements * element_size(type) == byte_count);
  put(body_, static_cast<std::uint16_t>(name.size()));
  body_.append(name);
  put(body_, static_cast<std::uint8_t>(type));
  put(body_, static_cast<std::uint8_t>(shape.size()));
  for (const std::int64_t s : shape) put(body_, s);
  put(body_, static_cast<std::uint64_t>(byte_count));
  body_.append(static_cast<const char*>(bytes), byte_count);
  ++count_;
}

std::string TensorArchiveWriter::finish() && {
  std::string out(kMagic);
  put(out, count_);
  out += body_;
  return out;
}

Result<TensorArchive> TensorArchive::parse(std::string_view bytes, std::string_view source) {
  const auto damaged = [&](std::string what) -> Result<TensorArchive> {
    return fail(ErrorCode::kCorrupt, "{}: damaged tensor archive ({})", source, what);
  };
  if (bytes.substr(0, kMagic.size()) != kMagic) return damaged("no MIRAGE-TENSORS header");
  Cursor in(bytes.substr(kMagic.size()));
  std::uint32_t count = 0;
  if (!in.get(count)) return damaged("cut short in the header");
  // Each entry takes at least 13 bytes: a count beyond what the input could hold is a lie.
  if (count > in.left() / 13) return damaged(format("{} tensors announced in {} bytes", count, in.left()));
  TensorArchive archive;
  archive.entries_.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    TensorEntry entry;
    std::uint16_t name_length = 0;
    std::string_view name;
    if (!in.get(name_length) || !in.take(name_length, name)) return damaged(format("tensor {} cut short", i));
    if (!valid_name(name)) return damaged(format("tensor {} has no valid name", i));
    entry.name = std::string(name);
    std::uint8_t type = 0, rank = 0;
    if (!in.get(type) || !in.get(rank)) return damaged(format("'{}' cut short", entry.name));
    if (type >= kTensorTypes) return damaged(format("'{}' has unknown type {}", entry.name, static_cast<int>(type)));
    if (rank > kMaxTensorRank) return damaged(format("'{}' has {} dimensions", entry.name, static_cast<int>(rank)));
    entry.type = static_cast<TensorType>(type);
    // Sizes up to 2^40 and at most 8 of them: the product is checked step by step against the
    // input's own size, so it can neither overflow nor exceed what is there.
    std::uint64_t elements = 1;
    for (std::uint8_t d = 0; d < rank; ++d) {
      std::int64_t size = 0;
      if (!in.get(size)) return damaged(format("'{}' cut short", entry.name));
      if (size < 0 || size > kMaxTensorSize) return damaged(format("'{}' has a size of {}", entry.name, size));
      entry.shape.push_back(size);
      if (size != 0 && elements > in.left() / static_cast<std::uint64_t>(size)) elements = in.left() + 1;
      else elements *= static_cast<std::uint64_t>(size);
    }
    std::uint64_t byte_count = 0;
    if (!in.get(byte_count)) return damaged(format("'{}' cut short", entry.name));
    if (elements > in.left() || byte_count != elements * element_size(entry.type)) {
      return damaged(format("'{}' holds {} bytes for {} elements of {}", entry.name, byte_count,
                            elements > in.left() ? std::string("too many") : std::to_string(elements),
                            to_string(entry.type)));
    }
    if (!in.take(static_cast<std::size_t>(byte_count), entry.bytes)) {
      return damaged(format("'{}' cut short ({} bytes announced, {} left)", entry.name, byte_count, in.left()));
    }
    if (!archive.index_.emplace(entry.name, archive.entries_.size()).second) {
      return damaged(format("'{}' twice", entry.name));
    }
    archive.entries_.push_back(std::move(entry));
  }
  if (in.left() != 0) return damaged(format("{} bytes after the last tensor", in.left()));
  return archive;
}

const TensorEntry* TensorArchive::find(std::string_view name) const {
  const auto found = index_.find(std::string(name));
  return found == index_.end() ? nullptr : &entries_[found->second];
}

bool TensorArchive::has_prefix(std::string_view prefix) const {
  for (const TensorEntry& e : entries_) {
    if (e.name.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace mirage::model
