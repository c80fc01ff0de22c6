// Move-only owners of GPU objects. Dropping one hands its handles to Context::defer(), so the
// destroy call runs only once every submission made so far has finished (see deletion_queue.h).
//
//   auto staging = Buffer::create(context, {.name = "upload", .size = bytes,
//                                           .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
//                                           .memory = MemoryUse::kUpload});
//   std::memcpy(staging->mapped().data(), pixels, bytes);
//   auto image = GpuImage::create(context, {.name = "frame", .width = w, .height = h,
//                                           .format = VK_FORMAT_R8G8B8A8_UNORM,
//                                           .usage = VK_IMAGE_USAGE_STORAGE_BIT});
//   PipelineLayout layout(context, raw_layout, "blend layout");   // adopts a raw handle
//
// Creation failures (out of memory, unsupported format) are Results with ErrorCode::kDevice.
// Every owner is named for validation messages. The Context must outlive its owners.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/core/error.h"
#include "engine/render/context.h"

namespace mirage::render {

// One Vulkan handle destroyed by Destroy(device, handle, nullptr) once the GPU is done with it.
template <class Handle, auto Destroy>
class Owned {
 public:
  Owned() = default;
  // Adopts handle (which must come from context's device) and names it.
  Owned(Context& context, Handle handle, std::string_view name)
      : context_(&context), handle_(handle) {
    context.name(handle, name);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Owned(Owned&& other) noexcept
      : context_(other.context_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      reset();
      context_ = other.context_;
      handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
    }
    return *this;
  }
  ~Owned() { reset(); }

  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

  void reset() {
    if (handle_ == VK_NULL_HANDLE) return;
    context_->defer(
        [device = context_->device(), handle = handle_] { Destroy(device, handle, nullptr); });
    handle_ = VK_NULL_HANDLE;
  }

 private:
  Context* context_ = nullptr;
  Handle handle_ = VK_NULL_HANDLE;
};

using ShaderModule = Owned<VkShaderModule, &vkDestroyShaderModule>;
using Pipeline = Owned<VkPipeline, &vkDestroyPipeline>;
using PipelineLayout = Owned<VkPipelineLayout, &vkDestroyPipelineLayout>;
using DescriptorSetLayout = Owned<VkDescriptorSetLayout, &vkDestroyDescriptorSetLayout>;
using DescriptorPool = Owned<VkDescriptorPool, &vkDestroyDescriptorPool>;
using CommandPool = Owned<VkCommandPool, &vkDestroyCommandPool>;
using Semaphore = Owned<VkSemaphore, &vkDestroySemaphore>;
using RenderPass = Owned<VkRenderPass, &vkDestroyRenderPass>;
using Framebuffer = Owned<VkFramebuffer, &vkDestroyFramebuffer>;
using OwnedImageView = Owned<VkImageView, &vkDestroyImageView>;  // not mirage::ImageView (pixels)
using Sampler = Owned<VkSampler, &vkDestroySampler>;
using QueryPool = Owned<VkQueryPool, &vkDestroyQueryPool>;

// A new binary semaphore, named.
Result<Semaphore> create_semaphore(Context& context, std::string_view name);

enum class MemoryUse {
  kDeviceLocal,  // GPU only
  kUpload,       // host-visible, coherent, persistently mapped: the CPU writes, the GPU reads
  kReadback,     // host-visible, coherent (cached where offered), mapped: the GPU writes, the CPU
                 // reads
};

struct BufferDesc {
  std::string name;
  VkDeviceSize size = 0;  // bytes, > 0
  VkBufferUsageFlags usage = 0;
  MemoryUse memory = MemoryUse::kDeviceLocal;
};

class Buffer {
 public:
  Buffer() = default;
  static Result<Buffer> create(Context& context, const BufferDesc& desc);
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer() { reset(); }

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  // The mapped bytes of a kUpload/kReadback buffer (empty for kDeviceLocal). Valid while the
  // Buffer lives; the CPU must not touch them while submitted GPU work uses the buffer.
  std::span<std::byte> mapped() const {
    return {mapped_, mapped_ ? static_cast<std::size_t>(size_) : 0};
  }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }
  void reset();

 private:
  Context* context_ = nullptr;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  std::byte* mapped_ = nullptr;
};

struct ImageDesc {
  std::string name;
  std::uint32_t width = 0;  // pixels, > 0
  std::uint32_t height = 0;
  VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
  VkImageUsageFlags usage = 0;
};

// A 2D, single-mip, device-local image with a colour view. Starts in VK_IMAGE_LAYOUT_UNDEFINED.
class GpuImage {
 public:
  GpuImage() = default;
  // kUnsupported when the device cannot make such an image (format/usage), kDevice otherwise.
  static Result<GpuImage> create(Context& context, const ImageDesc& desc);
  GpuImage(const GpuImage&) = delete;
  GpuImage& operator=(const GpuImage&) = delete;
  GpuImage(GpuImage&& other) noexcept { *this = std::move(other); }
  GpuImage& operator=(GpuImage&& other) noexcept;
  ~GpuImage() { reset(); }

  VkImage handle() const { return image_; }
  VkImageView view() const { return view_; }
  VkFormat format() const { return format_; }
  VkExtent2D extent() const { return extent_; }
  explicit operator bool() const { return image_ != VK_NULL_HANDLE; }
  void reset();

 private:
  Context* context_ = nullptr;
  VkImage image_ = VK_NULL_HANDLE;
  VkImageView view_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkFormat format_ = VK_FORMAT_UNDEFINED;
  VkExtent2D extent_{};
};

// A layout change plus the execution/memory dependency around it, for a whole colour image.
struct ImageTransition {
  VkImageLayout from = VK_IMAGE_LAYOUT_UNDEFINED;
  VkImageLayout to = VK_IMAGE_LAYOUT_GENERAL;
  VkPipelineStageFlags src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
  VkAccessFlags src_access = 0;
  VkPipelineStageFlags dst_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
  VkAccessFlags dst_access = 0;
};
void record_transition(VkCommandBuffer commands, VkImage image, const ImageTransition& transition);

}  // namespace mirage::render
