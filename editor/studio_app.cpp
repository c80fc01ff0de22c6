#include "editor/studio_app.h"

#include <cstdio>

#include "editor/panels.h"
#include "editor/screenshot.h"
#include "engine/core/log.h"

namespace mirage::studio {
namespace {

constexpr int kInitialWidth = 1280;
constexpr int kInitialHeight = 720;
constexpr VkClearColorValue kBackground{{0.08f, 0.09f, 0.11f, 1.0f}};
// How many frames a closing window may fail to draw (out of date, minimised) before the
// screenshot is given up.
constexpr int kCloseAttempts = 10;

bool operator==(VkExtent2D a, VkExtent2D b) {
  return a.width == b.width && a.height == b.height;
}

}  // namespace

Result<std::unique_ptr<StudioApp>> StudioApp::create(const StudioOptions& options) {
  auto window = Window::open("Mirage Studio", kInitialWidth, kInitialHeight);
  if (!window) return std::unexpected(window.error());
  auto app = std::make_unique<StudioApp>(Passkey{}, std::move(*window), options);

  render::ContextOptions context_options;
  context_options.app_name = "mirage-studio";
  context_options.instance_extensions = app->window_.required_instance_extensions();
  context_options.create_surface = [&app](VkInstance instance) {
    return app->window_.create_surface(instance);
  };
  auto context = render::Context::create(context_options);
  if (!context) return std::unexpected(context.error());
  app->context_ = std::move(*context);

  app->swapchain_size_ = app->window_.framebuffer_size();
  auto swapchain = render::Swapchain::create(*app->context_, app->swapchain_size_);
  if (!swapchain) return std::unexpected(swapchain.error());
  app->swapchain_ = std::move(*swapchain);
  auto frames = render::FrameRing::create(*app->context_);
  if (!frames) return std::unexpected(frames.error());
  app->frames_ = std::move(*frames);
  auto ui = ImGuiLayer::create(*app->context_, app->swapchain_, app->window_);
  if (!ui) return std::unexpected(ui.error());
  app->ui_ = std::move(*ui);
  return app;
}

StudioApp::~StudioApp() {
  if (context_) vkDeviceWaitIdle(context_->device());
  ui_.reset();
}

Status StudioApp::run() {
  const auto start = std::chrono::steady_clock::now();
  int drawn = 0;
  int failed_while_closing = 0;
  while (true) {
    glfwPollEvents();
    const bool closing = window_.should_close();
    if (closing && !options_.screenshot) break;
    const bool last = closing || (options_.frames && drawn + 1 >= *options_.frames);
    const auto drew = draw_frame(last && options_.screenshot.has_value());
    if (!drew) return std::unexpected(drew.error());
    if (*drew) {
      ++drawn;
      if (last) break;
    } else if (closing && ++failed_while_closing >= kCloseAttempts) {
      return fail(ErrorCode::kUnsupported, "the window closed before a frame could be saved to {}",
                  options_.screenshot->string());
    }
  }
  if (auto s = context_->wait(last_submitted_); !s) return s;

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options_.frames) {
    std::printf("mirage-studio: %d frames in %.2f s (%.1f frames/s) on %s\n", drawn, seconds,
                seconds > 0 ? drawn / seconds : 0.0, context_->device_info().name.c_str());
  }
  if (context_->validation_error_count() > 0) {
    log::warn("vulkan validation reported {} errors", context_->validation_error_count());
  }
  return options_.screenshot ? save_screenshot() : ok();
}

Result<bool> StudioApp::draw_frame(bool capture) {
  const VkExtent2D size = window_.framebuffer_size();
  if (size.width == 0 || size.height == 0) {
    glfwWaitEventsTimeout(0.1);  // minimised: nothing to draw into
    return false;
  }
  if (swapchain_stale_ || !(size == swapchain_size_)) {
    if (auto s = swapchain_.recreate(size); !s) return std::unexpected(s.error());
    ui_->on_swapchain_rebuilt(swapchain_);
    swapchain_size_ = size;
    swapchain_stale_ = false;
  }

  auto frame = frames_.begin();
  if (!frame) return std::unexpected(frame.error());
  const auto acquired = swapchain_.acquire(frame->image_acquired);
  if (!acquired) return std::unexpected(acquired.error());
  if (acquired->state == render::SwapchainState::kOutOfDate) {
    swapchain_stale_ = true;  // the begun command buffer is reset when its slot comes round
    return false;
  }

  const auto now = std::chrono::steady_clock::now();
  if (last_frame_time_) {
    const float ms = std::chrono::duration<float, std::milli>(now - *last_frame_time_).count();
    frame_ms_ = frame_ms_ > 0 ? 0.9f * frame_ms_ + 0.1f * ms : ms;
  }
  last_frame_time_ = now;

  ui_->begin_frame();
  draw_about_panel({.device = context_->device_info(),
                    .validation = context_->validation_enabled(),
                    .frame_ms = frame_ms_,
                    .width = swapchain_.extent().width,
                    .height = swapchain_.extent().height});
  const std::uint32_t index = acquired->image_index;
  swapchain_.record_begin_render_pass(frame->commands, index, kBackground);
  ui_->record(frame->commands);
  vkCmdEndRenderPass(frame->commands);
  if (capture) {
    auto buffer = swapchain_.create_capture_buffer();
    if (!buffer) return std::unexpected(buffer.error());
    capture_ = std::move(*buffer);
    swapchain_.record_capture(frame->commands, index, capture_);
  }

  const auto submitted =
      frames_.submit(*frame, /*wait_for_image=*/true, swapchain_.render_finished(index));
  if (!submitted) return std::unexpected(submitted.error());
  last_submitted_ = *submitted;
  const auto presented = swapchain_.present(index);
  if (!presented) return std::unexpected(presented.error());
  if (*presented != render::SwapchainState::kReady ||
      acquired->state == render::SwapchainState::kSuboptimal) {
    swapchain_stale_ = true;
  }
  return true;
}

Status StudioApp::save_screenshot() {
  if (!capture_)
    return fail(ErrorCode::kInternal, "no frame was captured for {}",
                options_.screenshot->string());
  const Image pixels = swapchain_.read_capture(capture_);
  if (auto s = write_png(pixels.view(), *options_.screenshot); !s) return s;
  std::printf("mirage-studio: saved a %dx%d screenshot to %s\n", pixels.width(), pixels.height(),
              options_.screenshot->c_str());
  return ok();
}

}  // namespace mirage::studio
