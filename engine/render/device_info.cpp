#include "engine/render/device_info.h"

#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstring>

#include "engine/render/device_select.h"
#include "engine/render/leak_check_pin.h"
#include "engine/render/vk_check.h"

namespace mirage::render {
namespace {

bool has_instance_extension(const char* name) {
  std::uint32_t count = 0;
  if (vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data()) < 0) return false;
  return std::any_of(extensions.begin(), extensions.end(), [&](const VkExtensionProperties& e) {
    return std::strcmp(e.extensionName, name) == 0;
  });
}

}  // namespace

Result<std::vector<DeviceInfo>> list_devices() {
  std::uint32_t loader_version = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS)
    loader_version = VK_API_VERSION_1_0;
  const VkApplicationInfo app{
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "mirage",
      .apiVersion = std::min<std::uint32_t>(loader_version, VK_API_VERSION_1_3)};
  // Portability drivers (MoltenVK) are only listed when the instance asks for them.
  const char* portability = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
  const bool with_portability = has_instance_extension(portability);
  const VkInstanceCreateInfo create{
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .flags = with_portability
                   ? VkInstanceCreateFlags{VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR}
                   : 0u,
      .pApplicationInfo = &app,
      .enabledExtensionCount = with_portability ? 1u : 0u,
      .ppEnabledExtensionNames = &portability};
  VkInstance instance = VK_NULL_HANDLE;
  pin_vulkan_libraries_for_leak_checks();
  const VkResult created = vkCreateInstance(&create, nullptr, &instance);
  if (created == VK_ERROR_INCOMPATIBLE_DRIVER) {
    return fail(ErrorCode::kDevice, "no Vulkan device found (no Vulkan driver is installed): {}",
                kNoDeviceHint);
  }
  if (created != VK_SUCCESS) {
    return fail(ErrorCode::kDevice, "cannot start Vulkan ({}): {}", vk_result_name(created),
                kNoDeviceHint);
  }

  std::uint32_t count = 0;
  VkResult listed = vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  if (listed == VK_SUCCESS && count > 0)
    listed = vkEnumeratePhysicalDevices(instance, &count, devices.data());
  std::vector<DeviceInfo> infos;
  if (listed >= 0) {
    for (std::uint32_t i = 0; i < count; ++i) infos.push_back(describe_device(devices[i]));
  }
  vkDestroyInstance(instance, nullptr);
  if (listed < 0) {
    return fail(ErrorCode::kDevice, "cannot list Vulkan devices ({}): {}", vk_result_name(listed),
                kNoDeviceHint);
  }
  if (infos.empty()) return fail(ErrorCode::kDevice, "no Vulkan device found: {}", kNoDeviceHint);
  return infos;
}

}  // namespace mirage::render
