#include "engine/render/resources.h"

#include "engine/core/check.h"
#include "engine/render/vk_check.h"

namespace mirage::render {
namespace {

Result<VkDeviceMemory> allocate_memory(Context& context, const VkMemoryRequirements& requirements,
                                       VkMemoryPropertyFlags required,
                                       VkMemoryPropertyFlags preferred, std::string_view name) {
  const auto type = context.find_memory_type(requirements.memoryTypeBits, required, preferred);
  if (!type) return fail(ErrorCode::kDevice, "no suitable GPU memory type for '{}'", name);
  const VkMemoryAllocateInfo allocate{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = requirements.size,
                                      .memoryTypeIndex = *type};
  VkDeviceMemory memory = VK_NULL_HANDLE;
  if (auto s =
          vk_status(vkAllocateMemory(context.device(), &allocate, nullptr, &memory),
                    format("allocating {} bytes of GPU memory for '{}'", requirements.size, name));
      !s) {
    return std::unexpected(s.error());
  }
  context.name(memory, name);
  return memory;
}

}  // namespace

Result<Semaphore> create_semaphore(Context& context, std::string_view name) {
  const VkSemaphoreCreateInfo info{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  VkSemaphore semaphore = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateSemaphore(context.device(), &info, nullptr, &semaphore),
                         "creating a semaphore");
      !s) {
    return std::unexpected(s.error());
  }
  return Semaphore(context, semaphore, name);
}

