#include "engine/face/masks.h"

#include <array>
#include <cmath>
#include <initializer_list>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace mirage::face {
namespace {

using Range = std::pair<int, int>;  // [first, last] landmark indices

void fill_hull(cv::Mat& mask, const Landmarks& points, std::initializer_list<Range> ranges) {
  std::vector<cv::Point2f> chosen;
  for (const auto& [first, last] : ranges) {
    for (int i = first; i <= last; ++i) chosen.push_back(points[i]);
  }
  std::vector<cv::Point2f> hull;
  cv::convexHull(chosen, hull);
  std::vector<cv::Point> integer;
  for (const cv::Point2f& p : hull) integer.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::fillConvexPoly(mask, integer, cv::Scalar(255), cv::LINE_AA);
}

float distance(cv::Point2f a, cv::Point2f b) { return static_cast<float>(cv::norm(a - b)); }

}  // namespace

std::string_view to_string(MaskKind kind) {
  switch (kind) {
    case MaskKind::kComponents: return "components";
    case MaskKind::kBrows: return "brows";
    case MaskKind::kExtended: return "extended";
  }
  return "components";
}

Result<MaskKind> parse_mask_kind(std::string_view text) {
  for (MaskKind kind : {MaskKind::kComponents, MaskKind::kBrows, MaskKind::kExtended}) {
    if (text == to_string(kind)) return kind;
  }
  return fail(ErrorCode::kInvalidArgument, "unknown mask '{}' (expected components, brows or extended)", text);
}

cv::Mat landmark_mask(const Landmarks& crop_landmarks, int size, MaskKind kind) {
  Landmarks points = crop_landmarks;
  if (kind == MaskKind::kExtended) {
    // "Up" is from the chin to the nose bridge, so a tilted head keeps its forehead.
    const cv::Point2f lift = (points[27] - points[8]) * 0.30f;
    for (int i = 17; i <= 26; ++i) points[i] += lift;
  } else if (kind == MaskKind::kBrows) {
    // Below each brow point, the eye's upper lid (its corners stand in at the brow's ends, and a
    // point a quarter of the way from the eye's outer corner to the jaw's top for the outermost).
    const std::array<cv::Point2f, 10> below = {
        (points[36] + (points[36] + points[0]) * 0.5f) * 0.5f, points[36], points[37], points[38], points[39],
        points[42], points[43], points[44], points[45], (points[45] + (points[45] + points[16]) * 0.5f) * 0.5f};
    for (int i = 0; i < 10; ++i) points[17 + i] += (crop_landmarks[17 + i] - below[i]) * 0.5f;
  }
  cv::Mat mask = cv::Mat::zeros(size, size, CV_8UC1);
  fill_hull(mask, points, {{0, 8}, {17, 21}, {27, 27}});
  fill_hull(mask, points, {{8, 16}, {22, 26}, {27, 27}});
  fill_hull(mask, points, {{17, 26}, {27, 35}});
  fill_hull(mask, points, {{27, 35}, {48, 59}, {8, 8}});
  return mask;
}

cv::Mat region_mask(const Landmarks& crop_landmarks, int size, FaceRegion region) {
  cv::Mat mask = cv::Mat::zeros(size, size, CV_8UC1);
  float grow = 0.f;
  if (region == FaceRegion::kEyes) {
    fill_hull(mask, crop_landmarks, {{36, 41}});
    fill_hull(mask, crop_landmarks, {{42, 47}});
    grow = 0.25f * (distance(crop_landmarks[36], crop_landmarks[39]) +
                    distance(crop_landmarks[42], crop_landmarks[45])) * 0.5f;
  } else {
    fill_hull(mask, crop_landmarks, {{48, 59}});
    grow = 0.10f * distance(crop_landmarks[48], crop_landmarks[54]);
  }
  const int radius = std::max(1, static_cast<int>(std::lround(grow)));
  cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1)));
  return mask;
}

}  // namespace mirage::face
