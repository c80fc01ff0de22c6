// The FaceSwapper backed by a trained model (engine/model's InferenceModel).
//
//   auto model = swap::make_model_swapper(project / "model");   // newest good checkpoint
//   if (!model) { print(model.error().to_string()); return 1; }
//   swap::convert_video(options, **model);
//
// Errors: InferenceModel::load's (kNotFound: no checkpoint, kCorrupt, kUnsupported), and
// kUnsupported for a model whose resolution is not 64 or 128 or that has fewer than two
// identities. The returned swapper is thread-safe (InferenceModel::swap is).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "engine/core/error.h"
#include "engine/swap/swapper.h"

namespace mirage::model {
struct WeightSnapshot;
}

namespace mirage::swap {

Result<std::unique_ptr<FaceSwapper>> make_model_swapper(const std::filesystem::path& model_dir_or_file,
                                                        std::string_view device = "auto");

// A FaceSwapper whose weights follow a running trainer: made from a checkpoint or a trainer's
// snapshot, then update() takes newer snapshots (thread-safe with swap(): swaps that start
// after update() returns use the new weights). For the studio's player and recorder.
class LiveSwapper : public FaceSwapper {
 public:
  static Result<std::unique_ptr<LiveSwapper>> from_snapshot(const model::WeightSnapshot& snapshot,
                                                            std::string_view device = "auto");
  static Result<std::unique_ptr<LiveSwapper>> load(const std::filesystem::path& model_dir_or_file,
                                                   std::string_view device = "auto");
  virtual Status update(const model::WeightSnapshot& snapshot) = 0;
  virtual std::int64_t step() const = 0;  // the training step of the weights in use
};

}  // namespace mirage::swap
