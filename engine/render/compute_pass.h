// A compute pipeline built from embedded SPIR-V, with its descriptor layout and a small pool of
// descriptor sets: the building block of the GPU compositing passes.
//
//   auto pass = ComputePass::create(context, {
//       .name = "blend",
//       .spirv = shaders::spirv(shaders::ShaderId::kBlend),
//       .bindings = {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, ...},   // binding i = bindings[i]
//       .push_constant_size = sizeof(shaders::BlendPushConstants)});
//   VkDescriptorSet set = *pass->allocate_set();
//   pass->write_storage_images(set, {frame.view(), face.view(), mask.view(), out.view()});
//   pass->record(commands, set, push, groups_x, groups_y);
//
// Storage images are bound in VK_IMAGE_LAYOUT_GENERAL. A set must not be rewritten while
// submitted work that uses it is pending. Same threading rules as Context.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::render {

struct ComputePassDesc {
  std::string name;
  std::span<const std::uint32_t> spirv;    // entry point "main"; must outlive create()
  std::vector<VkDescriptorType> bindings;  // set 0, binding i, one descriptor each
  std::uint32_t push_constant_size = 0;    // bytes, multiple of 4, <= 128
  std::uint32_t max_sets = 1;              // how many allocate_set() calls may succeed
};

class ComputePass {
 public:
  ComputePass() = default;
  // kDevice when the driver rejects the shader or runs out of memory.
  static Result<ComputePass> create(Context& context, const ComputePassDesc& desc);

  // A set of this pass's layout; kDevice once max_sets are taken.
  Result<VkDescriptorSet> allocate_set();
  // Points the set's bindings, in order, at image views (storage images, layout GENERAL).
  void write_storage_images(VkDescriptorSet set, std::span<const VkImageView> views) const;
  // One resource per binding, in order: a whole buffer for a storage-buffer binding, a view
  // (layout GENERAL) for a storage-image binding.
  struct Resource {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkImageView image = VK_NULL_HANDLE;
  };
  void write_set(VkDescriptorSet set, std::span<const Resource> resources) const;
  // Binds pipeline and set, pushes the constants (at most push_constant_size bytes) and
  // dispatches groups_x * groups_y * groups_z workgroups.
  void record(VkCommandBuffer commands, VkDescriptorSet set, std::span<const std::byte> push,
              std::uint32_t groups_x, std::uint32_t groups_y, std::uint32_t groups_z = 1) const;
  template <class PushConstants>
  void record(VkCommandBuffer commands, VkDescriptorSet set, const PushConstants& push,
              std::uint32_t groups_x, std::uint32_t groups_y, std::uint32_t groups_z = 1) const {
    record(commands, set, std::as_bytes(std::span(&push, 1)), groups_x, groups_y, groups_z);
  }

  VkPipeline pipeline() const { return pipeline_.get(); }
  explicit operator bool() const { return static_cast<bool>(pipeline_); }

 private:
  Context* context_ = nullptr;
  std::string name_;
  std::vector<VkDescriptorType> bindings_;
  std::uint32_t push_constant_size_ = 0;
  DescriptorSetLayout set_layout_;
  PipelineLayout layout_;
  Pipeline pipeline_;
  DescriptorPool pool_;
  std::uint32_t sets_allocated_ = 0;
};

}  // namespace mirage::render
