// The GPU compositor's own contract, without OpenCV: exact cases whose answer is known, every
// kind of bad input (one error, the frame untouched, no validation error), and resources that
// are reused across frames and grown for larger ones. Its agreement with the CPU reference on
// real faces is tests/swap/gpu_compositor_test.cpp.
#include "engine/render/compositor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/render/gpu_fixture.h"

namespace mirage::render {
namespace {

Image random_image(int width, int height, PixelFormat format, std::uint32_t seed) {
  Image image(width, height, format);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::uint8_t& value : image.bytes()) value = static_cast<std::uint8_t>(byte(random));
  return image;
}

// A plain face of one colour covering a square of the frame, with options that change nothing
// else: the square must come out in exactly that colour.
struct PlainFace {
  int side = 32;
  std::vector<float> bgr;
  CompositeLayer layer;
  explicit PlainFace(Affine2x3 to_frame, float b = 0.2f, float g = 0.6f, float r = 1.0f) {
    for (int i = 0; i < side * side; ++i) bgr.insert(bgr.end(), {b, g, r});
    layer = {.side = side, .face_bgr = bgr, .face_to_frame = to_frame};
  }
};

CompositeOptions plain_options() {
  CompositeOptions o;
  o.feather_px = 0;
  o.border_fade = 0;
  o.colour = ColourTransfer::kNone;
  o.sharpen_amount = 0;  // on by default; plain is the blend alone
  o.erode_px = 0;        // the default grows the mask; plain is the hull as drawn
  o.erode_bottom_px = 0;
  return o;
}

using CompositorTest = GpuTest;

TEST_F(CompositorTest, AnOpaquePlainFaceCoversItsSquare) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  for (const PixelFormat format : {PixelFormat::kBgr8, PixelFormat::kRgb8, PixelFormat::kBgra8, PixelFormat::kRgba8}) {
    Image frame = random_image(97, 61, format, 1);
    const Image before = frame;
    const PlainFace face({1, 0, 20, 0, 1, 10});  // crop pixel (x, y) -> frame (x + 20, y + 10)
    ASSERT_TRUE(compositor->composite_into(frame.view(), {&face.layer, 1}, plain_options()));
    const bool bgr = format == PixelFormat::kBgr8 || format == PixelFormat::kBgra8;
    const int channels = mirage::channels(format);
    for (int y = 0; y < frame.height(); ++y) {
      for (int x = 0; x < frame.width(); ++x) {
        const std::uint8_t* p = frame.view().row(y) + x * channels;
        const std::uint8_t* q = before.view().row(y) + x * channels;
        const bool inside = x >= 20 && x < 52 && y >= 10 && y < 42;
        for (int c = 0; c < channels; ++c) {
          const int expected = !inside || c == 3 ? q[c] : (bgr ? std::array{51, 153, 255}[c] : std::array{255, 153, 51}[c]);
          ASSERT_EQ(p[c], expected) << "pixel " << x << "," << y << " channel " << c;
        }
      }
    }
    EXPECT_EQ(compositor->changed_region().x, 19);
    EXPECT_EQ(compositor->changed_region().width, 34);
  }
}

TEST_F(CompositorTest, HalfOpacityMixesAndZeroOpacityChangesNothing) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  Image frame(40, 40, PixelFormat::kBgr8);
  for (std::uint8_t& v : frame.bytes()) v = 100;
  const PlainFace face({1, 0, 4, 0, 1, 4}, 0.0f, 0.0f, 0.0f);
  CompositeOptions o = plain_options();
  o.opacity = 0.5;
  ASSERT_TRUE(compositor->composite_into(frame.view(), {&face.layer, 1}, o));
  EXPECT_EQ(frame.view().row(20)[20 * 3], 50);
  EXPECT_EQ(frame.view().row(1)[1 * 3], 100);
  Image random = random_image(40, 40, PixelFormat::kBgr8, 2);
  const Image before = random;
  o = CompositeOptions{};
  o.opacity = 0;
  o.sharpen_amount = 3;
  ASSERT_TRUE(compositor->composite_into(random.view(), {&face.layer, 1}, o));
  EXPECT_TRUE(std::equal(random.bytes().begin(), random.bytes().end(), before.bytes().begin()));
}

