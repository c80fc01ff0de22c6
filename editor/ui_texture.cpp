#include "editor/ui_texture.h"

#include <cstring>

#include "editor/imgui_layer.h"
#include "editor/imgui_vulkan_backend.h"
#include "engine/render/vk_check.h"

namespace mirage::studio {
namespace {

void bind_callback(const ImDrawList*, const ImDrawCmd* command) {
  UiTexture::bind_current(ImGuiLayer::recording_commands(),
                          reinterpret_cast<VkDescriptorSet>(command->UserCallbackData));
}

}  // namespace

void UiTexture::bind_current(VkCommandBuffer commands, VkDescriptorSet set) {
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_GRAPHICS, imgui_pipeline_layout(), 0, 1, &set, 0,
                          nullptr);
}

Status UiTexture::resize(int width, int height) {
  render::Context& context = *context_;
  auto image = render::GpuImage::create(context, {name_, static_cast<std::uint32_t>(width),
                                                  static_cast<std::uint32_t>(height), VK_FORMAT_R8G8B8A8_UNORM,
                                                  VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT});
  if (!image) return std::unexpected(image.error());
  const VkDeviceSize bytes = static_cast<VkDeviceSize>(width) * static_cast<VkDeviceSize>(height) * 4;
  for (render::Buffer& staging : staging_) {
    auto buffer = render::Buffer::create(context, {name_, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                                   render::MemoryUse::kUpload});
    if (!buffer) return std::unexpected(buffer.error());
    staging = std::move(*buffer);
  }
  if (!pool_) {
    auto set = create_texture_set(context, name_, pool_);
    if (!set) return std::unexpected(set.error());
    set_ = *set;
  }
  // The previous image is still named by the set in frames in flight; those frames were
  // recorded already, and the set is rewritten for the next ones only (update-after-bind is not
  // needed: the frame being recorded now has not bound it yet).
  image_ = std::move(*image);
  point_texture_set(context, set_, image_.view());
  initialised_ = false;
  width_ = width;
  height_ = height;
  return ok();
}

Status UiTexture::upload(VkCommandBuffer commands, std::size_t slot, ConstImageView pixels) {
  if (pixels.format != PixelFormat::kRgba8 || pixels.empty()) {
    return fail(ErrorCode::kInvalidArgument, "a UI texture takes RGBA8 pixels");
  }
  if (pixels.width != width_ || pixels.height != height_) {
    // A set that frames in flight may still use must not be rewritten: wait for them.
    if (set_ != VK_NULL_HANDLE) vkDeviceWaitIdle(context_->device());
    if (auto s = resize(pixels.width, pixels.height); !s) return s;
  }
  render::Buffer& staging = staging_[slot % staging_.size()];
  std::byte* target = staging.mapped().data();
  for (int y = 0; y < pixels.height; ++y) {
    std::memcpy(target + static_cast<std::size_t>(y) * pixels.row_bytes(), pixels.row(y), pixels.row_bytes());
  }
  const VkBufferImageCopy copy{.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                               .imageExtent = {static_cast<std::uint32_t>(pixels.width),
                                               static_cast<std::uint32_t>(pixels.height), 1}};
  record_texture_copies(commands, staging.handle(), image_.handle(), initialised_, {&copy, 1});
  initialised_ = true;
  return ok();
}

void UiTexture::draw(ImVec2 size) const {
  if (set_ == VK_NULL_HANDLE || !initialised_) {
    ImGui::Dummy(size);
    return;
  }
  ImDrawList* list = ImGui::GetWindowDrawList();
  push_texture(list, set_);
  // A texture id other than the font's, so ImGui starts a draw command for the image.
  ImGui::Image(reinterpret_cast<ImTextureID>(set_), size);
  pop_texture(list);
}

Result<VkDescriptorSet> create_texture_set(render::Context& context, const char* name, render::DescriptorPool& pool) {
  const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1};
  const VkDescriptorPoolCreateInfo info{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = 1,
                                        .poolSizeCount = 1, .pPoolSizes = &size};
  VkDescriptorPool handle = VK_NULL_HANDLE;
  if (auto s = render::vk_status(vkCreateDescriptorPool(context.device(), &info, nullptr, &handle), "a UI texture pool");
      !s) {
    return std::unexpected(s.error());
  }
  pool = render::DescriptorPool(context, handle, name);
  const VkDescriptorSetLayout layout = imgui_texture_set_layout();
  const VkDescriptorSetAllocateInfo allocate{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                             .descriptorPool = handle, .descriptorSetCount = 1, .pSetLayouts = &layout};
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (auto s = render::vk_status(vkAllocateDescriptorSets(context.device(), &allocate, &set), "a UI texture set"); !s) {
    return std::unexpected(s.error());
  }
  return set;
}

void point_texture_set(render::Context& context, VkDescriptorSet set, VkImageView view) {
  const VkDescriptorImageInfo image_info{.imageView = view, .imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
  const VkWriteDescriptorSet write{.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = set, .descriptorCount = 1,
                                   .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, .pImageInfo = &image_info};
  vkUpdateDescriptorSets(context.device(), 1, &write, 0, nullptr);
}

void record_texture_copies(VkCommandBuffer commands, VkBuffer staging, VkImage image, bool initialised,
                           std::span<const VkBufferImageCopy> copies) {
  render::record_transition(commands, image,
                            {.from = initialised ? VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL : VK_IMAGE_LAYOUT_UNDEFINED,
                             .to = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                             .src_stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                             .src_access = 0,
                             .dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                             .dst_access = VK_ACCESS_TRANSFER_WRITE_BIT});
  vkCmdCopyBufferToImage(commands, staging, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                         static_cast<std::uint32_t>(copies.size()), copies.data());
  render::record_transition(commands, image,
                            {.from = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                             .to = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                             .src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                             .src_access = VK_ACCESS_TRANSFER_WRITE_BIT,
                             .dst_stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                             .dst_access = VK_ACCESS_SHADER_READ_BIT});
}

void push_texture(ImDrawList* list, VkDescriptorSet set) { list->AddCallback(&bind_callback, set); }

void pop_texture(ImDrawList* list) { list->AddCallback(ImDrawCallback_ResetRenderState, nullptr); }

}  // namespace mirage::studio
