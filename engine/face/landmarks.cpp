#include "engine/face/landmarks.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>

namespace mirage::face {
namespace fs = std::filesystem;

struct LandmarkPredictor::Model {
  dlib::shape_predictor predictor;
};

fs::path default_landmark_model_path() {
  if (const char* path = std::getenv("MIRAGE_LANDMARK_MODEL"); path != nullptr && *path != '\0') return path;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

cv::Rect2f bounding_box(std::span<const cv::Point2f> points) {
  if (points.empty()) return {};
  float x0 = points[0].x, y0 = points[0].y, x1 = x0, y1 = y0;
  for (const cv::Point2f& p : points) {
    x0 = std::min(x0, p.x);
    y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x);
    y1 = std::max(y1, p.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

LandmarkPredictor::LandmarkPredictor(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
LandmarkPredictor::LandmarkPredictor(LandmarkPredictor&&) noexcept = default;
LandmarkPredictor& LandmarkPredictor::operator=(LandmarkPredictor&&) noexcept = default;
LandmarkPredictor::~LandmarkPredictor() = default;

Result<LandmarkPredictor> LandmarkPredictor::load(const fs::path& model) {
  std::error_code ec;
  if (!fs::exists(model, ec)) {
    return fail(ErrorCode::kNotFound,
                "the 68-point landmark model {} is missing: install it with 'apt-get install "
                "libdlib-data' or point MIRAGE_LANDMARK_MODEL at a copy",
                model.string());
  }
  auto loaded = std::make_shared<Model>();
  try {
    std::ifstream in(model, std::ios::binary);
    if (!in) return fail(ErrorCode::kIo, "{}: cannot open", model.string());
    dlib::deserialize(loaded->predictor, in);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, "{}: not a dlib shape predictor ({})", model.string(), e.what());
  }
  if (loaded->predictor.num_parts() != kLandmarkCount) {
    return fail(ErrorCode::kCorrupt, "{}: a {}-point model, expected 68 points", model.string(),
                loaded->predictor.num_parts());
  }
  return LandmarkPredictor(std::move(loaded));
}

Landmarks LandmarkPredictor::fit(const cv::Mat& image, const cv::Rect2f& box) const {
  const dlib::rectangle rect(static_cast<long>(box.x), static_cast<long>(box.y),
                             static_cast<long>(box.x + box.width), static_cast<long>(box.y + box.height));
  dlib::full_object_detection shape;
  if (image.channels() == 1) {
    shape = model_->predictor(dlib::cv_image<unsigned char>(image), rect);
  } else {
    shape = model_->predictor(dlib::cv_image<dlib::bgr_pixel>(image), rect);
  }
  Landmarks points;
  for (int i = 0; i < kLandmarkCount; ++i) {
    points[i] = cv::Point2f(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
  }
  return points;
}

}  // namespace mirage::face
