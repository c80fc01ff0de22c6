// An immutable copy of a FaceSwapModel's weights, published by the trainer for inference
// threads (InferenceModel::update) while training continues.
//
//   auto snapshot = std::make_shared<const WeightSnapshot>(take_snapshot(*model, step));
//   load_snapshot(*other_model, *snapshot);   // same preset
//
// Tensors are detached clones on the CPU in float32 and contiguous, so a snapshot is safe to read
// from any thread and independent of the trainer's device and memory format.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "engine/model/faceswap_model.h"

namespace mirage::model {

struct WeightSnapshot {
  ModelPreset preset;
  std::int64_t step = 0;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // named parameters and buffers
};

WeightSnapshot take_snapshot(FaceSwapModelImpl& model, std::int64_t step);
// Errors: kInvalidArgument when the preset or a tensor's name or shape differs.
Status load_snapshot(FaceSwapModelImpl& model, const WeightSnapshot& snapshot);

}  // namespace mirage::model
