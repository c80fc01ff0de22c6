// Dear ImGui on the studio's window and swapchain: the GLFW and Vulkan backends, the font
// texture and the descriptor pool they need.
//
//   auto ui = ImGuiLayer::create(context, swapchain, window);
//   ui->begin_frame();  ... ImGui::Begin(...) ...;
//   ui->record(commands);   // inside the swapchain's render pass
//
// Main thread only; one per process. Destroy it before the swapchain, context and window.
#pragma once

#include <vulkan/vulkan.h>

#include <memory>

#include "editor/window.h"
#include "engine/core/error.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"
#include "engine/render/swapchain.h"

namespace mirage::studio {

class ImGuiLayer {
  struct Passkey {};

 public:
  static Result<std::unique_ptr<ImGuiLayer>> create(render::Context& context,
                                                    const render::Swapchain& swapchain,
                                                    const Window& window);
  explicit ImGuiLayer(Passkey) {}
  ImGuiLayer(const ImGuiLayer&) = delete;
  ImGuiLayer& operator=(const ImGuiLayer&) = delete;
  ~ImGuiLayer();

  void begin_frame();
  // Finishes the ImGui frame and records its draw commands into an open render pass.
  void record(VkCommandBuffer commands);
  // After Swapchain::recreate(): the image count may have changed.
  void on_swapchain_rebuilt(const render::Swapchain& swapchain);
  // The command buffer record() is recording into (for draw callbacks), else VK_NULL_HANDLE.
  static VkCommandBuffer recording_commands();

 private:
  render::DescriptorPool pool_;
  bool glfw_ready_ = false;
  bool vulkan_ready_ = false;
};

}  // namespace mirage::studio
