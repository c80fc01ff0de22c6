#include "engine/render/swapchain.h"

#include <algorithm>
#include <cstring>

#include "engine/core/check.h"
#include "engine/render/vk_check.h"

namespace mirage::render {
namespace {

// acquire() gives up after this long instead of hanging on a broken presentation engine.
constexpr std::uint64_t kAcquireTimeoutNs = 10'000'000'000;

bool is_bgra8(VkFormat format) {
  return format == VK_FORMAT_B8G8R8A8_UNORM || format == VK_FORMAT_B8G8R8A8_SRGB;
}
bool is_rgba8(VkFormat format) {
  return format == VK_FORMAT_R8G8B8A8_UNORM || format == VK_FORMAT_R8G8B8A8_SRGB;
}

VkSurfaceFormatKHR choose_format(const std::vector<VkSurfaceFormatKHR>& formats) {
  // UNORM, not SRGB: Dear ImGui's colours are already sRGB-encoded.
  for (const VkFormat wanted : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM}) {
    for (const VkSurfaceFormatKHR& format : formats) {
      if (format.format == wanted && format.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR)
        return format;
    }
  }
  return formats.front();
}

VkPresentModeKHR choose_present_mode(VkPhysicalDevice device, VkSurfaceKHR surface, bool vsync) {
  if (vsync) return VK_PRESENT_MODE_FIFO_KHR;  // the one mode every surface supports
  std::uint32_t count = 0;
  vkGetPhysicalDeviceSurfacePresentModesKHR(device, surface, &count, nullptr);
  std::vector<VkPresentModeKHR> modes(count);
  vkGetPhysicalDeviceSurfacePresentModesKHR(device, surface, &count, modes.data());
  for (const VkPresentModeKHR wanted :
       {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR}) {
    if (std::find(modes.begin(), modes.begin() + count, wanted) != modes.begin() + count)
      return wanted;
  }
  return VK_PRESENT_MODE_FIFO_KHR;
}

}  // namespace

Result<Swapchain> Swapchain::create(Context& context, VkExtent2D framebuffer_size, bool vsync) {
  MIRAGE_CHECK(context.surface() != VK_NULL_HANDLE);
  Swapchain swapchain;
  swapchain.context_ = &context;
  swapchain.vsync_ = vsync;
  if (auto s = swapchain.build(framebuffer_size); !s) return std::unexpected(s.error());
  return swapchain;
}

Status Swapchain::recreate(VkExtent2D framebuffer_size) {
  // The old images may still be read by presentation; idle is the simple, safe point to swap.
  if (auto s =
          vk_status(vkDeviceWaitIdle(context_->device()), "waiting for the GPU before a resize");
      !s)
    return s;
  if (auto s = build(framebuffer_size); !s) return s;
  context_->collect();
  return ok();
}

