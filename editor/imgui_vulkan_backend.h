// The Vulkan backend's handles a user texture needs (see imgui_vulkan_backend.cpp). Valid
// between ImGui_ImplVulkan_Init() and ImGui_ImplVulkan_Shutdown().
#pragma once

#include <vulkan/vulkan.h>

namespace mirage::studio {

VkDescriptorSetLayout imgui_texture_set_layout();  // one combined image sampler (immutable sampler)
VkPipelineLayout imgui_pipeline_layout();

}  // namespace mirage::studio