TEST_F(CompositorTest, BadInputIsOneErrorAndLeavesTheFrame) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  Image frame = random_image(64, 48, PixelFormat::kBgr8, 3);
  const Image before = frame;
  const PlainFace good({1, 0, 8, 0, 1, 8});
  ASSERT_TRUE(compositor->composite_into(frame.view(), {&good.layer, 1}, plain_options()));
  frame = before;

  const Image gray(64, 48, PixelFormat::kGray8);
  Image gray_copy = gray;
  const Status wrong_frame = compositor->composite_into(gray_copy.view(), {&good.layer, 1}, plain_options());
  ASSERT_FALSE(wrong_frame);
  EXPECT_EQ(wrong_frame.error().code, ErrorCode::kInvalidArgument);

  std::vector<CompositeLayer> bad;
  CompositeLayer short_face = good.layer;
  short_face.face_bgr = short_face.face_bgr.subspan(3);
  bad.push_back(short_face);
  CompositeLayer odd_mask = good.layer;
  const std::vector<float> mask(10, 1.0f);
  odd_mask.learned_mask = mask;
  bad.push_back(odd_mask);
  CompositeLayer wrong_hull = good.layer;
  const Image hull(16, 16, PixelFormat::kGray8);
  wrong_hull.hull = hull.view();
  bad.push_back(wrong_hull);
  CompositeLayer singular = good.layer;
  singular.face_to_frame = {1, 2, 8, 2, 4, 8};
  bad.push_back(singular);
  CompositeLayer outside = good.layer;
  outside.face_to_frame = {1, 0, 500, 0, 1, 8};
  bad.push_back(outside);
  CompositeLayer not_finite = good.layer;
  not_finite.face_to_frame = {1, 0, std::nan(""), 0, 1, 8};
  bad.push_back(not_finite);
  CompositeLayer tiny = good.layer;
  tiny.side = 4;
  bad.push_back(tiny);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    // The good face first: nothing of it may land either.
    const CompositeLayer pair[] = {good.layer, bad[i]};
    const Status s = compositor->composite_into(frame.view(), pair, plain_options());
    ASSERT_FALSE(s) << "case " << i;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << s.error().to_string();
    EXPECT_EQ(s.error().to_string().find('\n'), std::string::npos);
    EXPECT_TRUE(std::equal(frame.bytes().begin(), frame.bytes().end(), before.bytes().begin())) << "case " << i;
  }
  for (auto change : {+[](CompositeOptions& o) { o.colour = ColourTransfer::kHistogram; },
                      +[](CompositeOptions& o) { o.blend = BlendMode::kSeamless; },
                      +[](CompositeOptions& o) { o.opacity = std::nan(""); },
                      +[](CompositeOptions& o) { o.erode_px = INFINITY; }}) {
    CompositeOptions o = plain_options();
    change(o);
    const Status s = compositor->composite_into(frame.view(), {&good.layer, 1}, o);
    ASSERT_FALSE(s);
    EXPECT_TRUE(std::equal(frame.bytes().begin(), frame.bytes().end(), before.bytes().begin()));
  }
}

TEST_F(CompositorTest, ReusesItsResourcesAndGrowsForLargerFrames) {
  auto compositor = Compositor::create(context());
  ASSERT_TRUE(compositor) << compositor.error().to_string();
  CompositeOptions o;  // every mask step on
  o.erode_px = 3;
  o.erode_top_px = 2;
  o.sharpen_amount = 1;
  for (const int size : {48, 48, 160, 48, 160}) {
    Image frame = random_image(size, size * 3 / 4, PixelFormat::kBgr8, static_cast<std::uint32_t>(size));
    const PlainFace face({size / 40.0, 0, 2, 0, size / 40.0, 2});
    ASSERT_TRUE(compositor->composite(frame.view(), {&face.layer, 1}, o));
    ASSERT_TRUE(compositor->wait());
    EXPECT_EQ(compositor->output().extent().width, static_cast<std::uint32_t>(size));
    EXPECT_EQ(compositor->output().format(), VK_FORMAT_R8G8B8A8_UNORM);
  }
  EXPECT_GE(compositor->last_timings().upload_ms, 0.0);
}

}  // namespace
}  // namespace mirage::render
