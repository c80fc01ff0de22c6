// The GPU blend against the same maths in double precision on the CPU. Tolerance: every channel
// within 1 of the CPU result (float arithmetic and unorm rounding on the GPU); PSNR is printed.
#include "engine/render/compositor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "tests/render/gpu_fixture.h"

namespace mirage::render {
namespace {

constexpr int kTolerance = 1;

Image random_image(int width, int height, PixelFormat format, std::uint32_t seed) {
  Image image(width, height, format);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::uint8_t& value : image.bytes()) value = static_cast<std::uint8_t>(byte(random));
  return image;
}

// A soft radial mask, like a feathered face hull: 255 inside, 0 outside, a ramp between.
Image radial_mask(int width, int height) {
  Image mask(width, height, PixelFormat::kGray8);
  const double cx = width / 2.0, cy = height / 2.0, radius = std::min(width, height) / 2.0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy) / radius;
      mask.view().row(y)[x] =
          static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(1.5 - d * 1.5, 0.0, 1.0)));
    }
  }
  return mask;
}

Image cpu_blend(ConstImageView frame, ConstImageView face, ConstImageView mask, double opacity) {
  Image out(frame.width, frame.height, PixelFormat::kRgba8);
  const double a = std::clamp(opacity, 0.0, 1.0);
  for (int y = 0; y < frame.height; ++y) {
    for (int x = 0; x < frame.width; ++x) {
      const double w = a * mask.row(y)[x] / 255.0;
      for (int c = 0; c < 3; ++c) {
        const double value = frame.row(y)[x * 4 + c] * (1.0 - w) + face.row(y)[x * 4 + c] * w;
        out.view().row(y)[x * 4 + c] = static_cast<std::uint8_t>(std::lround(value));
      }
      out.view().row(y)[x * 4 + 3] = frame.row(y)[x * 4 + 3];
    }
  }
  return out;
}

struct Difference {
  int max_abs = 0;
  double psnr = INFINITY;
};

Difference compare(const Image& a, const Image& b) {
  Difference difference;
  double squared = 0;
  for (std::size_t i = 0; i < a.bytes().size(); ++i) {
    const int d = std::abs(int{a.bytes()[i]} - int{b.bytes()[i]});
    difference.max_abs = std::max(difference.max_abs, d);
    squared += d * d;
  }
  const double mse = squared / static_cast<double>(a.bytes().size());
  if (mse > 0) difference.psnr = 10.0 * std::log10(255.0 * 255.0 / mse);
  return difference;
}

using CompositorTest = GpuTest;

TEST_F(CompositorTest, BlendMatchesTheCpuMaths) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  // Odd sizes leave partial workgroups at the right and bottom edges.
  for (const auto& [width, height, opacity] : {std::tuple{173, 91, 0.8f}, std::tuple{64, 64, 1.0f},
                                               std::tuple{1, 1, 0.5f}, std::tuple{300, 7, 0.33f}}) {
    const Image frame = random_image(width, height, PixelFormat::kRgba8, 1);
    const Image face = random_image(width, height, PixelFormat::kRgba8, 2);
    const Image mask = radial_mask(width, height);
    const auto gpu = compositor->blend(frame.view(), face.view(), mask.view(), opacity);
    ASSERT_TRUE(gpu) << gpu.error().to_string();
    ASSERT_EQ(gpu->width(), width);
    ASSERT_EQ(gpu->format(), PixelFormat::kRgba8);
    const Difference difference =
        compare(*gpu, cpu_blend(frame.view(), face.view(), mask.view(), opacity));
    std::printf("blend %dx%d opacity %.2f: max abs diff %d, PSNR %.1f dB\n", width, height, opacity,
                difference.max_abs, difference.psnr);
    EXPECT_LE(difference.max_abs, kTolerance) << width << "x" << height;
  }
}

TEST_F(CompositorTest, ZeroOpacityKeepsTheFrameExactly) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  const Image frame = random_image(40, 30, PixelFormat::kRgba8, 3);
  const Image face = random_image(40, 30, PixelFormat::kRgba8, 4);
  const Image mask = random_image(40, 30, PixelFormat::kGray8, 5);
  const auto gpu = compositor->blend(frame.view(), face.view(), mask.view(), 0.0f);
  ASSERT_TRUE(gpu) << gpu.error().to_string();
  EXPECT_EQ(compare(*gpu, frame).max_abs, 0);
  // Out-of-range opacity is clamped, like the CPU compositor does.
  const auto clamped = compositor->blend(frame.view(), face.view(), mask.view(), 7.0f);
  ASSERT_TRUE(clamped);
  EXPECT_LE(compare(*clamped, cpu_blend(frame.view(), face.view(), mask.view(), 1.0)).max_abs,
            kTolerance);
}

TEST_F(CompositorTest, ReadsPaddedRows) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  // A view into the middle of a wider image: the stride is larger than a row.
  const Image wide_frame = random_image(50, 20, PixelFormat::kRgba8, 6);
  const Image face = random_image(30, 20, PixelFormat::kRgba8, 7);
  const Image mask = radial_mask(30, 20);
  ConstImageView frame = wide_frame.view();
  frame.data += 10 * 4;
  frame.width = 30;
  Image packed(30, 20, PixelFormat::kRgba8);
  for (int y = 0; y < 20; ++y) std::copy_n(frame.row(y), 30 * 4, packed.view().row(y));

  const auto gpu = compositor->blend(frame, face.view(), mask.view(), 0.9f);
  ASSERT_TRUE(gpu) << gpu.error().to_string();
  EXPECT_LE(compare(*gpu, cpu_blend(packed.view(), face.view(), mask.view(), 0.9)).max_abs,
            kTolerance);
}

TEST_F(CompositorTest, RejectsMismatchedInputs) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  const Image frame(16, 16, PixelFormat::kRgba8);
  const Image small_face(8, 16, PixelFormat::kRgba8);
  const Image bgr_face(16, 16, PixelFormat::kBgr8);
  const Image mask(16, 16, PixelFormat::kGray8);
  const auto wrong_size = compositor->blend(frame.view(), small_face.view(), mask.view(), 1.0f);
  ASSERT_FALSE(wrong_size);
  EXPECT_EQ(wrong_size.error().code, ErrorCode::kInvalidArgument);
  const auto wrong_format = compositor->blend(frame.view(), bgr_face.view(), mask.view(), 1.0f);
  ASSERT_FALSE(wrong_format);
  EXPECT_EQ(wrong_format.error().code, ErrorCode::kInvalidArgument);
  const auto nan = compositor->blend(frame.view(), frame.view(), mask.view(), std::nanf(""));
  ASSERT_FALSE(nan);
  EXPECT_EQ(nan.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CompositorTest, ResizingDefersTheOldImages) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  for (const int size : {16, 16, 48, 16}) {
    const Image frame = random_image(size, size, PixelFormat::kRgba8, 8);
    const Image mask = radial_mask(size, size);
    const auto gpu = compositor->blend(frame.view(), frame.view(), mask.view(), 0.5f);
    ASSERT_TRUE(gpu) << gpu.error().to_string();
    EXPECT_EQ(compare(*gpu, frame).max_abs, 0) << "blending a frame with itself changes nothing";
  }
}

}  // namespace
}  // namespace mirage::render
