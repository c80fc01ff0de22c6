// Mirage Studio's window, GPU objects and frame loop. The engine does the work; the app wires
// the window to render::Context/Swapchain/FrameRing and draws the panels.
//
//   auto app = StudioApp::create(options);   // one-line errors: no display, no Vulkan device
//   if (app) status = (*app)->run();
//
// Main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "editor/imgui_layer.h"
#include "editor/studio_options.h"
#include "editor/window.h"
#include "engine/core/error.h"
#include "engine/render/context.h"
#include "engine/render/frame_ring.h"
#include "engine/render/resources.h"
#include "engine/render/swapchain.h"

namespace mirage::studio {

class StudioApp {
  struct Passkey {};

 public:
  static Result<std::unique_ptr<StudioApp>> create(const StudioOptions& options);
  explicit StudioApp(Passkey, Window window, const StudioOptions& options)
      : options_(options), window_(std::move(window)) {}
  StudioApp(const StudioApp&) = delete;
  StudioApp& operator=(const StudioApp&) = delete;
  // Waits for the GPU, then tears down UI, GPU objects and window in that order.
  ~StudioApp();

  // Draws frames until the window closes or --frames are done, then saves --screenshot.
  Status run();

 private:
  // false when no frame was drawn (minimised window, out-of-date swapchain): try again.
  Result<bool> draw_frame(bool capture);
  Status save_screenshot();

  StudioOptions options_;
  Window window_;  // declared first: destroyed last, after the surface
  std::unique_ptr<render::Context> context_;
  render::Swapchain swapchain_;
  VkExtent2D swapchain_size_{};  // the window size the swapchain was built for
  bool swapchain_stale_ = false;
  render::FrameRing frames_;
  render::Buffer capture_;
  std::unique_ptr<ImGuiLayer> ui_;
  std::uint64_t last_submitted_ = 0;
  float frame_ms_ = 0.0f;
  std::optional<std::chrono::steady_clock::time_point> last_frame_time_;
};

}  // namespace mirage::studio
