// The face-recognition weights (TensorFlow.js manifest and binary shards) as mirage eval reads
// them. The input is "<manifest JSON>\0<shard bytes>": every path the manifest names reads the
// shard bytes, except a name starting with "missing", which is absent. One clear error, or
// tensors whose values fill their shapes exactly.
#include <functional>
#include <string>

#include "engine/model/tfjs_weights.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  const std::string_view input = fuzz::as_text(data, size);
  const std::size_t split = std::min(input.find('\0'), input.size());
  const std::string shard(split < input.size() ? input.substr(split + 1) : std::string_view());
  auto tensors = model::parse_tfjs_weights(input.substr(0, split), "manifest.json",
                                           [&](const std::string& name) -> Result<std::string> {
                                             if (name.starts_with("missing")) {
                                               return fail(ErrorCode::kNotFound, "manifest.json: {} is missing", name);
                                             }
                                             return shard;
                                           });
  if (!tensors) {
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(tensors.error().message), "the error is one line");
    return 0;
  }
  for (const model::TfjsTensor& t : *tensors) {
    std::size_t count = 1;
    for (const std::int64_t d : t.shape) count *= static_cast<std::size_t>(d);
    MIRAGE_FUZZ_EXPECT(t.values.size() == count, "a tensor holds product(shape) values");
    MIRAGE_FUZZ_EXPECT(model::find_tensor(*tensors, t.name) != nullptr, "every tensor is found by name");
  }
  return 0;
}
