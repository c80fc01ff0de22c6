#include "engine/face/detect.h"

#include <algorithm>
#include <cstdlib>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "engine/core/format.h"

namespace mirage::face {
namespace fs = std::filesystem;
namespace {

cv::Mat to_gray(const cv::Mat& frame) {
  if (frame.channels() == 1) return frame;
  cv::Mat gray;
  cv::cvtColor(frame, gray, frame.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

cv::Mat rescaled(const cv::Mat& gray, double scale) {
  if (scale == 1.0) return gray;
  cv::Mat out;
  cv::resize(gray, out, cv::Size(), scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

void finish(std::vector<Detection>& detections, double scale, double min_face_px) {
  for (Detection& d : detections) {
    d.box = cv::Rect2f(d.box.x / scale, d.box.y / scale, d.box.width / scale, d.box.height / scale);
  }
  std::erase_if(detections, [&](const Detection& d) { return d.box.width < min_face_px; });
  std::ranges::sort(detections, [](const Detection& a, const Detection& b) { return a.score > b.score; });
}

class HogDetector final : public FaceDetector {
 public:
  explicit HogDetector(const DetectorOptions& options)
      : options_(options), detector_(dlib::get_frontal_face_detector()) {}

  std::vector<Detection> detect(const cv::Mat& frame) override {
    std::vector<Detection> out;
    if (frame.empty()) return out;
    const cv::Mat gray = rescaled(to_gray(frame), options_.scale);
    const dlib::cv_image<unsigned char> image(gray);
    std::vector<dlib::rect_detection> found;
    detector_(image, found, 0.0);
    for (const dlib::rect_detection& d : found) {
      out.push_back({cv::Rect2f(static_cast<float>(d.rect.left()), static_cast<float>(d.rect.top()),
                                static_cast<float>(d.rect.width()), static_cast<float>(d.rect.height())),
                     static_cast<float>(d.detection_confidence)});
    }
    finish(out, options_.scale, options_.min_face_px);
    return out;
  }
  DetectorKind kind() const override { return DetectorKind::kHog; }

 private:
  DetectorOptions options_;
  dlib::frontal_face_detector detector_;
};

class CascadeDetector final : public FaceDetector {
 public:
  CascadeDetector(const DetectorOptions& options, cv::CascadeClassifier classifier)
      : options_(options), classifier_(std::move(classifier)) {}

  std::vector<Detection> detect(const cv::Mat& frame) override {
    std::vector<Detection> out;
    if (frame.empty()) return out;
    cv::Mat gray = rescaled(to_gray(frame), options_.scale);
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> boxes;
    std::vector<int> neighbours;
    const int min_side = std::max(24, static_cast<int>(options_.min_face_px * options_.scale));
    try {
      classifier_.detectMultiScale(gray, boxes, neighbours, 1.15, 4, 0, cv::Size(min_side, min_side));
    } catch (const cv::Exception&) {
      return out;
    }
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      out.push_back({cv::Rect2f(boxes[i]), static_cast<float>(i < neighbours.size() ? neighbours[i] : 0)});
    }
    finish(out, options_.scale, options_.min_face_px);
    return out;
  }
  DetectorKind kind() const override { return DetectorKind::kCascade; }

 private:
  DetectorOptions options_;
  cv::CascadeClassifier classifier_;
};

}  // namespace

std::string_view to_string(DetectorKind kind) {
  return kind == DetectorKind::kHog ? "hog" : "cascade";
}

Result<DetectorKind> parse_detector_kind(std::string_view text) {
  if (text == "hog") return DetectorKind::kHog;
  if (text == "cascade") return DetectorKind::kCascade;
  return fail(ErrorCode::kInvalidArgument, "unknown detector '{}' (expected hog or cascade)", text);
}

std::vector<Detection> FaceDetector::detect_in(const cv::Mat& frame, cv::Rect region) {
  region &= cv::Rect(0, 0, frame.cols, frame.rows);
  if (region.empty()) return {};
  std::vector<Detection> found = detect(frame(region));
  for (Detection& d : found) {
    d.box.x += static_cast<float>(region.x);
    d.box.y += static_cast<float>(region.y);
  }
  return found;
}

std::vector<fs::path> cascade_search_paths() {
  constexpr const char* kName = "haarcascade_frontalface_default.xml";
  std::vector<fs::path> paths;
  paths.push_back(fs::path("/usr/share/opencv4/haarcascades") / kName);
  paths.push_back(fs::path("/usr/share/doc/opencv-doc/opencv4/html") / (std::string(kName) + ".gz"));
  return paths;
}

Result<std::unique_ptr<FaceDetector>> make_detector(const DetectorOptions& options) {
  if (!(options.scale > 0.0 && options.scale <= 2.0)) {
    return fail(ErrorCode::kInvalidArgument, "detection scale must be in (0, 2], got {}", options.scale);
  }
  if (options.kind == DetectorKind::kHog) return std::make_unique<HogDetector>(options);

  std::vector<fs::path> candidates;
  if (!options.cascade_file.empty()) {
    candidates.push_back(options.cascade_file);
  } else {
    candidates = cascade_search_paths();
  }
  std::error_code ec;
  for (const fs::path& path : candidates) {
    if (!fs::exists(path, ec)) continue;
    cv::CascadeClassifier classifier;
    try {
      if (!classifier.load(path.string()) || classifier.empty()) {
        return fail(ErrorCode::kCorrupt, "{}: not a usable OpenCV cascade", path.string());
      }
    } catch (const cv::Exception& e) {
      return fail(ErrorCode::kCorrupt, "{}: not a usable OpenCV cascade ({})", path.string(), e.msg);
    }
    return std::make_unique<CascadeDetector>(options, std::move(classifier));
  }
  return fail(ErrorCode::kNotFound,
              "the face cascade model is missing: install it with 'apt-get install opencv-data' "
              "(looked for {})",
              candidates.front().string());
}

}  // namespace mirage::face
