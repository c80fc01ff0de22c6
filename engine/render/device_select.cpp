#include "engine/render/device_select.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/core/format.h"

namespace mirage::render {
namespace {

int rank(DeviceType type) {
  switch (type) {
    case DeviceType::kDiscrete: return 0;
    case DeviceType::kIntegrated: return 1;
    case DeviceType::kVirtual: return 2;
    case DeviceType::kCpu: return 3;
    case DeviceType::kOther: return 4;
  }
  return 5;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  const auto found = std::search(text.begin(), text.end(), part.begin(), part.end(),
                                 [&](char a, char b) { return lower(a) == lower(b); });
  return found != text.end();
}

std::string describe_all(std::span<const DeviceCandidate> candidates) {
  std::string text;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!text.empty()) text += "; ";
    text += format("{}: {}", i, candidates[i].name);
    if (!candidates[i].unusable.empty()) text += format(" ({})", candidates[i].unusable);
  }
  return text;
}

Result<std::size_t> pick_by_selector(std::span<const DeviceCandidate> candidates,
                                     std::string_view selector) {
  std::size_t index = 0;
  const auto [end, error] =
      std::from_chars(selector.data(), selector.data() + selector.size(), index);
  const bool is_index = error == std::errc() && end == selector.data() + selector.size();
  if (is_index) {
    if (index >= candidates.size()) {
      return fail(ErrorCode::kNotFound,
                  "MIRAGE_VULKAN_DEVICE={}: no device with that index (devices: {})", selector,
                  describe_all(candidates));
    }
    if (!candidates[index].unusable.empty()) {
      return fail(ErrorCode::kUnsupported, "MIRAGE_VULKAN_DEVICE={}: {} cannot be used: {}",
                  selector, candidates[index].name, candidates[index].unusable);
    }
    return index;
  }
  const DeviceCandidate* unusable_match = nullptr;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!contains_ignoring_case(candidates[i].name, selector)) continue;
    if (candidates[i].unusable.empty()) return i;
    if (!unusable_match) unusable_match = &candidates[i];
  }
  if (unusable_match) {
    return fail(ErrorCode::kUnsupported, "MIRAGE_VULKAN_DEVICE={}: {} cannot be used: {}", selector,
                unusable_match->name, unusable_match->unusable);
  }
  return fail(ErrorCode::kNotFound,
              "MIRAGE_VULKAN_DEVICE={}: no device name contains it (devices: {})", selector,
              describe_all(candidates));
}

}  // namespace

Result<std::size_t> pick_device(std::span<const DeviceCandidate> candidates,
                                std::string_view selector) {
  if (candidates.empty())
    return fail(ErrorCode::kDevice, "no Vulkan device found: {}", kNoDeviceHint);
  if (!selector.empty()) return pick_by_selector(candidates, selector);
  std::size_t best = candidates.size();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].unusable.empty()) continue;
    if (best == candidates.size() || rank(candidates[i].type) < rank(candidates[best].type))
      best = i;
  }
  if (best == candidates.size()) {
    return fail(ErrorCode::kDevice, "no usable Vulkan device ({}): {}", describe_all(candidates),
                kNoDeviceHint);
  }
  return best;
}

DeviceType device_type(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return DeviceType::kDiscrete;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return DeviceType::kIntegrated;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return DeviceType::kVirtual;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return DeviceType::kCpu;
    default: return DeviceType::kOther;
  }
}

std::string_view to_string(DeviceType type) {
  switch (type) {
    case DeviceType::kDiscrete: return "discrete GPU";
    case DeviceType::kIntegrated: return "integrated GPU";
    case DeviceType::kVirtual: return "virtual GPU";
    case DeviceType::kCpu: return "CPU";
    case DeviceType::kOther: return "other";
  }
  return "other";
}

DeviceInfo describe_device(VkPhysicalDevice device) {
  VkPhysicalDeviceProperties properties{};
  vkGetPhysicalDeviceProperties(device, &properties);
  const std::uint32_t api = properties.apiVersion;

  DeviceInfo info;
  info.name = properties.deviceName;
  info.type = std::string(to_string(device_type(properties.deviceType)));
  info.api_version = format("{}.{}.{}", VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api),
                            VK_API_VERSION_PATCH(api));
  // Driver names are a Vulkan 1.2 query; older devices only have a vendor-encoded number.
  if (api >= VK_API_VERSION_1_2) {
    VkPhysicalDeviceDriverProperties driver{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 properties2{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                            .pNext = &driver};
    vkGetPhysicalDeviceProperties2(device, &properties2);
    info.driver = driver.driverName;
    if (driver.driverInfo[0] != '\0') info.driver += format(": {}", driver.driverInfo);
  }
  if (info.driver.empty()) info.driver = format("driver version {}", properties.driverVersion);
  return info;
}

}  // namespace mirage::render
