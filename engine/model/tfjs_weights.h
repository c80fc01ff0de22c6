// Reads TensorFlow.js "layers/graph model" weights: a weights manifest (JSON) and the binary
// shards it names, as shipped by npm packages such as @vladmandic/face-api.
//
//   auto weights = model::load_tfjs_weights("data/face-api/face_recognition_model-weights_manifest.json");
//   if (!weights) { print(weights.error().to_string()); return 1; }
//   const model::TfjsTensor* fc = model::find_tensor(*weights, "fc");   // shape {256, 128}
//
// Format (tfjs-converter's weights_manifest.json): an array of groups
//   [ { "paths": ["x.bin", ...], "weights": [ { "name": "...", "shape": [7, 7, 3, 32],
//       "dtype": "float32", "quantization": { "dtype": "uint8", "scale": s, "min": m } }, ... ] } ]
// A group's shards, concatenated in order, hold its weights back to back in manifest order.
// Plain float32 (4 bytes little-endian), int32, and affine-quantised uint8/uint16 (value = q *
// scale + min) are read; every value comes back as float32 in row-major order of `shape` (the
// TensorFlow layout: conv filters [kh, kw, in, out], dense kernels [in, out]).
//
// Errors, each one line naming the file: kNotFound (manifest or shard missing), kCorrupt (not
// JSON, not a weights manifest, a malformed entry, a shard shorter or longer than its entries
// need: "shapes disagree with the binary"), kUnsupported (another dtype or quantisation). The
// free functions are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"

namespace mirage::model {

struct TfjsTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // product(shape) values, row-major
};

Result<std::vector<TfjsTensor>> load_tfjs_weights(const std::filesystem::path& manifest);

// The same from the manifest's text; read_shard returns the bytes of a file the manifest names
// (as written in "paths"). `where` names the manifest in messages.
using ShardReader = std::function<Result<std::string>(const std::string& name)>;
Result<std::vector<TfjsTensor>> parse_tfjs_weights(std::string_view manifest_text, std::string_view where,
                                                   const ShardReader& read_shard);

// The tensor called `name`, or nullptr.
const TfjsTensor* find_tensor(const std::vector<TfjsTensor>& tensors, std::string_view name);

}  // namespace mirage::model
