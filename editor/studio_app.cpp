#include "editor/studio_app.h"

#include <atomic>
#include <csignal>
#include <cstdio>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>

#include "editor/panels.h"
#include "editor/screenshot.h"
#include "editor/studio_script.h"
#include "engine/core/format.h"
#include "engine/core/log.h"
#include "engine/workspace/demo_project.h"

namespace mirage::studio {
namespace {

constexpr int kInitialWidth = 1280;
constexpr int kInitialHeight = 720;
constexpr VkClearColorValue kBackground{{0.08f, 0.09f, 0.11f, 1.0f}};
// How many frames a closing window may fail to draw (out of date, minimised) before the
// screenshot is given up.
constexpr int kCloseAttempts = 10;
constexpr const char* kSampleClip = "data/Megamind.avi";
// The idle loop: how long GLFW may sleep waiting for input before the engine is polled again,
// how often the training numbers are redrawn when nothing else changes, and how many frames
// are drawn after input so that ImGui's hover and focus settle.
constexpr double kIdlePoll = 0.004;
constexpr double kStatsInterval = 0.25;
constexpr int kSettleFrames = 3;

std::atomic<bool> g_close_requested{false};
extern "C" void on_close_signal(int) { g_close_requested.store(true); }

bool operator==(VkExtent2D a, VkExtent2D b) {
  return a.width == b.width && a.height == b.height;
}

}  // namespace

Result<std::unique_ptr<StudioApp>> StudioApp::create(const StudioOptions& options) {
  // A bad script is one line before anything opens or starts.
  std::vector<ScriptStep> script;
  if (options.script) {
    auto steps = load_script(*options.script);
    if (!steps) return std::unexpected(steps.error());
    script = std::move(*steps);
  }
  auto window = Window::open("Mirage Studio", kInitialWidth, kInitialHeight);
  if (!window) return std::unexpected(window.error());
  auto app = std::make_unique<StudioApp>(Passkey{}, std::move(*window), options);
  app->script_ = std::move(script);

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
  app->swapped_texture_ = UiTexture(*app->context_, "viewport swapped");
  app->original_texture_ = UiTexture(*app->context_, "viewport original");
  app->mask_texture_ = UiTexture(*app->context_, "viewport mask overlay");
  app->face_source_texture_ = UiTexture(*app->context_, "face source frame");
  app->atlas_ = ThumbnailAtlas(*app->context_, 96, 16);
  app->preview_texture_ = UiTexture(*app->context_, "training preview");
  app->open_project();
  return app;
}

void StudioApp::status(std::string line, bool echo) {
  if (echo) log::info("{}", line);
  status_ = line;
  log_.push_back(std::move(line));
  if (log_.size() > 500) log_.pop_front();
}

void StudioApp::open_project() {
  std::filesystem::path folder;
  std::error_code ec;
  if (options_.project) {
    folder = *options_.project;
  } else if (std::filesystem::exists(std::filesystem::path("demo") / "faces" / "b" / "faceset.json", ec)) {
    folder = "demo";
  } else if (std::filesystem::exists(kSampleClip, ec)) {
    // First run: the demo project is made from the sample clip in the background; the window
    // stays live and shows the progress, and the project opens once it is ready.
    status(format("making the demo project from {} ...", kSampleClip));
    demo_ = std::make_unique<DemoMaker>();
    DemoMaker* maker = demo_.get();
    // Closing the window stops the worker, which cancels the extraction (nothing half-made stays).
    maker->thread = Worker("demo project", [maker](std::stop_token stop) {
      const Status s = workspace::make_two_person_project(
          kSampleClip, "demo",
          [maker](const workspace::DemoProgress& p) {
            const std::lock_guard lock(maker->mutex);
            maker->progress = p;
          },
          [stop] { return stop.stop_requested(); });
      const std::lock_guard lock(maker->mutex);
      maker->result = s;
      maker->done = true;
    });
    return;
  } else {
    status("no project open: run with --project DIR (tools/setup puts the sample clip in data/)");
    return;
  }
  workspace::WorkspaceOptions workspace_options;
  workspace_options.distributed = options_.distributed;
  if (options_.debug_stall_training) workspace_options.debug_stall_step = 0;
  auto opened = workspace::Workspace::open(folder, workspace_options);
  if (!opened) {
    status(format("cannot open {}: {}", folder.string(), opened.error().message));
    return;
  }
  adopt_workspace(std::move(*opened), folder);
}

void StudioApp::adopt_workspace(std::unique_ptr<workspace::Workspace> ws, const std::filesystem::path& folder) {
  std::error_code ec;
  workspace_.reset();  // the previous project's training is saved first
  atlas_.forget_all();
  face_view_ = FaceBrowserView{.open = face_view_.open};
  workspace_ = std::move(ws);
  for (std::string& m : workspace_->take_messages()) status(std::move(m), false);
  record_form_.path = (workspace_->project().renders_dir() / "studio_take.mp4").string();
  if (!options_.no_train) {
    const auto& project = workspace_->project();
    if (std::filesystem::exists(project.faces_a() / "faceset.json", ec) &&
        std::filesystem::exists(project.faces_b() / "faceset.json", ec)) {
      if (auto s = workspace_->start_training(); !s) status(format("training did not start: {}", s.error().message));
    }
  }
  if (workspace_->player()) workspace_->player()->play();
  for (std::string& m : workspace_->take_messages()) status(std::move(m), false);
  status(format("opened {}", folder.string()));
}

bool StudioApp::poll_engine() {
  bool changed = false;
  if (demo_ && demo_->done) {
    demo_->thread.join();
    const Status result = demo_->result;
    demo_.reset();
    changed = true;
    if (result) {
      options_.project = "demo";
      open_project();
    } else {
      status(format("the demo project could not be made: {}", result.error().message));
    }
  }
  if (!workspace_) return changed;
  workspace_->tick();
  for (std::string& m : workspace_->take_messages()) {
    status(std::move(m), false);
    changed = true;
  }
  if (workspace_->player()) {
    if (auto f = workspace_->player()->take_frame()) {
      last_frame_swapped_ = f->swapped_faces;
      frame_ = std::move(f);  // a newer one replaces one not drawn yet
      ++frame_serial_;
      changed = true;
    }
  }
  if (auto preview = workspace_->take_preview()) {
    pending_preview_ = std::move(preview->rgba);
    changed = true;
  }
  if (face_view_.open) {
    poll_faces();
    changed = true;  // the browser's jobs and thumbnails move on their own
  }
  return changed;
}

void StudioApp::upload_textures(VkCommandBuffer commands, std::size_t slot) {
  if (frame_) {
    const workspace::PlayerFrame* f = frame_.get();
    const std::uint64_t serial = frame_serial_;
    const bool split = view_.mode == ViewMode::kSplit;
    Status s = ok();
    if ((view_.mode == ViewMode::kSwapped || split || f->mask.width() == 0) && swapped_of_ != serial) {
      s = swapped_texture_.upload(commands, slot, f->swapped.view());
      swapped_of_ = serial;
    }
    if (s && (view_.mode == ViewMode::kOriginal || split) && original_of_ != serial) {
      s = original_texture_.upload(commands, slot, f->original.view());
      original_of_ = serial;
    }
    if (s && view_.mode == ViewMode::kMask && f->mask.width() > 0 && mask_of_ != serial) {
      s = mask_texture_.upload(commands, slot, f->mask.view());
      mask_of_ = serial;
    }
    if (!s) status(format("viewport: {}", s.error().message));
  }
  if (auto s = atlas_.upload(commands, slot); !s) status(format("thumbnails: {}", s.error().message));
  if (pending_source_) {
    if (pending_source_->rgba.width() > 0) {
      if (auto s = face_source_texture_.upload(commands, slot, pending_source_->rgba.view()); !s) {
        status(format("source frame: {}", s.error().message));
      }
      face_source_of_ = std::filesystem::path(pending_source_->key).filename().string();
    } else {
      status(pending_source_->error);
    }
    pending_source_.reset();
  }
  if (pending_preview_) {
    if (auto s = preview_texture_.upload(commands, slot, pending_preview_->view()); !s) {
      status(format("preview: {}", s.error().message));
    }
    pending_preview_.reset();
  }
}

void StudioApp::draw_ui() {
  if (ImGui::BeginMainMenuBar()) {
    if (ImGui::BeginMenu("Project")) {
      if (ImGui::MenuItem("New project...")) new_project_.open = true;
      if (ImGui::MenuItem("Faces", nullptr, face_view_.open, workspace_ != nullptr)) face_view_.open = !face_view_.open;
      ImGui::EndMenu();
    }
    if (workspace_) ImGui::TextDisabled("  %s", workspace_->project().folder().string().c_str());
    ImGui::EndMainMenuBar();
  }
  const ImGuiViewport* screen = ImGui::GetMainViewport();
  const float status_height = ImGui::GetFrameHeight() + 8;
  const float right = 420;
  const float top = ImGui::GetFrameHeight();  // below the menu bar (WorkPos knows it only from the next frame)
  const ImVec2 size(screen->Size.x, screen->Size.y - status_height - top);
  workspace::Workspace* ws = workspace_.get();

  ImGui::SetNextWindowPos(ImVec2(0, top), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(size.x - right, size.y * 0.72f), ImGuiCond_FirstUseEver);
  ViewportInput input{.swapped = &swapped_texture_, .original = &original_texture_, .mask = &mask_texture_,
                      .has_player = ws != nullptr && ws->player() != nullptr, .ui_ms = frame_ms_};
  if (input.has_player) {
    input.stats = ws->player()->stats();
    input.settings = ws->player_settings();
  }
  ViewportActions transport = draw_viewport(input, view_);
  if (ws != nullptr) {
    CompositeOptions composite = ws->composite();
    const bool nudged = apply_shortcuts(composite, transport, view_);
    ImGui::SetNextWindowPos(ImVec2(size.x - right, top + size.y * 0.50f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(right, size.y * 0.50f), ImGuiCond_FirstUseEver);
    if (auto changed = draw_blend_panel(composite)) {
      composite = *changed;
      if (auto s = ws->set_composite(composite); !s) status(s.error().message);
    } else if (nudged) {
      if (auto s = ws->set_composite(composite); !s) status(s.error().message);
    }
  }
  if (input.has_player) {
    workspace::Player& player = *ws->player();
    player.set_mask_overlay(view_.mode == ViewMode::kMask);
    if (transport.toggle_play) (input.stats.playing ? transport.pause : transport.play) = true;
    if (transport.play) player.play();
    if (transport.pause) player.pause();
    if (transport.step) player.step();
    if (transport.step_back) {
      player.pause();
      player.seek(std::max(0.0, input.stats.position_s - 1.0 / std::max(1.0, input.stats.source_fps)));
    }
    if (transport.seek) player.seek(*transport.seek);
    if (transport.settings) {
      if (auto s = ws->set_player_settings(*transport.settings); !s) status(s.error().message);
    }
  }

  ImGui::SetNextWindowPos(ImVec2(size.x - right, top), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(right, size.y * 0.50f), ImGuiCond_FirstUseEver);
  if (ws != nullptr) {
    const workspace::TrainingStatus training = ws->training();
    const TrainingActions t =
        draw_training_panel(training, ws->history(), preview_texture_, 10000, ws->project_settings().train.loss_weights,
                            ws->starting_learning_rate());
    if (t.start) {
      if (auto s = ws->start_training(); !s) status(format("training did not start: {}", s.error().message));
    }
    if (t.pause) ws->pause_training();
    if (t.resume) ws->resume_training();
    if (t.save) ws->save_training();
    if (t.stop) ws->stop_training();
    if (t.learning_rate) ws->set_learning_rate(*t.learning_rate);
    if (t.loss_weights) ws->set_loss_weights(*t.loss_weights);
    if (t.gan) ws->set_gan(*t.gan);
    if (t.warp) ws->set_warp(*t.warp);

    ImGui::SetNextWindowPos(ImVec2(0, top + size.y * 0.72f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2((size.x - right) * 0.5f, size.y * 0.28f), ImGuiCond_FirstUseEver);
    const RecorderActions r =
        draw_recorder_panel(ws->recording(), record_form_, ws->player() ? ws->player()->stats().duration_s : 0.0);
    if (r.record) {
      if (auto s = ws->start_recording(record_form_.path, record_form_.start_s, record_form_.end_s); !s) {
        status(format("not recording: {}", s.error().message));
      }
    }
    if (r.cancel) ws->cancel_recording();
    if (r.stop) ws->stop_recording();
  }
  ImGui::SetNextWindowPos(ImVec2((size.x - right) * 0.5f, top + size.y * 0.72f), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2((size.x - right) * 0.5f, size.y * 0.28f), ImGuiCond_FirstUseEver);
  draw_log_window(log_, log_open_, about_open_);
  draw_faces();
  draw_new_project();
  draw_help_overlay(view_);
  draw_status_bar(status_, status_height);
}

StudioApp::~StudioApp() {
  workspace_.reset();  // stops the player and recorder, saves the training and the settings
  if (context_) vkDeviceWaitIdle(context_->device());
  swapped_texture_ = UiTexture();
  original_texture_ = UiTexture();
  preview_texture_ = UiTexture();
  mask_texture_ = UiTexture();
  face_source_texture_ = UiTexture();
  atlas_ = ThumbnailAtlas();
  ui_.reset();
}

Status StudioApp::run() {
  const auto start = std::chrono::steady_clock::now();
  // Ctrl-C or a polite kill closes the window as its close button does: training is saved.
  std::signal(SIGINT, on_close_signal);
  std::signal(SIGTERM, on_close_signal);
  int drawn = 0;
  // Wall time between drawn frames (a screenshot's read-back not counted): what a user feels.
  std::vector<double> intervals_ms;
  auto last_drawn = start;
  int failed_while_closing = 0;
  const bool scripted = options_.frames || !script_.empty();
  auto last_draw = std::chrono::steady_clock::now();
  int settle_frames = 0;
  while (true) {
    // Without a script or --frames the studio draws only when something changed: input (and a
    // few frames after it, for ImGui's hover and focus), a new player frame (at the video's
    // rate), a new preview, or every kStatsInterval for the training numbers; in between it
    // sleeps in GLFW's wait, never spinning.
    if (scripted) {
      glfwPollEvents();
    } else {
      glfwWaitEventsTimeout(kIdlePoll);
    }
    if (g_close_requested.load()) glfwSetWindowShouldClose(window_.handle(), GLFW_TRUE);
    const bool closing = window_.should_close();
    if (closing && !options_.screenshot) break;
    bool changed = poll_engine();
    if (Window::take_input()) settle_frames = kSettleFrames;
    changed = changed || settle_frames > 0 ||
              std::chrono::steady_clock::now() - last_draw > std::chrono::duration<double>(kStatsInterval);
    if (!scripted && !changed && !closing) continue;
    settle_frames = std::max(0, settle_frames - 1);
    last_draw = std::chrono::steady_clock::now();
    auto script = advance_script();
    if (!script) return std::unexpected(script.error());
    if (script->quit) break;
    const bool last = closing || (options_.frames && drawn + 1 >= *options_.frames);
    const bool capture = script->capture || (last && options_.screenshot.has_value());
    const auto drew = draw_frame(capture);
    if (!drew) return std::unexpected(drew.error());
    if (*drew) {
      ++drawn;
      const auto now = std::chrono::steady_clock::now();
      if (drawn > 1 && !capture) intervals_ms.push_back(std::chrono::duration<double, std::milli>(now - last_drawn).count());
      last_drawn = now;
      if (script->capture) {
        if (auto s = context_->wait(last_submitted_); !s) return s;
        if (auto s = save_screenshot(script->screenshot); !s) return s;
      }
      if (last) break;
    } else if (closing && ++failed_while_closing >= kCloseAttempts) {
      return fail(ErrorCode::kUnsupported, "the window closed before a frame could be saved to {}",
                  options_.screenshot->string());
    }
  }
  if (auto s = context_->wait(last_submitted_); !s) return s;

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("mirage-studio: %d frames in %.2f s (%.1f frames/s, %.1f ms each to draw) on %s\n", drawn, seconds,
              seconds > 0 ? drawn / seconds : 0.0, frame_ms_, context_->device_info().name.c_str());
  if (intervals_ms.size() >= 10) {
    std::ranges::sort(intervals_ms);
    const auto at = [&](double q) { return intervals_ms[static_cast<std::size_t>(q * static_cast<double>(intervals_ms.size() - 1))]; };
    std::printf("mirage-studio: frame to frame: median %.1f ms, 95th percentile %.1f ms, worst %.1f ms\n", at(0.5), at(0.95),
                intervals_ms.back());
  }
  if (workspace_ && workspace_->player()) {
    const workspace::PlayerStats p = workspace_->player()->stats();
    std::printf("mirage-studio: player showed %lld frames, dropped %lld\n", static_cast<long long>(p.shown),
                static_cast<long long>(p.dropped));
  }
  if (context_->validation_error_count() > 0) {
    log::warn("vulkan validation reported {} errors", context_->validation_error_count());
  }
  return options_.screenshot ? save_screenshot(*options_.screenshot) : ok();
}

Result<StudioApp::ScriptFrame> StudioApp::advance_script() {
  ScriptFrame frame;
  if (key_down_) {
    // A scripted key is held for one drawn frame, then released, as a quick press would be.
    ImGui_ImplGlfw_KeyCallback(window_.handle(), *key_down_, 0, GLFW_RELEASE, 0);
    key_down_.reset();
  }
  while (script_index_ < script_.size()) {
    const ScriptStep& step = script_[script_index_];
    const auto next = [&] {
      ++script_index_;
      waiting_ = false;
    };
    if (step.command == "frames") {
      if (!waiting_) {
        waiting_ = true;
        frames_left_ = static_cast<int>(step.number);
      }
      if (frames_left_-- > 0) return frame;
      next();
      continue;
    }
    if (step.command == "until") {
      if (!waiting_) {
        waiting_ = true;
        deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(step.number * 1000));
      }
      bool met = false;
      if (workspace_) {
        if (step.word == "swapped") met = last_frame_swapped_;
        if (step.word == "recorded") met = !workspace_->recording().running && !workspace_->recording().result.empty();
        if (step.word == "trained") met = workspace_->training().stats.step > 0;
        if (step.word == "training") met = workspace_->training().running;
        if (step.word == "masked") met = mask_texture_.ready() && mask_of_ == frame_serial_ && frame_serial_ > 0;
        if (step.word == "source") met = face_source_texture_.ready() && !face_view_.hovered.empty() && face_source_of_ == face_view_.hovered;
        if (step.word == "thumbnails") {
          met = face_view_.open && face_view_.visible_faces > 0 && face_view_.drawn_faces == face_view_.visible_faces;
        }
      }
      if (met) {
        next();
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline_) {
        return fail(ErrorCode::kCancelled, "script:{}: still waiting for '{}' after {} s", step.line, step.word,
                    step.number);
      }
      return frame;
    }
    if (step.command == "screenshot") {
      frame.capture = true;
      frame.screenshot = workspace_ ? workspace_->project().resolve(step.word) : std::filesystem::path(step.word);
      next();
      return frame;
    }
    if (step.command == "quit") {
      frame.quit = true;
      return frame;
    }
    if (step.command == "key") {
      // Through GLFW's key callback, as a real key press arrives: the shortcuts see it like any other.
      ImGui_ImplGlfw_KeyCallback(window_.handle(), static_cast<int>(step.number), 0, GLFW_PRESS, 0);
      key_down_ = static_cast<int>(step.number);
      next();
      return frame;
    }
    run_script_action(step);
    next();
  }
  return frame;
}

void StudioApp::run_script_action(const ScriptStep& step) {
  workspace::Workspace* ws = workspace_.get();
  if (step.command == "view") {
    view_.mode = step.word == "original" ? ViewMode::kOriginal
                 : step.word == "split"  ? ViewMode::kSplit
                 : step.word == "mask"   ? ViewMode::kMask
                                         : ViewMode::kSwapped;
    return;
  }
  if (ws == nullptr) {
    status(format("script:{}: no project open", step.line));
    return;
  }
  workspace::Player* player = ws->player();
  const auto report = [&](const Status& s) {
    if (!s) status(format("script:{}: {}", step.line, s.error().message));
  };
  if (step.command == "play" && player) player->play();
  if (step.command == "pause" && player) player->pause();
  if (step.command == "step" && player) player->step();
  if (step.command == "seek" && player) player->seek(step.number);
  if (step.command == "train") {
    if (step.word == "start") report(ws->start_training());
    if (step.word == "pause") ws->pause_training();
    if (step.word == "resume") ws->resume_training();
    if (step.word == "save") ws->save_training();
    if (step.word == "stop") ws->stop_training();
  }
  if (step.command == "set") {
    CompositeOptions o = ws->composite();
    if (step.word == "colour") o.colour = *parse_colour_transfer(step.value);
    else if (step.word == "blend") o.blend = *parse_blend_mode(step.value);
    else o.*find_composite_param(step.word)->field = step.number;
    report(ws->set_composite(o));
  }
  if (step.command == "record") report(ws->start_recording(ws->project().resolve(step.word)));
  if (step.command == "faces") {
    if (auto shown = ws->faces().view_now(step.word); !shown) status(format("script:{}: {}", step.line, shown.error().message));
    face_view_.open = true;
    face_view_.set = step.word;
    face_view_.rejected = false;
    face_view_.selected.clear();
  }
  if (step.command == "select" || step.command == "reject" || step.command == "restore") {
    auto shown = ws->faces().view(face_view_.rejected ? face_view_.set + "/rejected" : face_view_.set);
    if (!shown) {
      status(format("script:{}: {}", step.line, shown.error().message));
      return;
    }
    if (step.command == "select") {
      face_view_.selected.clear();
      const auto& faces = (*shown)->faces;
      for (std::size_t i = 0; i < faces.size() && i < static_cast<std::size_t>(step.number); ++i) {
        face_view_.selected.insert(faces[i].file);
      }
      return;
    }
    const std::vector<std::string> files(face_view_.selected.begin(), face_view_.selected.end());
    report(step.command == "reject" ? ws->faces().reject(face_view_.set, files) : ws->faces().restore(face_view_.set, files));
    face_view_.selected.clear();
  }
  if (step.command == "undo") report(ws->faces().undo());
  if (step.command == "scroll") face_view_.scroll_per_frame = static_cast<float>(step.number);
  if (step.command == "hover") face_view_.hover_face = static_cast<int>(step.number);
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

  const auto draw_started = std::chrono::steady_clock::now();

  if (demo_) {
    const std::lock_guard lock(demo_->mutex);
    const workspace::DemoProgress& p = demo_->progress;
    status_ = p.expected > 0 ? format("making the demo project: {} {}/{} frames, {} faces", p.stage, p.done, p.expected, p.faces)
                             : format("making the demo project: {}", p.stage.empty() ? "starting" : p.stage);
  }
  upload_textures(frame->commands, frame->number % render::FrameRing::kFramesInFlight);
  ui_->begin_frame();
  draw_ui();
  if (about_open_) draw_about_panel({.device = context_->device_info(),
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
  // The UI's own cost per drawn frame (CPU: ImGui, uploads, recording, submit and present).
  const float ms = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - draw_started).count();
  frame_ms_ = frame_ms_ > 0 ? 0.9f * frame_ms_ + 0.1f * ms : ms;
  return true;
}

Status StudioApp::save_screenshot(const std::filesystem::path& path) {
  if (!capture_) return fail(ErrorCode::kInternal, "no frame was captured for {}", path.string());
  const Image pixels = swapchain_.read_capture(capture_);
  if (auto s = write_png(pixels.view(), path); !s) return s;
  std::printf("mirage-studio: saved a %dx%d screenshot to %s\n", pixels.width(), pixels.height(), path.c_str());
  return ok();
}

}  // namespace mirage::studio
