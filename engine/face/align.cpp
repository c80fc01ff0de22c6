#include "engine/face/align.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <sstream>
#include <string>

#include <opencv2/imgproc.hpp>

#include "engine/core/check.h"
#include "mirage/face/mean_face_data.h"

namespace mirage::face {
namespace {

constexpr int kFitFirst = 17;  // the fit ignores the jaw line (0-16)

// Index of the same feature on the other side of the face (iBUG 68-point layout).
constexpr std::array<int, kLandmarkCount> kMirrorIndex = {
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  // jaw
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                    // brows
    27, 28, 29, 30, 35, 34, 33, 32, 31,                        // nose
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,            // eyes
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,            // outer lip
    64, 63, 62, 61, 60, 67, 66, 65};                           // inner lip

cv::Point2f mean_of(std::span<const cv::Point2f> points) {
  cv::Point2d sum(0, 0);
  for (const cv::Point2f& p : points) sum += cv::Point2d(p);
  return cv::Point2f(static_cast<float>(sum.x / points.size()), static_cast<float>(sum.y / points.size()));
}

}  // namespace

cv::Matx23d umeyama(std::span<const cv::Point2f> from, std::span<const cv::Point2f> to) {
  MIRAGE_CHECK(from.size() == to.size() && from.size() >= 2);
  const double n = static_cast<double>(from.size());
  const cv::Point2d mu_from(mean_of(from)), mu_to(mean_of(to));
  cv::Matx22d covariance = cv::Matx22d::zeros();
  double variance = 0.0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const cv::Point2d a = cv::Point2d(from[i]) - mu_from;
    const cv::Point2d b = cv::Point2d(to[i]) - mu_to;
    covariance += cv::Matx22d(b.x * a.x, b.x * a.y, b.y * a.x, b.y * a.y);
    variance += a.dot(a);
  }
  covariance *= 1.0 / n;
  variance /= n;
  if (variance <= 1e-12) {
    return cv::Matx23d(1, 0, mu_to.x - mu_from.x, 0, 1, mu_to.y - mu_from.y);
  }
  cv::Matx21d singular;
  cv::Matx22d u, vt;
  cv::SVD::compute(covariance, singular, u, vt);
  cv::Matx22d s = cv::Matx22d::eye();
  if (cv::determinant(u) * cv::determinant(vt) < 0) s(1, 1) = -1;
  const cv::Matx22d rotation = u * s * vt;
  const double scale = (singular(0) * s(0, 0) + singular(1) * s(1, 1)) / variance;
  const cv::Matx21d shift = cv::Matx21d(mu_to.x, mu_to.y) - scale * rotation * cv::Matx21d(mu_from.x, mu_from.y);
  return cv::Matx23d(scale * rotation(0, 0), scale * rotation(0, 1), shift(0),
                     scale * rotation(1, 0), scale * rotation(1, 1), shift(1));
}