Status Swapchain::build(VkExtent2D framebuffer_size) {
  MIRAGE_CHECK(framebuffer_size.width > 0 && framebuffer_size.height > 0);
  Context& context = *context_;
  const VkPhysicalDevice physical = context.physical_device();
  const VkSurfaceKHR surface = context.surface();

  VkSurfaceCapabilitiesKHR caps{};
  if (auto s = vk_status(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(physical, surface, &caps),
                         "reading the window surface's capabilities");
      !s) {
    return s;
  }
  std::uint32_t format_count = 0;
  vkGetPhysicalDeviceSurfaceFormatsKHR(physical, surface, &format_count, nullptr);
  std::vector<VkSurfaceFormatKHR> formats(format_count);
  vkGetPhysicalDeviceSurfaceFormatsKHR(physical, surface, &format_count, formats.data());
  if (format_count == 0)
    return fail(ErrorCode::kDevice, "the window surface offers no image format");
  formats.resize(format_count);
  const VkSurfaceFormatKHR surface_format = choose_format(formats);

  // 0xFFFFFFFF means "the swapchain decides"; otherwise the surface's size wins.
  VkExtent2D extent = caps.currentExtent;
  if (extent.width == 0xFFFFFFFFu) {
    extent.width =
        std::clamp(framebuffer_size.width, caps.minImageExtent.width, caps.maxImageExtent.width);
    extent.height =
        std::clamp(framebuffer_size.height, caps.minImageExtent.height, caps.maxImageExtent.height);
  }
  if (extent.width == 0 || extent.height == 0) extent = framebuffer_size;
  std::uint32_t image_count = caps.minImageCount + 1;
  if (caps.maxImageCount > 0) image_count = std::min(image_count, caps.maxImageCount);
  can_capture_ = (caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT) != 0;
  const VkCompositeAlphaFlagBitsKHR alpha =
      (caps.supportedCompositeAlpha & VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR)
          ? VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
          : static_cast<VkCompositeAlphaFlagBitsKHR>(caps.supportedCompositeAlpha &
                                                     -caps.supportedCompositeAlpha);

  const VkSwapchainCreateInfoKHR info{
      .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
      .surface = surface,
      .minImageCount = image_count,
      .imageFormat = surface_format.format,
      .imageColorSpace = surface_format.colorSpace,
      .imageExtent = extent,
      .imageArrayLayers = 1,
      .imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                    (can_capture_ ? VkImageUsageFlags{VK_IMAGE_USAGE_TRANSFER_SRC_BIT} : 0u),
      .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
      .preTransform = caps.currentTransform,
      .compositeAlpha = alpha,
      .presentMode = choose_present_mode(physical, surface, vsync_),
      .clipped = VK_TRUE,
      .oldSwapchain = swapchain_.get()};
  VkSwapchainKHR raw = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateSwapchainKHR(context.device(), &info, nullptr, &raw),
                         "creating the swapchain");
      !s) {
    return s;
  }
  // Views and framebuffers of the old images go first: the deletion queue keeps push order.
  framebuffers_.clear();
  views_.clear();
  swapchain_ = Owned<VkSwapchainKHR, &vkDestroySwapchainKHR>(context, raw, "swapchain");
  const bool format_changed = surface_format.format != format_;
  format_ = surface_format.format;
  extent_ = extent;
  min_image_count_ = image_count;
  if (format_changed || !render_pass_) {
    if (auto s = create_render_pass(); !s) return s;
  }

  std::uint32_t count = 0;
  VK_CHECK(vkGetSwapchainImagesKHR(context.device(), raw, &count, nullptr));
  images_.resize(count);
  VK_CHECK(vkGetSwapchainImagesKHR(context.device(), raw, &count, images_.data()));
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string name = mirage::format("swapchain image {}", i);
    context.name(images_[i], name);
    const VkImageViewCreateInfo view_info{
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = images_[i],
        .viewType = VK_IMAGE_VIEW_TYPE_2D,
        .format = format_,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    VkImageView view = VK_NULL_HANDLE;
    if (auto s = vk_status(vkCreateImageView(context.device(), &view_info, nullptr, &view),
                           "creating a view");
        !s) {
      return s;
    }
    views_.emplace_back(context, view, name);
    const VkFramebufferCreateInfo framebuffer_info{
        .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
        .renderPass = render_pass_.get(),
        .attachmentCount = 1,
        .pAttachments = &view,
        .width = extent_.width,
        .height = extent_.height,
        .layers = 1};
    VkFramebuffer framebuffer = VK_NULL_HANDLE;
    if (auto s = vk_status(
            vkCreateFramebuffer(context.device(), &framebuffer_info, nullptr, &framebuffer),
            "creating a framebuffer");
        !s) {
      return s;
    }
    framebuffers_.emplace_back(context, framebuffer, name);
  }
  // One per image, not per frame in flight: presentation may still wait on an image's
  // semaphore until that image is acquired again.
  while (render_finished_.size() < count) {
    auto semaphore =
        create_semaphore(context, mirage::format("render finished {}", render_finished_.size()));
    if (!semaphore) return std::unexpected(semaphore.error());
    render_finished_.push_back(std::move(*semaphore));
  }
  return ok();
}

