#include "engine/render/context.h"

#include <gtest/gtest.h>

#include <regex>

#include "engine/core/log.h"
#include "engine/render/device_info.h"
#include "tests/render/gpu_fixture.h"

namespace mirage::render {
namespace {

TEST(ListDevices, DescribesEveryDeviceWithoutADisplay) {
  const auto devices = list_devices();
  ASSERT_TRUE(devices) << devices.error().to_string();
  ASSERT_FALSE(devices->empty());
  for (const DeviceInfo& device : *devices) {
    EXPECT_FALSE(device.name.empty());
    EXPECT_TRUE(device.type == "discrete GPU" || device.type == "integrated GPU" ||
                device.type == "virtual GPU" || device.type == "CPU" || device.type == "other")
        << device.type;
    EXPECT_TRUE(std::regex_match(device.api_version, std::regex(R"(\d+\.\d+\.\d+)")))
        << device.api_version;
    EXPECT_FALSE(device.driver.empty());
  }
}

using ContextTest = GpuTest;

TEST_F(ContextTest, StartsHeadlessWithValidation) {
  EXPECT_EQ(context().surface(), VK_NULL_HANDLE);
  EXPECT_NE(context().device(), VK_NULL_HANDLE);
  EXPECT_NE(context().queue(), VK_NULL_HANDLE);
  EXPECT_TRUE(context().validation_enabled())
      << "MIRAGE_VULKAN_VALIDATION=1 is set by the test main";
  const auto devices = list_devices();
  ASSERT_TRUE(devices);
  bool listed = false;
  for (const DeviceInfo& device : *devices)
    listed = listed || device.name == context().device_info().name;
  EXPECT_TRUE(listed) << context().device_info().name;
}

TEST_F(ContextTest, SubmissionsAdvanceTheTimeline) {
  const std::uint64_t before = context().last_submitted();
  ASSERT_TRUE(context().run_one_shot("empty", [](VkCommandBuffer) {}));
  EXPECT_EQ(context().last_submitted(), before + 1);
  EXPECT_GE(context().completed(), before + 1);
}

TEST_F(ContextTest, SelectorPicksByIndexOrName) {
  const auto devices = list_devices();
  ASSERT_TRUE(devices);
  auto by_index = Context::create({.validation = false, .device_selector = "0"});
  ASSERT_TRUE(by_index) << by_index.error().to_string();
  EXPECT_EQ((*by_index)->device_info().name, (*devices)[0].name);

  const std::string part = (*devices)[0].name.substr(0, 4);
  auto by_name = Context::create({.validation = false, .device_selector = part});
  ASSERT_TRUE(by_name) << by_name.error().to_string();
  EXPECT_NE((*by_name)->device_info().name.find(part), std::string::npos);
}

TEST_F(ContextTest, UnknownSelectorIsAnErrorNamingTheDevices) {
  auto missing = Context::create({.validation = false, .device_selector = "no-such-gpu-anywhere"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("MIRAGE_VULKAN_DEVICE"), std::string::npos)
      << missing.error().message;
  auto out_of_range = Context::create({.validation = false, .device_selector = "99"});
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().code, ErrorCode::kNotFound);
}

TEST(Validation, CountsErrors) {
  auto own = Context::create({.validation = true});
  ASSERT_TRUE(own) << own.error().to_string();
  ASSERT_TRUE((*own)->validation_enabled());
  // A buffer with no usage bits is invalid usage the driver still accepts; the layer reports it.
  const VkBufferCreateInfo invalid{
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 16, .usage = 0};
  VkBuffer buffer = VK_NULL_HANDLE;
  log::set_stderr_level(LogLevel::kOff);  // the error below is the point of the test
  vkCreateBuffer((*own)->device(), &invalid, nullptr, &buffer);
  log::set_stderr_level(LogLevel::kInfo);
  vkDestroyBuffer((*own)->device(), buffer, nullptr);
  EXPECT_GE((*own)->validation_error_count(), 1u);
}

}  // namespace
}  // namespace mirage::render
