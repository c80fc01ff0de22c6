// Named tensors in a flat archive of Mirage's own: what a checkpoint carries since format 2
// (the model, the discriminators, the optimizers' moments and the RNG state). Torch-free, so
// its reader is fuzzed without LibTorch; engine/model/tensor_io.h moves tensors in and out.
//
//   TensorArchiveWriter out;
//   out.add("model.encoder.0.weight", TensorType::kFloat32, {128, 3, 5, 5}, bytes);
//   std::string archive = std::move(out).finish();
//   auto in = TensorArchive::parse(archive, "checkpoint-000000001200.mirage");   // one-line errors
//   if (const TensorEntry* w = in->find("model.encoder.0.weight")) use(w->shape, w->bytes);
//
// Layout (little-endian): the 15 bytes "MIRAGE-TENSORS\n", a u32 count, then per tensor: a u16
// name length and the name (1-255 bytes of A-Z a-z 0-9 _ . -), a u8 type (TensorType), a u8 rank
// (at most 8), rank i64 sizes (each in [0, 2^40]), a u64 byte count (the elements times the
// type's size, exactly) and the bytes. Names are unique. Nothing is trusted: every count and
// size is checked against what is left of the input before it is used, so a damaged or crafted
// archive is one error line, never a read past its end or an allocation it did not pay for.
// The parsed entries view into the parsed bytes, which must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/error.h"

namespace mirage::model {

enum class TensorType : std::uint8_t {
  kFloat32 = 0,
  kFloat64 = 1,
  kInt64 = 2,
  kInt32 = 3,
  kUint8 = 4,
  kBfloat16 = 5,
  kFloat16 = 6,
  kBool = 7,
};
inline constexpr int kTensorTypes = 8;
inline constexpr std::size_t kMaxTensorRank = 8;
inline constexpr std::int64_t kMaxTensorSize = std::int64_t{1} << 40;  // per dimension

std::size_t element_size(TensorType type);
std::string_view to_string(TensorType type);  // "float32", ...

struct TensorEntry {
  std::string name;
  TensorType type = TensorType::kFloat32;
  std::vector<std::int64_t> shape;
  std::string_view bytes;  // the elements, row-major, little-endian
  std::int64_t elements() const;
};

class TensorArchiveWriter {
 public:
  // `bytes` must hold exactly the elements of `shape` (checked: a programmer error otherwise),
  // and `name` must be new and valid.
  void add(std::string_view name, TensorType type, const std::vector<std::int64_t>& shape, const void* bytes,
           std::size_t byte_count);
  std::string finish() &&;

 private:
  std::string body_;
  std::uint32_t count_ = 0;
  std::unordered_map<std::string, bool> names_;
};

class TensorArchive {
 public:
  // kCorrupt "<source>: damaged tensor archive (<what>)" for anything that is not a whole,
  // well-formed archive.
  static Result<TensorArchive> parse(std::string_view bytes, std::string_view source);

  const std::vector<TensorEntry>& entries() const { return entries_; }
  const TensorEntry* find(std::string_view name) const;
  // Whether any entry's name starts with `prefix` (a sub-archive: "discriminator0.attention.").
  bool has_prefix(std::string_view prefix) const;

 private:
  std::vector<TensorEntry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace mirage::model
