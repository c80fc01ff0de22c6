// Frames in flight: the CPU records frame N+1 while the GPU still draws frame N, and never runs
// more than kFramesInFlight frames ahead.
//
//   auto frames = FrameRing::create(context);
//   while (running) {
//     auto frame = frames->begin();            // waits for this slot's previous frame
//     auto acquired = swapchain.acquire(frame->image_acquired);
//     ... record into frame->commands ...
//     frames->submit(*frame, /*wait_for_image=*/true, swapchain.render_finished(index));
//   }
//
// begin() also runs the deferred destructions whose frames have finished. Same threading rules
// as Context; the Context must outlive the ring.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>

#include "engine/core/error.h"
#include "engine/render/context.h"
#include "engine/render/resources.h"

namespace mirage::render {

class FrameRing {
 public:
  static constexpr std::uint32_t kFramesInFlight = 2;

  struct Frame {
    VkCommandBuffer commands = VK_NULL_HANDLE;    // begun, one-time submit
    VkSemaphore image_acquired = VK_NULL_HANDLE;  // binary, unsignalled: for Swapchain::acquire
    std::uint64_t number = 0;                     // 0, 1, 2, ... counting begin() calls
  };

  FrameRing() = default;
  static Result<FrameRing> create(Context& context);

  // Waits (at most 10 s, else kDevice) until the slot's previous frame finished, collects
  // deferred destructions, resets the slot's commands and begins recording.
  Result<Frame> begin();
  // Ends recording and submits: waits on frame.image_acquired at colour output when
  // wait_for_image, signals `signal` (binary, optional). Returns the Context timeline value.
  Result<std::uint64_t> submit(const Frame& frame, bool wait_for_image, VkSemaphore signal);

 private:
  struct Slot {
    CommandPool pool;
    VkCommandBuffer commands = VK_NULL_HANDLE;
    Semaphore image_acquired;
    std::uint64_t done = 0;  // timeline value of its last submission
  };

  Context* context_ = nullptr;
  std::array<Slot, kFramesInFlight> slots_;
  std::uint64_t next_frame_ = 0;
};

}  // namespace mirage::render
