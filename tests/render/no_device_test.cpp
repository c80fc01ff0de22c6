// Runs with VK_ICD_FILENAMES/VK_DRIVER_FILES pointing at a missing file (see CMakeLists.txt): the
// loader then finds no driver, which is what a machine without any Vulkan driver looks like.
#include <gtest/gtest.h>

#include <cstdlib>

#include "engine/render/context.h"
#include "engine/render/device_info.h"

namespace mirage::render {
namespace {

bool driverless() {
  return std::getenv("MIRAGE_TEST_NO_VULKAN_DRIVER") != nullptr;
}

TEST(NoDevice, ListDevicesReturnsAnErrorThatSaysHowToGetOne) {
  if (!driverless())
    GTEST_SKIP() << "run through ctest (render_no_device), which hides the drivers";
  const auto devices = list_devices();
  ASSERT_FALSE(devices);
  EXPECT_EQ(devices.error().code, ErrorCode::kDevice);
  EXPECT_NE(devices.error().message.find("no Vulkan device found"), std::string::npos)
      << devices.error().message;
  EXPECT_NE(devices.error().message.find("mesa-vulkan-drivers"), std::string::npos)
      << devices.error().message;
  EXPECT_EQ(devices.error().message.find('\n'), std::string::npos) << "one line";
}

TEST(NoDevice, ContextCreationFailsCleanly) {
  if (!driverless())
    GTEST_SKIP() << "run through ctest (render_no_device), which hides the drivers";
  const auto context = Context::create({.validation = false});
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().code, ErrorCode::kDevice);
  EXPECT_NE(context.error().message.find("mesa-vulkan-drivers"), std::string::npos)
      << context.error().message;
}

}  // namespace
}  // namespace mirage::render