Result<Buffer> Buffer::create(Context& context, const BufferDesc& desc) {
  MIRAGE_CHECK(desc.size > 0);
  Buffer buffer;
  buffer.context_ = &context;
  buffer.size_ = desc.size;
  const VkBufferCreateInfo info{.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                .size = desc.size,
                                .usage = desc.usage,
                                .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  if (auto s = vk_status(vkCreateBuffer(context.device(), &info, nullptr, &buffer.buffer_),
                         format("creating buffer '{}'", desc.name));
      !s) {
    buffer.buffer_ = VK_NULL_HANDLE;
    return std::unexpected(s.error());
  }
  context.name(buffer.buffer_, desc.name);

  VkMemoryRequirements requirements{};
  vkGetBufferMemoryRequirements(context.device(), buffer.buffer_, &requirements);
  VkMemoryPropertyFlags required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  VkMemoryPropertyFlags preferred = 0;
  if (desc.memory != MemoryUse::kDeviceLocal) {
    // Coherent memory spares flush/invalidate calls; every desktop driver offers it.
    required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    preferred = desc.memory == MemoryUse::kReadback ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0;
  }
  auto memory = allocate_memory(context, requirements, required, preferred, desc.name);
  if (!memory) return std::unexpected(memory.error());
  buffer.memory_ = *memory;
  if (auto s = vk_status(vkBindBufferMemory(context.device(), buffer.buffer_, buffer.memory_, 0),
                         format("binding memory to buffer '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }
  if (desc.memory != MemoryUse::kDeviceLocal) {
    void* mapped = nullptr;
    if (auto s =
            vk_status(vkMapMemory(context.device(), buffer.memory_, 0, VK_WHOLE_SIZE, 0, &mapped),
                      format("mapping buffer '{}'", desc.name));
        !s) {
      return std::unexpected(s.error());
    }
    buffer.mapped_ = static_cast<std::byte*>(mapped);
  }
  return buffer;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    context_ = other.context_;
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
  }
  return *this;
}

void Buffer::reset() {
  if (buffer_ == VK_NULL_HANDLE && memory_ == VK_NULL_HANDLE) return;
  // Freeing memory unmaps it; the buffer goes first because it is bound to the memory.
  context_->defer([device = context_->device(), buffer = buffer_, memory = memory_] {
    vkDestroyBuffer(device, buffer, nullptr);
    vkFreeMemory(device, memory, nullptr);
  });
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  size_ = 0;
  mapped_ = nullptr;
}

Result<GpuImage> GpuImage::create(Context& context, const ImageDesc& desc) {
  MIRAGE_CHECK(desc.width > 0 && desc.height > 0);
  VkImageFormatProperties limits{};
  const VkResult supported = vkGetPhysicalDeviceImageFormatProperties(
      context.physical_device(), desc.format, VK_IMAGE_TYPE_2D, VK_IMAGE_TILING_OPTIMAL, desc.usage,
      0, &limits);
  if (supported == VK_ERROR_FORMAT_NOT_SUPPORTED || desc.width > limits.maxExtent.width ||
      desc.height > limits.maxExtent.height) {
    return fail(ErrorCode::kUnsupported, "{} cannot make a {}x{} image in format {} for '{}'",
                context.device_info().name, desc.width, desc.height, static_cast<int>(desc.format),
                desc.name);
  }

  GpuImage image;
  image.context_ = &context;
  image.format_ = desc.format;
  image.extent_ = {desc.width, desc.height};
  const VkImageCreateInfo info{.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                               .imageType = VK_IMAGE_TYPE_2D,
                               .format = desc.format,
                               .extent = {desc.width, desc.height, 1},
                               .mipLevels = 1,
                               .arrayLayers = 1,
                               .samples = VK_SAMPLE_COUNT_1_BIT,
                               .tiling = VK_IMAGE_TILING_OPTIMAL,
                               .usage = desc.usage,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                               .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
  if (auto s = vk_status(vkCreateImage(context.device(), &info, nullptr, &image.image_),
                         mirage::format("creating image '{}'", desc.name));
      !s) {
    image.image_ = VK_NULL_HANDLE;
    return std::unexpected(s.error());
  }
  context.name(image.image_, desc.name);

  VkMemoryRequirements requirements{};
  vkGetImageMemoryRequirements(context.device(), image.image_, &requirements);
  auto memory =
      allocate_memory(context, requirements, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, desc.name);
  if (!memory) return std::unexpected(memory.error());
  image.memory_ = *memory;
  if (auto s = vk_status(vkBindImageMemory(context.device(), image.image_, image.memory_, 0),
                         mirage::format("binding memory to image '{}'", desc.name));
      !s) {
    return std::unexpected(s.error());
  }

  const VkImageViewCreateInfo view_info{
      .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
      .image = image.image_,
      .viewType = VK_IMAGE_VIEW_TYPE_2D,
      .format = desc.format,
      .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
  if (auto s = vk_status(vkCreateImageView(context.device(), &view_info, nullptr, &image.view_),
                         mirage::format("creating a view of image '{}'", desc.name));
      !s) {
    image.view_ = VK_NULL_HANDLE;
    return std::unexpected(s.error());
  }
  context.name(image.view_, desc.name);
  return image;
}

GpuImage& GpuImage::operator=(GpuImage&& other) noexcept {
  if (this != &other) {
    reset();
    context_ = other.context_;
    image_ = std::exchange(other.image_, VK_NULL_HANDLE);
    view_ = std::exchange(other.view_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    format_ = std::exchange(other.format_, VK_FORMAT_UNDEFINED);
    extent_ = std::exchange(other.extent_, VkExtent2D{});
  }
  return *this;
}

void GpuImage::reset() {
  if (image_ == VK_NULL_HANDLE && memory_ == VK_NULL_HANDLE) return;
  context_->defer([device = context_->device(), image = image_, view = view_, memory = memory_] {
    vkDestroyImageView(device, view, nullptr);
    vkDestroyImage(device, image, nullptr);
    vkFreeMemory(device, memory, nullptr);
  });
  image_ = VK_NULL_HANDLE;
  view_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  format_ = VK_FORMAT_UNDEFINED;
  extent_ = {};
}

void record_transition(VkCommandBuffer commands, VkImage image, const ImageTransition& transition) {
  const VkImageMemoryBarrier barrier{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                     .srcAccessMask = transition.src_access,
                                     .dstAccessMask = transition.dst_access,
                                     .oldLayout = transition.from,
                                     .newLayout = transition.to,
                                     .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .image = image,
                                     .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
  vkCmdPipelineBarrier(commands, transition.src_stage, transition.dst_stage, 0, 0, nullptr, 0,
                       nullptr, 1, &barrier);
}

}  // namespace mirage::render
