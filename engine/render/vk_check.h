// Vulkan result handling in the three error tiers of the style guide.
//
//   VK_CHECK(vkBeginCommandBuffer(cmd, &info));        // tier 1: can only fail through a bug
//   if (auto s = vk_status(vkCreateBuffer(...), "creating buffer 'upload'"); !s) return s;
//                                                        // tier 2: memory, device loss, surface
//
// VK_CHECK aborts with the expression, the VkResult name, file and line. vk_status() turns a
// failure into ErrorCode::kDevice with "<what>: <VkResult name>" as the message.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "engine/core/error.h"

namespace mirage::render {

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.; "VkResult(<n>)" for values this build does not know.
std::string_view vk_result_name(VkResult result);

// ok() for VK_SUCCESS, else kDevice "<what>: <name>". Positive codes other than VK_SUCCESS
// (VK_SUBOPTIMAL_KHR, VK_TIMEOUT, ...) are for the caller to handle before calling this.
Status vk_status(VkResult result, std::string_view what);

}  // namespace mirage::render

#define VK_CHECK(expr)                                                                         \
  do {                                                                                         \
    const VkResult mirage_vk_check_result = (expr);                                            \
    if (mirage_vk_check_result != VK_SUCCESS) [[unlikely]] {                                   \
      const std::string_view mirage_vk_check_name =                                            \
          ::mirage::render::vk_result_name(mirage_vk_check_result);                            \
      std::fprintf(stderr, "%s:%d: Vulkan call failed (%.*s): %s\n", __FILE__, __LINE__,       \
                   static_cast<int>(mirage_vk_check_name.size()), mirage_vk_check_name.data(), \
                   #expr);                                                                     \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)