cv::Point2f map_point(const cv::Matx23d& m, cv::Point2f p) {
  return cv::Point2f(static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
                     static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
}

Landmarks map_points(const cv::Matx23d& m, const Landmarks& points) {
  Landmarks out;
  for (int i = 0; i < kLandmarkCount; ++i) out[i] = map_point(m, points[i]);
  return out;
}

cv::Matx23d invert(const cv::Matx23d& m) {
  cv::Matx23d out;
  cv::invertAffineTransform(m, out);
  return out;
}

Result<Landmarks> parse_template(std::string_view text) {
  Landmarks points;
  int count = 0;
  std::istringstream lines{std::string(text)};
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (const std::size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    double x = 0, y = 0;
    std::string rest;
    if (!(fields >> x >> y) || (fields >> rest) || !std::isfinite(x) || !std::isfinite(y)) {
      return fail(ErrorCode::kCorrupt, "template line {}: expected 'x y'", line_number);
    }
    if (count == kLandmarkCount) return fail(ErrorCode::kCorrupt, "template: more than 68 points");
    points[count++] = cv::Point2f(static_cast<float>(x), static_cast<float>(y));
  }
  if (count != kLandmarkCount) return fail(ErrorCode::kCorrupt, "template: {} points, expected 68", count);
  return points;
}

const Landmarks& mean_face() {
  static const Landmarks kMeanFace = [] {
    auto parsed = parse_template(kMeanFaceText);
    MIRAGE_CHECK_MSG(parsed.has_value(), "assets/face/mean_face_68.txt is broken");
    return *parsed;
  }();
  return kMeanFace;
}

cv::Matx23d template_to_crop(const AlignOptions& options) {
  MIRAGE_CHECK(options.size > 0 && options.coverage > 0.0 && options.coverage <= 1.0);
  const double scale = options.size * options.coverage;
  return cv::Matx23d(scale, 0, options.size * 0.5 - scale * 0.5,
                     0, scale, options.size * 0.5 - scale * kCropCentreY);
}

Landmarks template_in_crop(const AlignOptions& options) { return map_points(template_to_crop(options), mean_face()); }

cv::Matx23d frame_to_face_matrix(const Landmarks& frame_landmarks, const AlignOptions& options) {
  const Landmarks target = template_in_crop(options);
  return umeyama(std::span(frame_landmarks).subspan(kFitFirst), std::span(target).subspan(kFitFirst));
}

AlignedFace align_face(const cv::Mat& frame, const Landmarks& frame_landmarks, const AlignOptions& options) {
  AlignedFace aligned;
  aligned.frame_to_face = frame_to_face_matrix(frame_landmarks, options);
  aligned.face_to_frame = invert(aligned.frame_to_face);
  aligned.landmarks = map_points(aligned.frame_to_face, frame_landmarks);
  cv::warpAffine(frame, aligned.image, aligned.frame_to_face, cv::Size(options.size, options.size),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return aligned;
}

double alignment_residual(const Landmarks& frame_landmarks) {
  const Landmarks& target = mean_face();
  const cv::Matx23d m = umeyama(std::span(frame_landmarks).subspan(kFitFirst), std::span(target).subspan(kFitFirst));
  double sum = 0.0;
  for (int i = kFitFirst; i < kLandmarkCount; ++i) {
    const cv::Point2f d = map_point(m, frame_landmarks[i]) - target[i];
    sum += d.dot(d);
  }
  return std::sqrt(sum / (kLandmarkCount - kFitFirst));
}

double estimate_yaw_degrees(const Landmarks& frame_landmarks) {
  const Landmarks p = map_points(frame_to_face_matrix(frame_landmarks, {}), frame_landmarks);
  // The nose tip sits between the jaw ends on a frontal face and swings towards the side the
  // head turns to; its offset over the half-width of the jaw is about sin(yaw).
  const double left = p[0].x, right = p[16].x, nose = p[30].x;
  const double half_width = std::max(1.0, (right - left) * 0.5);
  const double offset = std::clamp((nose - (left + right) * 0.5) / half_width, -1.0, 1.0);
  return std::asin(offset) * 180.0 / std::numbers::pi;
}

Landmarks mirror(const Landmarks& points, float axis_x) {
  Landmarks out;
  for (int i = 0; i < kLandmarkCount; ++i) {
    const cv::Point2f& p = points[kMirrorIndex[i]];
    out[i] = cv::Point2f(2 * axis_x - p.x, p.y);
  }
  return out;
}

Landmarks normalise_to_face_box(const Landmarks& points) {
  const cv::Rect2f box = bounding_box(points);
  const float side = std::max(box.width, box.height);
  MIRAGE_CHECK(side > 0);
  Landmarks out;
  for (int i = 0; i < kLandmarkCount; ++i) {
    out[i] = cv::Point2f((points[i].x - box.x) / side + (side - box.width) / (2 * side),
                         (points[i].y - box.y) / side + (side - box.height) / (2 * side));
  }
  return out;
}

Landmarks procrustes_mean(std::span<const Landmarks> shapes, int iterations) {
  MIRAGE_CHECK(!shapes.empty());
  Landmarks mean = normalise_to_face_box(shapes.front());
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::array<cv::Point2d, kLandmarkCount> sum{};
    for (const Landmarks& shape : shapes) {
      const Landmarks aligned = map_points(umeyama(shape, mean), shape);
      for (int i = 0; i < kLandmarkCount; ++i) sum[i] += cv::Point2d(aligned[i]);
    }
    for (int i = 0; i < kLandmarkCount; ++i) {
      mean[i] = cv::Point2f(static_cast<float>(sum[i].x / shapes.size()), static_cast<float>(sum[i].y / shapes.size()));
    }
    mean = normalise_to_face_box(mean);
  }
  return mean;
}

}  // namespace mirage::face
