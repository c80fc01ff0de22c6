// Face-swap inference on a trained model: aligned faces in, swapped faces and masks out.
// Torch-free header, so the swap engine and front ends use it without including LibTorch.
//
//   auto model = InferenceModel::load(project / "model");    // newest good checkpoint
//   if (!model) { print(model.error().to_string()); return 1; }
//   const ModelCrop crop = (*model)->crop();                 // where the model looks (below)
//   // cut each face's model crop out of the 256 px aligned face, resize to resolution(), RGB [0,1]
//   Result<SwapOutput> out = (*model)->swap(faces, count, /*to=*/1);   // A -> B
//   ...
//   (*model)->update(*trainer.latest_snapshot());   // live weights while training continues
//
// The model crop (engine/model/model_crop.h): each model sees the square of an engine/face
// aligned crop that its checkpoint names (crop()), resized to resolution() px; training cut the
// same square (engine/train). model_to_aligned(resolution(), side, crop()) maps model pixels to
// aligned pixels for any aligned size.
//
// Thread-safety: swap() may run on several threads at once and concurrently with update(); an
// update() takes effect for the swaps that start after it returns.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"
#include "engine/model/checkpoint.h"
#include "engine/model/model_crop.h"

namespace mirage::model {

struct SwapOutput {
  std::vector<float> rgb;   // NHWC RGB in [0, 1]: count * R * R * 3
  std::vector<float> mask;  // [0, 1]: count * R * R (the learned mask of the decoder)
};

// A copy of a model's weights taken by a trainer (engine/model/weight_snapshot.h); immutable.
struct WeightSnapshot;

class InferenceModel {
 public:
  // Loads the newest good checkpoint of a project's model folder, or one checkpoint file.
  // device: "auto", "cpu", "cuda", "cuda:N" (select_device()).
  // Errors: kNotFound (no checkpoint), kCorrupt (foreign or damaged file), kUnsupported (newer
  // format, no CUDA), kInvalidArgument (bad device name).
  static Result<std::unique_ptr<InferenceModel>> load(
      const std::filesystem::path& model_dir_or_file, std::string_view device = "auto");
  // A checkpoint already read (load() after load_checkpoint()); the same errors but kNotFound.
  static Result<std::unique_ptr<InferenceModel>> from_checkpoint(const Checkpoint& checkpoint,
                                                                 std::string_view device = "auto");
  // A model made from a trainer's snapshot.
  static Result<std::unique_ptr<InferenceModel>> from_snapshot(const WeightSnapshot& snapshot,
                                                               std::string_view device = "auto");
  virtual ~InferenceModel();
  InferenceModel(const InferenceModel&) = delete;
  InferenceModel& operator=(const InferenceModel&) = delete;

  int resolution() const;   // input/output crop side in pixels (64 lite/original, 128 hd)
  std::string preset() const;
  int identities() const;   // 2: 0 = A, 1 = B
  std::int64_t step() const;  // the training step of the weights in use
  ModelCrop crop() const;     // the square of the aligned face the model was trained on
  // The checkpoint file the weights were loaded from; empty once a snapshot replaced them.
  std::filesystem::path checkpoint_path() const;
  // SHA-256 over the weights in use (every parameter and buffer: name, shape, fp32 bytes), the
  // same for a checkpoint and for the trainer's snapshot of that step. For provenance records.
  std::string weights_sha256() const;

  // faces: `count` aligned crops (the model crop above), NHWC RGB float in [0, 1], resolution()
  // square each: faces.size() == count * R * R * 3. Decodes with identity `to`.
  // Errors: kInvalidArgument (sizes, identity), kDevice (out of memory), kInternal.
  Result<SwapOutput> swap(std::span<const float> faces, int count, int to) const;

  // Replaces the weights with a trainer's snapshot (same preset and crop, else kInvalidArgument).
  Status update(const WeightSnapshot& snapshot);

  struct State;  // implementation detail

 private:
  explicit InferenceModel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::model
