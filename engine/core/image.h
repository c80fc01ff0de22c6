// Pixels without a library attached: what crosses module borders (media -> swap -> render).
//
//   Image frame(720, 528, PixelFormat::kRgba8);   // owning, tightly packed, zero-filled
//   ImageView view = frame.view();                // non-owning; stride in bytes
//   view.row(y)[x * view.channels() + c] = 255;
//
// An ImageView never owns its pixels: the caller keeps the buffer alive while the view is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/check.h"

namespace mirage {

enum class PixelFormat { kGray8, kRgb8, kBgr8, kRgba8, kBgra8 };

constexpr int channels(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: return 1;
    case PixelFormat::kRgb8:
    case PixelFormat::kBgr8: return 3;
    case PixelFormat::kRgba8:
    case PixelFormat::kBgra8: return 4;
  }
  return 0;
}

template <class Byte>
struct BasicImageView {
  Byte* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;  // bytes from one row to the next
  PixelFormat format = PixelFormat::kRgba8;

  int channels() const { return mirage::channels(format); }
  std::size_t row_bytes() const { return static_cast<std::size_t>(width) * channels(); }
  bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
  Byte* row(int y) const {
    MIRAGE_CHECK(y >= 0 && y < height);
    return data + static_cast<std::size_t>(y) * stride;
  }
  operator BasicImageView<const std::uint8_t>() const { return {data, width, height, stride, format}; }
};

using ImageView = BasicImageView<std::uint8_t>;
using ConstImageView = BasicImageView<const std::uint8_t>;

// An owning, tightly packed image.
class Image {
 public:
  Image() = default;
  Image(int width, int height, PixelFormat format)
      : width_(width), height_(height), format_(format),
        pixels_(static_cast<std::size_t>(width) * height * mirage::channels(format)) {
    MIRAGE_CHECK(width >= 0 && height >= 0);
  }

  int width() const { return width_; }
  int height() const { return height_; }
  PixelFormat format() const { return format_; }
  std::span<std::uint8_t> bytes() { return pixels_; }
  std::span<const std::uint8_t> bytes() const { return pixels_; }
  ImageView view() { return {pixels_.data(), width_, height_, row_bytes(), format_}; }
  ConstImageView view() const { return {pixels_.data(), width_, height_, row_bytes(), format_}; }

 private:
  std::size_t row_bytes() const { return static_cast<std::size_t>(width_) * mirage::channels(format_); }

  int width_ = 0;
  int height_ = 0;
  PixelFormat format_ = PixelFormat::kRgba8;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace mirage
