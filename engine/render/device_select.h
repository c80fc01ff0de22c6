// Which physical device a Context uses: the rule behind MIRAGE_VULKAN_DEVICE, kept apart from
// Vulkan calls so tests can check it with made-up devices.
//
//   std::vector<DeviceCandidate> candidates = ...;   // one per physical device, loader order
//   Result<std::size_t> index = pick_device(candidates, env_or_empty("MIRAGE_VULKAN_DEVICE"));
//
// An empty selector picks the best usable device: discrete GPU > integrated > virtual > CPU >
// other, the first in loader order on ties. A selector of digits is an index into candidates; any
// other selector matches the first usable device whose name contains it (ASCII case-insensitive).
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "engine/core/error.h"
#include "engine/render/device_info.h"

namespace mirage::render {

enum class DeviceType { kDiscrete, kIntegrated, kVirtual, kCpu, kOther };

struct DeviceCandidate {
  std::string name;
  DeviceType type = DeviceType::kOther;
  std::string unusable;  // empty when Mirage can use it, else why not ("no graphics queue")
};

// The index of the chosen candidate. kDevice when nothing is usable (the message lists every
// device and why), kNotFound when the selector matches no device or an out-of-range index, and
// kUnsupported when it names a device that is unusable.
Result<std::size_t> pick_device(std::span<const DeviceCandidate> candidates,
                                std::string_view selector);

DeviceType device_type(VkPhysicalDeviceType type);
std::string_view to_string(DeviceType type);  // the DeviceInfo::type texts
// Name, type, API version and driver of a physical device (Vulkan 1.1+ queries where present).
DeviceInfo describe_device(VkPhysicalDevice device);

// The message for "no driver / no device": says how to get one.
inline constexpr std::string_view kNoDeviceHint =
    "install mesa-vulkan-drivers for a software device, or the Vulkan driver of your GPU";

}  // namespace mirage::render
