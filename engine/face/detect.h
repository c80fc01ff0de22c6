// Face detection: every face in a frame, with a box in frame pixels and a detector score.
//
//   auto detector = face::make_detector({.kind = face::DetectorKind::kHog, .scale = 0.75});
//   if (!detector) return std::unexpected(detector.error());
//   for (const face::Detection& d : (*detector)->detect(frame)) draw(d.box, d.score);
//
// Two detectors:
//   kHog      dlib's HOG frontal-face detector (default; finds faces of about 80 px and up at
//             the detection scale). Score: the SVM margin, > 0 for a detection (typically 0..3).
//   kCascade  OpenCV's Haar cascade (frontalface_default). Faster at large minimum sizes, more
//             false positives. Score: the number of neighbouring hits that support the box.
// `scale` < 1 detects on a downscaled copy of the frame (0.5: half width and height, about 4x
// faster, smallest face found about 160 px); boxes are always returned in frame pixels.
// A detector is not thread-safe; make one per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"

namespace mirage::face {

enum class DetectorKind { kHog, kCascade };

std::string_view to_string(DetectorKind kind);
// "hog" | "cascade"; kInvalidArgument otherwise.
Result<DetectorKind> parse_detector_kind(std::string_view text);

struct Detection {
  cv::Rect2f box;     // frame pixels
  float score = 0.f;  // detector-specific confidence (see above); larger is surer
};

struct DetectorOptions {
  DetectorKind kind = DetectorKind::kHog;
  double scale = 1.0;        // (0, 2]: the frame is resized by this factor before detection
  double min_face_px = 0.0;  // boxes narrower than this (frame pixels) are dropped
  // Cascade only: its XML model; empty searches the usual places (assets/face, /usr/share/opencv4).
  std::filesystem::path cascade_file;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR or grey frame, best score first. Never throws.
  virtual std::vector<Detection> detect(const cv::Mat& frame) = 0;
  // Faces inside `region` only (frame pixels, clipped to the frame); boxes in frame pixels.
  std::vector<Detection> detect_in(const cv::Mat& frame, cv::Rect region);
  virtual DetectorKind kind() const = 0;
};

// Errors: kNotFound when the cascade model is missing, kInvalidArgument for a bad scale.
Result<std::unique_ptr<FaceDetector>> make_detector(const DetectorOptions& options);

// Where the cascade model is looked for, in order (the first that exists wins).
std::vector<std::filesystem::path> cascade_search_paths();

}  // namespace mirage::face
