// The identity "model": it returns its input with a full mask, so a swap that changes nothing
// must give back the frame (and reconstruction numbers are those of a perfect model). For tests
// and benchmarks that need real face pixels through the real swap path without a trained model.
//
//   const swap::CopyingSwapper model(64);
//   const swap::FrameSwapper swapper(model, {});
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/model/inference.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

class CopyingSwapper final : public FaceSwapper {
 public:
  explicit CopyingSwapper(int resolution) : resolution_(resolution) {}
  int resolution() const override { return resolution_; }
  int identities() const override { return 2; }
  std::string preset() const override { return "test-copy"; }
  cv::Matx23d model_to_aligned(int resolution, int aligned_side) const override {
    const auto m = model::model_to_aligned(resolution, aligned_side, model::kFaceCrop);
    return {m[0], m[1], m[2], m[3], m[4], m[5]};
  }
  Result<SwappedFaces> swap(std::span<const float> faces, int count, int) const override {
    return SwappedFaces{std::vector<float>(faces.begin(), faces.end()),
                        std::vector<float>(static_cast<std::size_t>(count) * resolution_ * resolution_, 1.0f)};
  }

 private:
  int resolution_;
};

}  // namespace mirage::swap
