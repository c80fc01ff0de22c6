#include "engine/swap/face_pixels.h"

#include <algorithm>
#include <cmath>
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

void write_descriptor_input(const cv::Mat& image_bgr8, const cv::Rect& box, int side, std::span<float> out) {
  MIRAGE_CHECK(image_bgr8.type() == CV_8UC3 && box.width > 0 && box.height > 0 && side > 0);
  MIRAGE_CHECK((box & cv::Rect(0, 0, image_bgr8.cols, image_bgr8.rows)) == box);
  MIRAGE_CHECK(out.size() == static_cast<std::size_t>(side) * side * 3);
  // The padded square: the box's pixels at (pad_x, pad_y), black around them.
  const int square = std::max(box.width, box.height);
  const int diff = square - std::min(box.width, box.height);
  const int after = static_cast<int>(std::floor(diff * 0.5 + 0.5));  // JavaScript's Math.round
  const int before = diff - after;
  const int pad_x = box.width < box.height ? before : 0;
  const int pad_y = box.height < box.width ? before : 0;
  auto pixel = [&](int x, int y, int c) -> float {
    const int ix = x - pad_x, iy = y - pad_y;
    if (ix < 0 || iy < 0 || ix >= box.width || iy >= box.height) return 0.f;
    return image_bgr8.at<cv::Vec3b>(box.y + iy, box.x + ix)[2 - c];
  };
  const float scale = static_cast<float>(square) / static_cast<float>(side);
  std::size_t i = 0;
  for (int y = 0; y < side; ++y) {
    const float sy = scale * static_cast<float>(y);
    const int y0 = static_cast<int>(std::floor(sy));
    const int y1 = std::min(square - 1, static_cast<int>(std::ceil(sy)));
    const float fy = sy - static_cast<float>(y0);
    for (int x = 0; x < side; ++x) {
      const float sx = scale * static_cast<float>(x);
      const int x0 = static_cast<int>(std::floor(sx));
      const int x1 = std::min(square - 1, static_cast<int>(std::ceil(sx)));
      const float fx = sx - static_cast<float>(x0);
      for (int c = 0; c < 3; ++c) {
        const float top = pixel(x0, y0, c) + (pixel(x1, y0, c) - pixel(x0, y0, c)) * fx;
        const float bottom = pixel(x0, y1, c) + (pixel(x1, y1, c) - pixel(x0, y1, c)) * fx;
        out[i++] = top + (bottom - top) * fy;
      }
    }
  }
}

}  // namespace mirage::swap
