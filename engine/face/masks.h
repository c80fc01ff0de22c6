// Landmark masks for an aligned face: the hull of the face ("components"), the same with the
// brows raised to take in the whole brow ("brows", the default for training and compositing) or
// the forehead ("extended"), and eye and mouth regions for loss weights.
//
//   face::AlignedFace aligned = face::align_face(frame, landmarks, {.size = 256});
//   cv::Mat hull = face::landmark_mask(aligned.landmarks, 256, face::MaskKind::kExtended);
//   cv::Mat eyes = face::region_mask(aligned.landmarks, 256, face::FaceRegion::kEyes);
//
// Masks are CV_8UC1, size x size, 255 inside and 0 outside, with hard edges (blur them where a
// soft edge is wanted). Landmarks are in the crop's pixels. Pure functions, thread-safe.
#pragma once

#include <string_view>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"

namespace mirage::face {

enum class MaskKind {
  kComponents,  // union of the hulls of the left face half, right face half and nose-mouth
  kExtended,    // components with the brows raised by 30 % of the bridge-to-chin length
  // Components with each brow point raised by half its distance above the eye (DeepFaceLab's
  // full-face hull does the same): the brow landmarks run along the brow's middle, so the
  // components hull cuts every brow in two and a swap blends two people's brows.
  kBrows,
};
enum class FaceRegion {
  kEyes,   // both eyes, grown by a quarter of an eye width
  kMouth,  // the outer lip line, grown by a tenth of the mouth width
};

std::string_view to_string(MaskKind kind);
Result<MaskKind> parse_mask_kind(std::string_view text);  // "components" | "brows" | "extended"

cv::Mat landmark_mask(const Landmarks& crop_landmarks, int size, MaskKind kind);
cv::Mat region_mask(const Landmarks& crop_landmarks, int size, FaceRegion region);

}  // namespace mirage::face
