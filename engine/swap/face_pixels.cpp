#include "engine/swap/face_pixels.h"

#include <algorithm>
#include <cstddef>

#include "engine/core/check.h"

namespace mirage::swap {

void write_model_input(const cv::Mat& face_bgr8, std::span<float> out) {
  MIRAGE_CHECK(face_bgr8.type() == CV_8UC3 && face_bgr8.rows == face_bgr8.cols);
  const int side = face_bgr8.cols;
  MIRAGE_CHECK(out.size() == static_cast<std::size_t>(side) * side * 3);
  std::size_t i = 0;
  for (int y = 0; y < side; ++y) {
    const auto* row = face_bgr8.ptr<cv::Vec3b>(y);
    for (int x = 0; x < side; ++x) {
      out[i++] = row[x][2] / 255.0f;
      out[i++] = row[x][1] / 255.0f;
      out[i++] = row[x][0] / 255.0f;
    }
  }
}

cv::Mat read_model_face(std::span<const float> rgb, int index, int side) {
  const std::size_t plane = static_cast<std::size_t>(side) * side * 3;
  MIRAGE_CHECK(index >= 0 && rgb.size() >= (static_cast<std::size_t>(index) + 1) * plane);
  cv::Mat face(side, side, CV_32FC3);
  const float* p = rgb.data() + index * plane;
  for (int y = 0; y < side; ++y) {
    auto* row = face.ptr<cv::Vec3f>(y);
    for (int x = 0; x < side; ++x, p += 3) {
      row[x] = cv::Vec3f(std::clamp(p[2], 0.0f, 1.0f), std::clamp(p[1], 0.0f, 1.0f), std::clamp(p[0], 0.0f, 1.0f));
    }
  }
  return face;
}

cv::Mat read_model_mask(std::span<const float> mask, int index, int side) {
  const std::size_t plane = static_cast<std::size_t>(side) * side;
  MIRAGE_CHECK(index >= 0 && mask.size() >= (static_cast<std::size_t>(index) + 1) * plane);
  cv::Mat out(side, side, CV_32FC1);
  const float* p = mask.data() + index * plane;
  for (int y = 0; y < side; ++y) {
    float* row = out.ptr<float>(y);
    for (int x = 0; x < side; ++x) row[x] = std::clamp(*p++, 0.0f, 1.0f);
  }
  return out;
}

}  // namespace mirage::swap
