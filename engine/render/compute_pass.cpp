#include "engine/render/compute_pass.h"

#include <map>

#include "engine/core/check.h"
#include "engine/render/vk_check.h"

namespace mirage::render {

Result<ComputePass> ComputePass::create(Context& context, const ComputePassDesc& desc) {
  MIRAGE_CHECK(!desc.spirv.empty());
  MIRAGE_CHECK(desc.push_constant_size % 4 == 0 && desc.push_constant_size <= 128);
  MIRAGE_CHECK(desc.max_sets > 0);
  const VkDevice device = context.device();
  ComputePass pass;
  pass.context_ = &context;
  pass.name_ = desc.name;
  pass.bindings_ = desc.bindings;
  pass.push_constant_size_ = desc.push_constant_size;

  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (std::uint32_t i = 0; i < desc.bindings.size(); ++i) {
    bindings.push_back({.binding = i,
                        .descriptorType = desc.bindings[i],
                        .descriptorCount = 1,
                        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT});
  }
  const VkDescriptorSetLayoutCreateInfo set_layout_info{
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = static_cast<std::uint32_t>(bindings.size()),
      .pBindings = bindings.data()};
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  if (auto s =
          vk_status(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout),
                    format("creating the descriptor layout of '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  pass.set_layout_ = DescriptorSetLayout(context, set_layout, desc.name);

  const VkPushConstantRange push_range{
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = desc.push_constant_size};
  const VkPipelineLayoutCreateInfo layout_info{
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &set_layout,
      .pushConstantRangeCount = desc.push_constant_size > 0 ? 1u : 0u,
      .pPushConstantRanges = &push_range};
  VkPipelineLayout layout = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout),
                         format("creating the pipeline layout of '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  pass.layout_ = PipelineLayout(context, layout, desc.name);

  const VkShaderModuleCreateInfo module_info{.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                             .codeSize = desc.spirv.size_bytes(),
                                             .pCode = desc.spirv.data()};
  VkShaderModule raw_module = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateShaderModule(device, &module_info, nullptr, &raw_module),
                         format("loading the shader of '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  // Only pipeline creation reads the module; dropping it at the end of create() is enough.
  const ShaderModule module(context, raw_module, desc.name);

  const VkComputePipelineCreateInfo pipeline_info{
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module.get(),
                .pName = "main"},
      .layout = layout};
  VkPipeline pipeline = VK_NULL_HANDLE;
  if (auto s = vk_status(
          vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline),
          format("building the pipeline of '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  pass.pipeline_ = Pipeline(context, pipeline, desc.name);

  std::map<VkDescriptorType, std::uint32_t> counts;
  for (const VkDescriptorType type : desc.bindings) counts[type] += desc.max_sets;
  std::vector<VkDescriptorPoolSize> sizes;
  for (const auto& [type, count] : counts) sizes.push_back({type, count});
  const VkDescriptorPoolCreateInfo pool_info{
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = desc.max_sets,
      .poolSizeCount = static_cast<std::uint32_t>(sizes.size()),
      .pPoolSizes = sizes.data()};
  VkDescriptorPool pool = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool),
                         format("creating the descriptor pool of '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  pass.pool_ = DescriptorPool(context, pool, desc.name);
  pass.sets_allocated_ = 0;
  return pass;
}

Result<VkDescriptorSet> ComputePass::allocate_set() {
  const VkDescriptorSetLayout set_layout = set_layout_.get();
  const VkDescriptorSetAllocateInfo info{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                         .descriptorPool = pool_.get(),
                                         .descriptorSetCount = 1,
                                         .pSetLayouts = &set_layout};
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (auto s = vk_status(
          vkAllocateDescriptorSets(context_->device(), &info, &set),
          format("allocating a descriptor set of '{}' ({} taken)", name_, sets_allocated_));
      !s) {
    return std::unexpected(s.error());
  }
  ++sets_allocated_;
  context_->name(set, name_);
  return set;
}

void ComputePass::write_storage_images(VkDescriptorSet set,
                                       std::span<const VkImageView> views) const {
  MIRAGE_CHECK(views.size() == bindings_.size());
  std::vector<VkDescriptorImageInfo> infos;
  infos.reserve(views.size());
  std::vector<VkWriteDescriptorSet> writes;
  for (std::uint32_t i = 0; i < views.size(); ++i) {
    MIRAGE_CHECK(bindings_[i] == VK_DESCRIPTOR_TYPE_STORAGE_IMAGE);
    infos.push_back({.imageView = views[i], .imageLayout = VK_IMAGE_LAYOUT_GENERAL});
    writes.push_back({.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                      .dstSet = set,
                      .dstBinding = i,
                      .descriptorCount = 1,
                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
                      .pImageInfo = &infos.back()});
  }
  vkUpdateDescriptorSets(context_->device(), static_cast<std::uint32_t>(writes.size()),
                         writes.data(), 0, nullptr);
}

void ComputePass::write_set(VkDescriptorSet set, std::span<const Resource> resources) const {
  MIRAGE_CHECK(resources.size() == bindings_.size());
  std::vector<VkDescriptorImageInfo> images(resources.size());
  std::vector<VkDescriptorBufferInfo> buffers(resources.size());
  std::vector<VkWriteDescriptorSet> writes;
  for (std::uint32_t i = 0; i < resources.size(); ++i) {
    VkWriteDescriptorSet write{.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                               .dstSet = set,
                               .dstBinding = i,
                               .descriptorCount = 1,
                               .descriptorType = bindings_[i]};
    if (bindings_[i] == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER) {
      MIRAGE_CHECK(resources[i].buffer != VK_NULL_HANDLE);
      buffers[i] = {.buffer = resources[i].buffer, .offset = 0, .range = VK_WHOLE_SIZE};
      write.pBufferInfo = &buffers[i];
    } else {
      MIRAGE_CHECK(bindings_[i] == VK_DESCRIPTOR_TYPE_STORAGE_IMAGE && resources[i].image);
      images[i] = {.imageView = resources[i].image, .imageLayout = VK_IMAGE_LAYOUT_GENERAL};
      write.pImageInfo = &images[i];
    }
    writes.push_back(write);
  }
  vkUpdateDescriptorSets(context_->device(), static_cast<std::uint32_t>(writes.size()),
                         writes.data(), 0, nullptr);
}

void ComputePass::record(VkCommandBuffer commands, VkDescriptorSet set,
                         std::span<const std::byte> push, std::uint32_t groups_x,
                         std::uint32_t groups_y, std::uint32_t groups_z) const {
  MIRAGE_CHECK(push.size() <= push_constant_size_ && push.size() % 4 == 0);
  vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_.get());
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, layout_.get(), 0, 1, &set, 0,
                          nullptr);
  if (!push.empty()) {
    vkCmdPushConstants(commands, layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       static_cast<std::uint32_t>(push.size()), push.data());
  }
  vkCmdDispatch(commands, groups_x, groups_y, groups_z);
}

}  // namespace mirage::render
