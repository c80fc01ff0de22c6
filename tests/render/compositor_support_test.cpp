// A device that cannot store to RGBA8 images is refused with one line (no device needed).
#include "engine/render/compositor.h"

#include <gtest/gtest.h>

namespace mirage::render {
namespace {

TEST(CompositorSupport, NeedsStorageAndSampledRgba8) {
  VkFormatProperties full{};
  full.optimalTilingFeatures = VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT | VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
  EXPECT_TRUE(check_compositor_support(full, "good gpu"));
  VkFormatProperties sampled_only{};
  sampled_only.optimalTilingFeatures = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
  sampled_only.linearTilingFeatures = VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT;  // linear tiling does not count
  const Status refused = check_compositor_support(sampled_only, "old gpu");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("old gpu cannot use RGBA8 storage"), std::string::npos);
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace mirage::render
