// An RGBA image the CPU hands over each frame (the player's frame, the training preview), shown
// with ImGui::Image through a draw callback (Dear ImGui 1.86's Vulkan backend has no user
// textures of its own).
//
//   UiTexture viewport;                                   // one per picture on screen
//   viewport.upload(commands, slot, frame.view());        // before the render pass, when it changed
//   viewport.draw(ImVec2(w, h));                          // inside an ImGui window
//
// The staging buffers are one per frame in flight (`slot`, the FrameRing's), so the CPU never
// writes one that a frame still being drawn reads; the image is replaced only when the size
// changes (deferred destruction). Main thread only.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <span>

#include <imgui.h>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::studio {

class UiTexture {
 public:
  UiTexture() = default;
  explicit UiTexture(render::Context& context, const char* name) : context_(&context), name_(name) {}

  // Copies `pixels` (kRgba8) into the texture; records the copy and its barriers into
  // `commands`, which must run before the draw that shows it (outside a render pass).
  Status upload(VkCommandBuffer commands, std::size_t slot, ConstImageView pixels);
  // An ImGui::Image of the texture at `size` (nothing until the first upload).
  void draw(ImVec2 size) const;
  bool ready() const { return set_ != VK_NULL_HANDLE; }
  int width() const { return width_; }
  int height() const { return height_; }

  // Records the binding of the current texture; called by the draw callback. The command
  // buffer being recorded is the one ImGuiLayer::record() was given.
  static void bind_current(VkCommandBuffer commands, VkDescriptorSet set);

 private:
  Status resize(int width, int height);

  render::Context* context_ = nullptr;
  const char* name_ = "texture";
  render::GpuImage image_;
  std::array<render::Buffer, 2> staging_;
  render::DescriptorPool pool_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  bool initialised_ = false;
  int width_ = 0;
  int height_ = 0;
};

// What UiTexture and ThumbnailAtlas share: a descriptor set (in a pool of its own) that ImGui's
// pipeline samples, pointed at an image; the barriers around an upload's buffer-to-image copies
// (from undefined the first time, else from shader-read, and back); and the draw-list callbacks
// that bind a set for the draws after them and go back to the font's.
Result<VkDescriptorSet> create_texture_set(render::Context& context, const char* name, render::DescriptorPool& pool);
void point_texture_set(render::Context& context, VkDescriptorSet set, VkImageView view);
void record_texture_copies(VkCommandBuffer commands, VkBuffer staging, VkImage image, bool initialised,
                           std::span<const VkBufferImageCopy> copies);
void push_texture(ImDrawList* list, VkDescriptorSet set);
void pop_texture(ImDrawList* list);

}  // namespace mirage::studio
