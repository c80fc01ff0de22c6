// The face-recognition judge of `mirage eval`: face-api's crop of a face from its 68 landmarks,
// and descriptors of many faces from the pretrained network (engine/model/face_descriptor.h).
// It only measures; nothing that trains or samples may use it (docs/ARCHITECTURE.md).
//
//   auto judge = swap::IdentityJudge::load(model::default_face_descriptor_manifest());
//   if (!judge) { print(judge.error().to_string()); return 1; }
//   std::vector<float> inputs(count * swap::IdentityJudge::kInputFloats);
//   judge->write_input(frame, landmarks, std::span(inputs).subspan(i * IdentityJudge::kInputFloats, ...));
//   auto descriptors = judge->describe(inputs, count);
//
// The crop is face-api's (FaceLandmarks.align() with its defaults, then extractFaceTensors and
// NetInput.toBatchTensor(150)): the bounding box of the 68 points, grown by 20 % of its width and
// height about its centre, clipped at the image border and floored to whole pixels; that box
// padded to a square and resized to 150 px (swap::write_descriptor_input). The landmarks may be
// in any image's pixels: a frame's, or an aligned crop's (eval uses aligned crops, so faces
// upright and tilted are judged the same way).
// Thread-safety: const members may run on several threads at once.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/model/face_descriptor.h"

namespace mirage::swap {

// face-api's box for these landmarks in an image of this size (may be empty for a face outside).
cv::Rect faceapi_box(const face::Landmarks& landmarks, cv::Size image);

// The mean of several descriptors (all zeros for none).
model::FaceDescriptor mean_descriptor(std::span<const model::FaceDescriptor> descriptors);

class IdentityJudge {
 public:
  static constexpr int kSide = model::kFaceDescriptorInput;
  static constexpr std::size_t kInputFloats = static_cast<std::size_t>(kSide) * kSide * 3;

  // Errors: FaceDescriptorNet::load's (each names tools/setup).
  static Result<IdentityJudge> load(const std::filesystem::path& manifest);

  // The network's input for the face with these landmarks in `image` (8-bit BGR). False, and
  // `out` untouched, when the face's box is empty (the face lies outside the image).
  bool write_input(const cv::Mat& image, const face::Landmarks& landmarks, std::span<float> out) const;
  // count faces of kInputFloats each. Errors: FaceDescriptorNet::describe's.
  Result<std::vector<model::FaceDescriptor>> describe(std::span<const float> inputs, int count) const;

 private:
  std::shared_ptr<const model::FaceDescriptorNet> net_;
};

}  // namespace mirage::swap
