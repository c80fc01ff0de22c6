// The tensor archive inside a checkpoint, as InferenceModel reads it for convert, eval and the
// studio: arbitrary payload bytes in a valid format-2 envelope (the checksum only catches
// accidents; a crafted file has a right one). One clear error, or a model whose tensors all have
// the preset's shapes and which swaps a face into outputs of the promised sizes. LibTorch's own
// archive reader (which crashed on a crafted archive, the first input of this corpus) is never
// reached: format-1 files are refused, and `mirage checkpoint upgrade` reads them in a child.
#include <string>
#include <vector>

#include "engine/model/checkpoint.h"
#include "engine/model/inference.h"
#include "engine/model/runtime.h"
#include "tests/fuzz/one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mirage;
  static const bool configured = model::configure_runtime(1).has_value();
  MIRAGE_FUZZ_EXPECT(configured, "Torch set-up");
  model::Checkpoint checkpoint;
  checkpoint.header.preset = "tiny";
  checkpoint.header.resolution = 16;
  checkpoint.payload.assign(reinterpret_cast<const char*>(data), size);
  auto loaded = model::InferenceModel::from_checkpoint(checkpoint, "cpu");
  if (!loaded) {
    MIRAGE_FUZZ_EXPECT(loaded.error().code == ErrorCode::kCorrupt, "a bad archive is kCorrupt");
    MIRAGE_FUZZ_EXPECT(fuzz::is_one_line(loaded.error().message), "the error is one line");
    return 0;
  }
  const int side = (*loaded)->resolution();
  const std::vector<float> face(static_cast<std::size_t>(side) * side * 3, 0.5f);
  for (int to = 0; to < 2; ++to) {
    auto out = (*loaded)->swap(face, 1, to);
    MIRAGE_FUZZ_EXPECT(out.has_value(), "a model that loaded swaps");
    MIRAGE_FUZZ_EXPECT(out->rgb.size() == face.size(), "the swapped face has the model's size");
    MIRAGE_FUZZ_EXPECT(out->mask.size() == face.size() / 3, "the mask has the model's size");
  }
  return 0;
}
