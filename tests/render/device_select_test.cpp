#include "engine/render/device_select.h"

#include <gtest/gtest.h>

#include <vector>

namespace mirage::render {
namespace {

const std::vector<DeviceCandidate> kMachine = {
    {"llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType::kCpu, ""},
    {"Intel(R) UHD Graphics 770", DeviceType::kIntegrated, ""},
    {"NVIDIA GeForce RTX 4090", DeviceType::kDiscrete, ""},
    {"NVIDIA GeForce GTX 680", DeviceType::kDiscrete, "Vulkan 1.1, Mirage needs 1.2"},
};

TEST(PickDevice, PrefersDiscreteOverIntegratedOverCpu) {
  EXPECT_EQ(pick_device(kMachine, ""), 2u);
  const std::vector<DeviceCandidate> no_discrete(kMachine.begin(), kMachine.begin() + 2);
  EXPECT_EQ(pick_device(no_discrete, ""), 1u);
  const std::vector<DeviceCandidate> cpu_only(kMachine.begin(), kMachine.begin() + 1);
  EXPECT_EQ(pick_device(cpu_only, ""), 0u);
}

TEST(PickDevice, SkipsUnusableDevices) {
  const std::vector<DeviceCandidate> candidates = {kMachine[3], kMachine[0]};
  EXPECT_EQ(pick_device(candidates, ""), 1u);
}

TEST(PickDevice, SelectorByIndexOrCaseInsensitiveName) {
  EXPECT_EQ(pick_device(kMachine, "0"), 0u);
  EXPECT_EQ(pick_device(kMachine, "1"), 1u);
  EXPECT_EQ(pick_device(kMachine, "uhd"), 1u);
  EXPECT_EQ(pick_device(kMachine, "LLVMPIPE"), 0u);
  EXPECT_EQ(pick_device(kMachine, "nvidia"), 2u) << "the first usable match";
}

TEST(PickDevice, SelectorErrorsSayWhy) {
  const auto out_of_range = pick_device(kMachine, "7");
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().code, ErrorCode::kNotFound);
  EXPECT_NE(out_of_range.error().message.find("NVIDIA GeForce RTX 4090"), std::string::npos)
      << "lists the devices: " << out_of_range.error().message;

  const auto no_match = pick_device(kMachine, "radeon");
  ASSERT_FALSE(no_match);
  EXPECT_EQ(no_match.error().code, ErrorCode::kNotFound);

  const auto unusable = pick_device(kMachine, "GTX 680");
  ASSERT_FALSE(unusable);
  EXPECT_EQ(unusable.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(unusable.error().message.find("Mirage needs 1.2"), std::string::npos)
      << unusable.error().message;
}

TEST(PickDevice, NothingUsableIsADeviceError) {
  EXPECT_EQ(pick_device({}, "").error().code, ErrorCode::kDevice);
  const std::vector<DeviceCandidate> old = {kMachine[3]};
  const auto none = pick_device(old, "");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kDevice);
  EXPECT_NE(none.error().message.find("mesa-vulkan-drivers"), std::string::npos)
      << none.error().message;
}

TEST(DeviceType, TextsMatchDeviceInfo) {
  EXPECT_EQ(to_string(device_type(VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU)), "discrete GPU");
  EXPECT_EQ(to_string(device_type(VK_PHYSICAL_DEVICE_TYPE_CPU)), "CPU");
}

}  // namespace
}  // namespace mirage::render
