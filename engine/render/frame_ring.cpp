#include "engine/render/frame_ring.h"

#include "engine/core/check.h"
#include "engine/render/vk_check.h"

namespace mirage::render {

Result<FrameRing> FrameRing::create(Context& context) {
  FrameRing ring;
  ring.context_ = &context;
  for (std::uint32_t i = 0; i < kFramesInFlight; ++i) {
    Slot& slot = ring.slots_[i];
    const VkCommandPoolCreateInfo pool_info{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                            .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                            .queueFamilyIndex = context.queue_family()};
    VkCommandPool pool = VK_NULL_HANDLE;
    if (auto s = vk_status(vkCreateCommandPool(context.device(), &pool_info, nullptr, &pool),
                           "creating a frame command pool");
        !s) {
      return std::unexpected(s.error());
    }
    slot.pool = CommandPool(context, pool, format("frame {} commands", i));
    const VkCommandBufferAllocateInfo allocate{
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1};
    if (auto s = vk_status(vkAllocateCommandBuffers(context.device(), &allocate, &slot.commands),
                           "allocating a frame command buffer");
        !s) {
      return std::unexpected(s.error());
    }
    context.name(slot.commands, format("frame {} commands", i));
    auto semaphore = create_semaphore(context, format("frame {} image acquired", i));
    if (!semaphore) return std::unexpected(semaphore.error());
    slot.image_acquired = std::move(*semaphore);
  }
  return ring;
}

Result<FrameRing::Frame> FrameRing::begin() {
  const std::uint64_t number = next_frame_;
  Slot& slot = slots_[number % kFramesInFlight];
  if (auto s = context_->wait(slot.done); !s) return std::unexpected(s.error());
  ++next_frame_;
  // Resetting the pool is cheaper than resetting buffers one by one, and the slot has one.
  VK_CHECK(vkResetCommandPool(context_->device(), slot.pool.get(), 0));
  const VkCommandBufferBeginInfo begin{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
  VK_CHECK(vkBeginCommandBuffer(slot.commands, &begin));
  return Frame{slot.commands, slot.image_acquired.get(), number};
}

Result<std::uint64_t> FrameRing::submit(const Frame& frame, bool wait_for_image,
                                        VkSemaphore signal) {
  Slot& slot = slots_[frame.number % kFramesInFlight];
  MIRAGE_CHECK(slot.commands == frame.commands);
  VK_CHECK(vkEndCommandBuffer(frame.commands));
  auto value = context_->submit({.commands = frame.commands,
                                 .wait = wait_for_image ? frame.image_acquired : VK_NULL_HANDLE,
                                 .wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                                 .signal = signal});
  if (value) slot.done = *value;
  return value;
}

}  // namespace mirage::render