Status Swapchain::create_render_pass() {
  const VkAttachmentDescription attachment{.format = format_,
                                           .samples = VK_SAMPLE_COUNT_1_BIT,
                                           .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                           .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                           .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                           .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                           .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                           .finalLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR};
  const VkAttachmentReference colour{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  const VkSubpassDescription subpass{.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                     .colorAttachmentCount = 1,
                                     .pColorAttachments = &colour};
  const VkSubpassDependency dependencies[] = {
      // The acquire semaphore is waited at colour output: the clear must wait for it too.
      {.srcSubpass = VK_SUBPASS_EXTERNAL,
       .dstSubpass = 0,
       .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
       .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
       .srcAccessMask = 0,
       .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT},
      // record_capture() copies the image after the pass.
      {.srcSubpass = 0,
       .dstSubpass = VK_SUBPASS_EXTERNAL,
       .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
       .dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
       .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
       .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT},
  };
  const VkRenderPassCreateInfo info{.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                    .attachmentCount = 1,
                                    .pAttachments = &attachment,
                                    .subpassCount = 1,
                                    .pSubpasses = &subpass,
                                    .dependencyCount = 2,
                                    .pDependencies = dependencies};
  VkRenderPass pass = VK_NULL_HANDLE;
  if (auto s = vk_status(vkCreateRenderPass(context_->device(), &info, nullptr, &pass),
                         "creating the render pass");
      !s) {
    return s;
  }
  render_pass_ = RenderPass(*context_, pass, "swapchain pass");
  return ok();
}

Result<AcquiredImage> Swapchain::acquire(VkSemaphore signal) {
  std::uint32_t index = 0;
  const VkResult result = vkAcquireNextImageKHR(context_->device(), swapchain_.get(),
                                                kAcquireTimeoutNs, signal, VK_NULL_HANDLE, &index);
  switch (result) {
    case VK_SUCCESS: return AcquiredImage{SwapchainState::kReady, index};
    case VK_SUBOPTIMAL_KHR: return AcquiredImage{SwapchainState::kSuboptimal, index};
    case VK_ERROR_OUT_OF_DATE_KHR: return AcquiredImage{SwapchainState::kOutOfDate, 0};
    case VK_TIMEOUT:
    case VK_NOT_READY:
      return fail(ErrorCode::kDevice, "the window system gave no image to draw into for 10 s");
    default: return std::unexpected(vk_status(result, "acquiring a swapchain image").error());
  }
}

Result<SwapchainState> Swapchain::present(std::uint32_t image_index) {
  const VkSemaphore wait = render_finished_[image_index].get();
  const VkSwapchainKHR swapchain = swapchain_.get();
  const VkPresentInfoKHR info{.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                              .waitSemaphoreCount = 1,
                              .pWaitSemaphores = &wait,
                              .swapchainCount = 1,
                              .pSwapchains = &swapchain,
                              .pImageIndices = &image_index};
  const VkResult result = vkQueuePresentKHR(context_->queue(), &info);
  switch (result) {
    case VK_SUCCESS: return SwapchainState::kReady;
    case VK_SUBOPTIMAL_KHR: return SwapchainState::kSuboptimal;
    case VK_ERROR_OUT_OF_DATE_KHR: return SwapchainState::kOutOfDate;
    default: return std::unexpected(vk_status(result, "presenting a frame").error());
  }
}

void Swapchain::record_begin_render_pass(VkCommandBuffer commands, std::uint32_t image_index,
                                         const VkClearColorValue& clear) const {
  const VkClearValue clear_value{.color = clear};
  const VkRenderPassBeginInfo info{.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                   .renderPass = render_pass_.get(),
                                   .framebuffer = framebuffers_[image_index].get(),
                                   .renderArea = {{0, 0}, extent_},
                                   .clearValueCount = 1,
                                   .pClearValues = &clear_value};
  vkCmdBeginRenderPass(commands, &info, VK_SUBPASS_CONTENTS_INLINE);
}

Result<Buffer> Swapchain::create_capture_buffer() const {
  if (!can_capture_ || !(is_bgra8(format_) || is_rgba8(format_))) {
    return fail(ErrorCode::kUnsupported,
                "this window surface does not allow reading back its images");
  }
  return Buffer::create(*context_, {.name = "swapchain capture",
                                    .size = VkDeviceSize{extent_.width} * extent_.height * 4,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                    .memory = MemoryUse::kReadback});
}

void Swapchain::record_capture(VkCommandBuffer commands, std::uint32_t image_index,
                               const Buffer& capture) const {
  MIRAGE_CHECK(capture.size() >= VkDeviceSize{extent_.width} * extent_.height * 4);
  const VkImage image = images_[image_index];
  // The render pass's outgoing dependency already made its writes visible to transfers.
  record_transition(commands, image,
                    {.from = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                     .to = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                     .src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                     .dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                     .dst_access = VK_ACCESS_TRANSFER_READ_BIT});
  const VkBufferImageCopy region{.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                 .imageExtent = {extent_.width, extent_.height, 1}};
  vkCmdCopyImageToBuffer(commands, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, capture.handle(), 1,
                         &region);
  record_transition(commands, image,
                    {.from = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                     .to = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                     .src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT,
                     .dst_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT});
  const VkBufferMemoryBarrier to_host{.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
                                      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                      .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
                                      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .buffer = capture.handle(),
                                      .size = VK_WHOLE_SIZE};
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                       nullptr, 1, &to_host, 0, nullptr);
}

Image Swapchain::read_capture(const Buffer& capture) const {
  const int width = static_cast<int>(extent_.width);
  const int height = static_cast<int>(extent_.height);
  Image image(width, height, PixelFormat::kRgba8);
  const auto* source = reinterpret_cast<const std::uint8_t*>(capture.mapped().data());
  std::uint8_t* target = image.bytes().data();
  const bool swap_red_blue = is_bgra8(format_);
  const std::size_t pixels = static_cast<std::size_t>(width) * height;
  for (std::size_t i = 0; i < pixels; ++i) {
    const std::uint8_t* in = source + i * 4;
    std::uint8_t* out = target + i * 4;
    out[0] = swap_red_blue ? in[2] : in[0];
    out[1] = in[1];
    out[2] = swap_red_blue ? in[0] : in[2];
    out[3] = 255;  // the surface is opaque whatever alpha the image holds
  }
  return image;
}

}  // namespace mirage::render
