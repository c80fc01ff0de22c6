// Dear ImGui's Vulkan backend (libimgui-dev 1.86, compiled here from Debian's copy), plus the two
// handles that user textures need: 1.86's backend binds only its font texture, so the studio
// binds its own descriptor sets (made with the backend's set layout) from a draw callback, with
// the backend's pipeline layout.
#include "imgui_impl_vulkan.cpp"  // NOLINT(bugprone-suspicious-include): the backend itself

#include "editor/imgui_vulkan_backend.h"

namespace mirage::studio {

VkDescriptorSetLayout imgui_texture_set_layout() {
  const ImGui_ImplVulkan_Data* backend = ImGui_ImplVulkan_GetBackendData();
  return backend != nullptr ? backend->DescriptorSetLayout : VK_NULL_HANDLE;
}

VkPipelineLayout imgui_pipeline_layout() {
  const ImGui_ImplVulkan_Data* backend = ImGui_ImplVulkan_GetBackendData();
  return backend != nullptr ? backend->PipelineLayout : VK_NULL_HANDLE;
}

}  // namespace mirage::studio
