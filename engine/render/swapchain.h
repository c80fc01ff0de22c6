// Presentable images for a surface the caller made (Context::surface()), with a colour render
// pass + framebuffers to draw into them and a way to capture what was drawn.
//
//   auto swapchain = Swapchain::create(context, {width, height});
//   auto acquired = swapchain->acquire(frame.image_acquired);
//   if (acquired->state == SwapchainState::kOutOfDate) { swapchain->recreate(size); continue; }
//   swapchain->record_begin_render_pass(cmd, acquired->image_index, {{0.1f, 0.1f, 0.1f, 1.0f}});
//   ... draw ...; vkCmdEndRenderPass(cmd);
//   submit waiting on frame.image_acquired, signalling swapchain->render_finished(index);
//   if (*swapchain->present(index) != SwapchainState::kReady) recreate before the next acquire;
//
// Out-of-date and suboptimal swapchains are states (SwapchainState), not errors; errors are a
// lost surface or device, or running out of memory (ErrorCode::kDevice). Images are created
// with VK_IMAGE_USAGE_TRANSFER_SRC_BIT where the surface allows it, for record_capture().
// Same threading rules as Context; the Context must outlive the Swapchain.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::render {

enum class SwapchainState {
  kReady,       // acquired/presented as asked
  kSuboptimal,  // acquired/presented, but recreate() before the next frame
  kOutOfDate,   // nothing acquired/presented: recreate() and try again
};

struct AcquiredImage {
  SwapchainState state = SwapchainState::kReady;
  std::uint32_t image_index = 0;
};

class Swapchain {
 public:
  Swapchain() = default;
  // framebuffer_size: the window's size in pixels (both > 0; a minimised window has to wait).
  // vsync: FIFO presentation; otherwise mailbox or immediate where offered.
  static Result<Swapchain> create(Context& context, VkExtent2D framebuffer_size, bool vsync = true);
  // Rebuilds every image for a new size. Waits for the device to go idle: resizes are rare.
  Status recreate(VkExtent2D framebuffer_size);

  // The next image to draw into; `signal` (binary, unsignalled) is signalled when it may be
  // written. On kOutOfDate nothing was acquired and `signal` stays unsignalled.
  Result<AcquiredImage> acquire(VkSemaphore signal);
  // Shows the image once render_finished(image_index) is signalled.
  Result<SwapchainState> present(std::uint32_t image_index);

  // Clears the image to `clear` and begins the render pass on it (one subpass, one colour
  // attachment, ends in VK_IMAGE_LAYOUT_PRESENT_SRC_KHR).
  void record_begin_render_pass(VkCommandBuffer commands, std::uint32_t image_index,
                                const VkClearColorValue& clear) const;
  VkSemaphore render_finished(std::uint32_t image_index) const {
    return render_finished_[image_index].get();
  }
  VkRenderPass render_pass() const { return render_pass_.get(); }
  VkExtent2D extent() const { return extent_; }
  VkFormat format() const { return format_; }
  std::uint32_t image_count() const { return static_cast<std::uint32_t>(images_.size()); }
  std::uint32_t min_image_count() const { return min_image_count_; }

  // A host-readable buffer for one image; kUnsupported when the surface forbids transfers from
  // its images or the format is not 8-bit RGBA/BGRA.
  Result<Buffer> create_capture_buffer() const;
  // Copies the image into capture; record after the render pass ended, before submitting.
  void record_capture(VkCommandBuffer commands, std::uint32_t image_index,
                      const Buffer& capture) const;
  // The captured pixels as RGBA8 (opaque alpha), once the submission that copied them finished.
  Image read_capture(const Buffer& capture) const;

 private:
  Status build(VkExtent2D framebuffer_size);
  Status create_render_pass();

  Context* context_ = nullptr;
  bool vsync_ = true;
  Owned<VkSwapchainKHR, &vkDestroySwapchainKHR> swapchain_;
  VkFormat format_ = VK_FORMAT_UNDEFINED;
  VkExtent2D extent_{};
  std::uint32_t min_image_count_ = 0;
  bool can_capture_ = false;
  RenderPass render_pass_;
  std::vector<VkImage> images_;  // owned by the swapchain
  std::vector<OwnedImageView> views_;
  std::vector<Framebuffer> framebuffers_;
  std::vector<Semaphore> render_finished_;
};

}  // namespace mirage::render
