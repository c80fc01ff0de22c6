// Mirage Studio's window, GPU objects and frame loop. The engine does the work (the workspace:
// training, the live player, the recorder); the app wires the window to render::Context/
// Swapchain/FrameRing, hands the panels what to show and the workspace what the user asked for.
// Nothing here waits for training, decoding or inference: the workspace's tick() and the
// player's take_frame() return at once.
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
#include <atomic>
#include <mutex>

#include "editor/face_browser.h"
#include "editor/imgui_layer.h"
#include "editor/thumbnail_atlas.h"
#include "editor/studio_options.h"
#include "editor/studio_panels.h"
#include "editor/studio_script.h"
#include "editor/ui_texture.h"
#include "editor/window.h"
#include "engine/core/error.h"
#include "engine/core/worker.h"
#include "engine/render/context.h"
#include "engine/render/frame_ring.h"
#include "engine/render/resources.h"
#include "engine/render/swapchain.h"
#include "engine/workspace/demo_project.h"
#include "engine/workspace/workspace.h"

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
  Status save_screenshot(const std::filesystem::path& path);
  struct ScriptFrame {
    bool capture = false;
    std::filesystem::path screenshot;
    bool quit = false;
  };
  // Runs the script's steps up to the next one that waits; says what this frame must do.
  Result<ScriptFrame> advance_script();
  void run_script_action(const ScriptStep& step);
  void open_project();
  // Replaces the open project (its training saved) with `ws`, as open_project() sets one up.
  void adopt_workspace(std::unique_ptr<workspace::Workspace> ws, const std::filesystem::path& folder);
  void draw_ui();
  // The face browser, the new-project form and what they ask for (studio_faces.cpp).
  void draw_faces();
  void draw_new_project();
  void poll_faces();
  void upload_textures(VkCommandBuffer commands, std::size_t slot);
  // Ticks the workspace and takes what it has for the screen; true when something new came.
  bool poll_engine();
  // A line for the status bar and the log window, also printed on stderr unless it came from the
  // workspace (which prints its own).
  void status(std::string line, bool echo = true);

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
  std::unique_ptr<workspace::Workspace> workspace_;
  UiTexture swapped_texture_;
  UiTexture original_texture_;
  UiTexture mask_texture_;
  UiTexture preview_texture_;
  // The newest player frame, and which of its pictures each viewport texture holds: only what
  // the view shows is uploaded (a frame is ~1.5 MB a picture), the rest when the view changes.
  std::shared_ptr<const workspace::PlayerFrame> frame_;
  std::uint64_t frame_serial_ = 0;  // counts frames taken; 0: none
  std::uint64_t swapped_of_ = 0, original_of_ = 0, mask_of_ = 0;
  std::optional<Image> pending_preview_;
  ViewState view_;
  RecorderForm record_form_;
  std::string status_ = "ready";
  std::deque<std::string> log_;
  bool log_open_ = true;
  struct DemoMaker {
    std::mutex mutex;
    workspace::DemoProgress progress;
    Status result;
    std::atomic<bool> done{false};
    Worker thread;  // last: joined first
  };
  std::unique_ptr<DemoMaker> demo_;
  bool about_open_ = false;
  bool last_frame_swapped_ = false;
  std::vector<ScriptStep> script_;
  std::size_t script_index_ = 0;
  bool waiting_ = false;
  std::optional<int> key_down_;  // a scripted key pressed last frame, released before the next
  int frames_left_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  float frame_ms_ = 0.0f;  // the CPU time of drawing one frame, recent average
  // Faces: the browser's state, its thumbnails on the GPU, the hovered face's source frame.
  FaceBrowserView face_view_;
  ThumbnailAtlas atlas_;
  UiTexture face_source_texture_;
  std::string face_source_of_;           // the face shown in face_source_texture_
  std::optional<workspace::SourceView> pending_source_;
  struct NewProjectForm {
    bool open = false;
    std::string folder = "my-project";
    std::string target;
    std::string b_sources;  // one path per line
  };
  NewProjectForm new_project_;
};

}  // namespace mirage::studio
