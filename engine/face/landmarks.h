// The 68-point facial landmarks (iBUG 300-W layout) fitted by dlib's shape predictor.
//
//   auto predictor = face::LandmarkPredictor::load();   // Debian's libdlib-data model
//   if (!predictor) { print(predictor.error().to_string()); return 1; }
//   face::Landmarks points = predictor->fit(gray, detection.box);
//
// Point ranges: jaw 0-16, right brow 17-21, left brow 22-26 (right/left as seen in the image:
// 17-21 are on the image's left), nose 27-35, eyes 36-41 and 42-47, outer lip 48-59,
// inner lip 60-67. Coordinates are frame pixels (x right, y down).
// A predictor is immutable after load; fit() may be called from several threads at once.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <span>

#include <opencv2/core.hpp>

#include "engine/core/error.h"

namespace mirage::face {

inline constexpr int kLandmarkCount = 68;
using Landmarks = std::array<cv::Point2f, kLandmarkCount>;

// The file Debian's libdlib-data installs (/usr/share/dlib/shape_predictor_68_face_landmarks.dat),
// or $MIRAGE_LANDMARK_MODEL when set.
std::filesystem::path default_landmark_model_path();

// Axis-aligned bounding box of the points.
cv::Rect2f bounding_box(std::span<const cv::Point2f> points);

class LandmarkPredictor {
 public:
  // Errors: kNotFound (with the package to install) when the model file is missing, kCorrupt
  // when it is not a dlib 68-point shape predictor. Loading takes about a second.
  static Result<LandmarkPredictor> load(const std::filesystem::path& model = default_landmark_model_path());

  LandmarkPredictor(LandmarkPredictor&&) noexcept;
  LandmarkPredictor& operator=(LandmarkPredictor&&) noexcept;
  ~LandmarkPredictor();

  // Fits the landmarks inside `box` (frame pixels, as a detector returns it) of an 8-bit grey or
  // BGR image. Grey is faster: convert once per frame when fitting several faces.
  Landmarks fit(const cv::Mat& image, const cv::Rect2f& box) const;

 private:
  struct Model;
  explicit LandmarkPredictor(std::shared_ptr<const Model> model);
  std::shared_ptr<const Model> model_;
};

}  // namespace mirage::face
