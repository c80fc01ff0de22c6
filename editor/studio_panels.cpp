#include "editor/studio_panels.h"

#include "editor/log_slider.h"
#include "editor/panels.h"
#include "engine/core/format.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mirage::studio {
namespace {

std::string clock_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%d:%05.2f", static_cast<int>(seconds) / 60, std::fmod(seconds, 60.0));
  return text;
}

// The texture fitted into `available`, keeping its aspect; zoom > 1 crops nothing, it grows.
ImVec2 fitted(const UiTexture& texture, ImVec2 available, float zoom) {
  if (texture.width() <= 0) return available;
  const float scale = std::min(available.x / texture.width(), available.y / texture.height()) * zoom;
  return ImVec2(texture.width() * scale, texture.height() * scale);
}

// Dear ImGui 1.86 indexes keys by the platform's codes: GLFW's are ASCII for letters, digits,
// space and punctuation, and 290 for F1.
constexpr int kKeyF1 = 290;

struct Shortcut {
  int key;
  const char* keys;
  const char* what;
};

}  // namespace

ViewportActions draw_viewport(const ViewportInput& in, ViewState& view) {
  ViewportActions actions;
  ImGui::Begin("Viewport", nullptr, ImGuiWindowFlags_NoScrollbar);
  const float transport_height = ImGui::GetFrameHeightWithSpacing() * 2.4f;
  ImVec2 area = ImGui::GetContentRegionAvail();
  area.y = std::max(40.0f, area.y - transport_height);
  if (!in.has_player || !in.swapped->ready()) {
    ImGui::Dummy(ImVec2(area.x, area.y * 0.4f));
    ImGui::TextDisabled(in.has_player ? "waiting for the first frame ..." : "no target video to play (see the log)");
    ImGui::Dummy(ImVec2(area.x, area.y * 0.5f));
  } else {
    const ImVec2 size = fitted(*in.swapped, area, view.zoom);
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + std::max(0.0f, (area.x - size.x) / 2));
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    if (view.mode == ViewMode::kOriginal) {
      in.original->draw(size);
    } else if (view.mode == ViewMode::kSwapped) {
      in.swapped->draw(size);
    } else if (view.mode == ViewMode::kMask) {
      (in.mask != nullptr && in.mask->ready() ? in.mask : in.swapped)->draw(size);
    } else {
      // Split wipe: the original left of the line, the swap right of it, one image each.
      in.swapped->draw(size);
      ImDrawList* list = ImGui::GetWindowDrawList();
      list->PushClipRect(origin, ImVec2(origin.x + size.x * view.split, origin.y + size.y), true);
      ImGui::SetCursorScreenPos(origin);
      in.original->draw(size);
      list->PopClipRect();
      const float x = origin.x + size.x * view.split;
      list->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + size.y), IM_COL32(255, 210, 80, 255), 2.0f);
    }
    if (ImGui::IsItemHovered() && ImGui::GetIO().MouseWheel != 0) {
      view.zoom = std::clamp(view.zoom * (ImGui::GetIO().MouseWheel > 0 ? 1.1f : 1 / 1.1f), 0.25f, 4.0f);
    }
  }

  // Transport.
  const workspace::PlayerStats& s = in.stats;
  if (ImGui::Button(s.playing ? "Pause" : "Play")) (s.playing ? actions.pause : actions.play) = true;
  ImGui::SameLine();
  if (ImGui::Button("Step")) actions.step = true;
  ImGui::SameLine();
  float position = static_cast<float>(s.position_s);
  const float duration = static_cast<float>(std::max(s.duration_s, s.position_s));
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 420));
  if (ImGui::SliderFloat("##seek", &position, 0.0f, std::max(duration, 0.01f), clock_text(position).c_str())) {
    actions.seek = position;
  }
  ImGui::SameLine();
  workspace::PlayerSettings settings = in.settings;
  bool changed = ImGui::Checkbox("Loop", &settings.loop);
  ImGui::SameLine();
  bool real_time = settings.mode == workspace::PlayMode::kRealTime;
  if (ImGui::Checkbox("Real time", &real_time)) {
    settings.mode = real_time ? workspace::PlayMode::kRealTime : workspace::PlayMode::kEveryFrame;
    changed = true;
  }
  ImGui::SameLine();
  int to = settings.to == workspace::SwapTo::kA ? 0 : settings.to == workspace::SwapTo::kB ? 1 : 2;
  ImGui::SetNextItemWidth(110);
  if (ImGui::Combo("##to", &to, "faces -> A\0faces -> B\0A <-> B\0")) {
    settings.to = to == 0 ? workspace::SwapTo::kA : to == 1 ? workspace::SwapTo::kB : workspace::SwapTo::kBoth;
    changed = true;
  }
  if (changed) actions.settings = settings;

  int mode = static_cast<int>(view.mode);
  ImGui::SetNextItemWidth(120);
  if (ImGui::Combo("View", &mode, "swapped\0original\0split wipe\0mask overlay\0")) view.mode = static_cast<ViewMode>(mode);
  if (view.mode == ViewMode::kSplit) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    ImGui::SliderFloat("##split", &view.split, 0.0f, 1.0f, "wipe %.2f");
  }
  ImGui::SameLine();
  ImGui::Text("%s / %s   %.1f frames/s of %.2f   dropped %lld   model step %lld", clock_text(s.position_s).c_str(),
              clock_text(s.duration_s).c_str(), s.fps, s.source_fps, static_cast<long long>(s.dropped),
              static_cast<long long>(s.model_step));
  ImGui::TextDisabled("ms per frame: decode %.1f  track %.1f  infer %.1f  composite %.1f  ui %.1f", s.decode_ms,
                      s.track_ms, s.infer_ms, s.composite_ms, in.ui_ms);
  ImGui::End();
  return actions;
}

TrainingActions draw_training_panel(const workspace::TrainingStatus& t,
                                    const std::vector<workspace::TrainingPoint>& history, const UiTexture& preview,
                                    std::int64_t step_target, const model::LossWeights& weights,
                                    double starting_learning_rate) {
  TrainingActions actions;
  const train::TrainerStats& s = t.stats;
  ImGui::Begin("Training");
  if (t.connecting) {
    ImGui::TextDisabled("waiting for the other %d ranks of the group...", s.world_size - 1);
  } else if (t.starting) {
    ImGui::TextDisabled("loading the faces and the model...");
  } else if (t.stopping) {
    ImGui::TextDisabled("stopping: the step ends, then the checkpoint is saved...");
  } else if (!t.running) {
    if (ImGui::Button("Start training")) actions.start = true;
  } else {
    if (ImGui::Button(s.paused ? "Resume" : "Pause")) (s.paused ? actions.resume : actions.pause) = true;
    ImGui::SameLine();
    if (ImGui::Button("Save")) actions.save = true;
    ImGui::SameLine();
    if (ImGui::Button("Stop")) actions.stop = true;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%s", s.device.c_str());
  ImGui::Text("step %lld (saved %lld)   %.1f steps/s   %.0f faces/s   data wait %.0f %%",
              static_cast<long long>(s.step), static_cast<long long>(s.saved_step), t.steps_per_second,
              s.samples_per_second, 100 * s.data_wait_share);
  if (s.world_size > 1 && !t.connecting) {
    // Every rank's own pace: the group steps at the slowest one's.
    std::string speeds;
    for (std::size_t r = 0; r < s.rank_steps_per_second.size(); ++r) {
      speeds += format("{}rank {}: {:.2f}", r == 0 ? "" : "   ", r, s.rank_steps_per_second[r]);
    }
    ImGui::Text("group of %d ranks   all-reduce %.0f %% of a step", s.world_size, 100 * s.reduce_wait_share);
    ImGui::TextDisabled("steps/s   %s", speeds.c_str());
  }
  if (t.steps_per_second > 0 && step_target > s.step) {
    ImGui::Text("ETA to step %lld: %s", static_cast<long long>(step_target),
                clock_text((step_target - s.step) / t.steps_per_second).c_str());
  }
  // Over log10 of the rate (editor/log_slider.h says why not ImGuiSliderFlags_Logarithmic); the
  // rate itself is the text shown.
  const double lr = s.learning_rate > 0 ? s.learning_rate : starting_learning_rate;
  float at = log_slider_position(lr, kLearningRates);
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.2e", lr);
  if (ImGui::SliderFloat("learning rate", &at, kLearningRates.low_exponent(), kLearningRates.high_exponent(), shown,
                         ImGuiSliderFlags_NoInput | ImGuiSliderFlags_NoRoundToFormat)) {
    actions.learning_rate = log_slider_value(at, kLearningRates);
  }
  bool gan = s.gan, warp = s.warp;
  if (ImGui::Checkbox("GAN", &gan)) actions.gan = gan;
  ImGui::SameLine();
  if (ImGui::Checkbox("random warp", &warp)) actions.warp = warp;
  if (ImGui::TreeNode("Loss weights")) {
    model::LossWeights w = weights;
    bool changed = false;
    const auto slider = [&](const char* label, double& value, float top) {
      float v = static_cast<float>(value);
      if (ImGui::SliderFloat(label, &v, 0.0f, top, "%.2f")) {
        value = v;
        changed = true;
      }
    };
    slider("L1", w.l1, 10);
    slider("DSSIM", w.ssim, 10);
    slider("DSSIM at 2x scale", w.ssim_coarse, 10);
    slider("mask", w.mask, 10);
    slider("eyes", w.eyes, 30);
    slider("mouth", w.mouth, 30);
    slider("edge", w.edge, 2);
    slider("background", w.background, 1);
    slider("adversarial (GAN)", w.adversarial, 1);
    if (ImGui::SmallButton("defaults")) {
      w = model::LossWeights{};
      changed = true;
    }
    if (changed) actions.loss_weights = w;
    ImGui::TreePop();
  }

  section("Loss");
  if (history.empty()) {
    ImGui::TextDisabled("no steps yet");
  } else {
    // At most 600 points: the most recent stretch of the run.
    const std::size_t first = history.size() > 600 ? history.size() - 600 : 0;
    std::vector<float> total, a, b;
    for (std::size_t i = first; i < history.size(); ++i) {
      total.push_back(static_cast<float>(history[i].loss));
      a.push_back(static_cast<float>(history[i].loss_a));
      b.push_back(static_cast<float>(history[i].loss_b));
    }
    const float top = *std::max_element(total.begin(), total.end()) * 1.05f;
    const float width = ImGui::GetContentRegionAvail().x;
    char label[64];
    std::snprintf(label, sizeof label, "total %.4f", total.back());
    ImGui::PlotLines("##total", total.data(), static_cast<int>(total.size()), 0, label, 0.0f, top, ImVec2(width, 70));
    std::snprintf(label, sizeof label, "A %.4f  B %.4f", a.back(), b.back());
    ImGui::PlotLines("##a", a.data(), static_cast<int>(a.size()), 0, label, 0.0f, top, ImVec2(width, 45));
    std::vector<float> psnr;
    for (std::size_t i = first; i < history.size(); ++i) {
      if (history[i].eval_psnr_a > 0) psnr.push_back(static_cast<float>(history[i].eval_psnr_a));
    }
    if (!psnr.empty()) {
      std::snprintf(label, sizeof label, "held-out A->A %.2f dB", psnr.back());
      ImGui::PlotLines("##psnr", psnr.data(), static_cast<int>(psnr.size()), 0, label, FLT_MAX, FLT_MAX,
                       ImVec2(width, 45));
    }
  }
  section("Preview (A, A->A, A->B, mask | B, B->B, B->A, mask)");
  if (preview.ready()) {
    const float width = ImGui::GetContentRegionAvail().x;
    preview.draw(ImVec2(width, width * preview.height() / std::max(1, preview.width())));
  } else {
    ImGui::TextDisabled("the first preview comes after 100 steps");
  }
  ImGui::End();
  return actions;
}

std::optional<CompositeOptions> draw_blend_panel(const CompositeOptions& current) {
  CompositeOptions o = current;
  bool changed = false;
  ImGui::Begin("Blend");
  if (ImGui::Button("Reset all")) {
    o = CompositeOptions{};
    changed = true;
  }
  for (const CompositeParam& p : composite_params()) {
    ImGui::PushID(p.key.data());
    float value = static_cast<float>(o.*p.field);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - 110);
    const std::string label(p.label);
    if (ImGui::SliderFloat(label.c_str(), &value, static_cast<float>(p.min_value), static_cast<float>(p.max_value),
                           p.max_value - p.min_value <= 2 ? "%.3f" : "%.1f")) {
      o.*p.field = value;
      changed = true;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%.*s", static_cast<int>(p.help.size()), p.help.data());
    ImGui::SameLine();
    if (ImGui::SmallButton("reset")) {
      o.*p.field = p.default_value;
      changed = true;
    }
    ImGui::PopID();
  }
  for (const CompositeChoice* choice : {&colour_choice(), &blend_choice()}) {
    const bool is_colour = choice == &colour_choice();
    int index = is_colour ? static_cast<int>(o.colour) : static_cast<int>(o.blend);
    std::string items;
    for (const std::string_view c : choice->choices) items += std::string(c) + '\0';
    const std::string label(choice->label);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - 110);
    if (ImGui::Combo(label.c_str(), &index, items.c_str())) {
      if (is_colour) o.colour = static_cast<ColourTransfer>(index);
      else o.blend = static_cast<BlendMode>(index);
      changed = true;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%.*s", static_cast<int>(choice->help.size()), choice->help.data());
  }
  ImGui::TextDisabled("F1: keyboard shortcuts");
  ImGui::End();
  if (!changed || !validate(o)) return std::nullopt;
  return o;
}

RecorderActions draw_recorder_panel(const workspace::RecorderStatus& r, RecorderForm& form, double duration_s) {
  RecorderActions actions;
  ImGui::Begin("Recorder");
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%s", form.path.c_str());
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - 70);
  if (ImGui::InputText("output", buffer, sizeof buffer)) form.path = buffer;
  const float top = duration_s > 0 ? static_cast<float>(duration_s) : 3600.0f;
  ImGui::SetNextItemWidth(120);
  ImGui::DragFloat("from (s)", &form.start_s, 0.1f, 0.0f, top, "%.1f");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(120);
  ImGui::DragFloat("to (s)", &form.end_s, 0.1f, -1.0f, top, form.end_s < 0 ? "the end" : "%.1f");
  form.start_s = std::clamp(form.start_s, 0.0f, top);
  if (form.end_s >= 0 && form.end_s <= form.start_s) form.end_s = -1;
  if (r.running && r.live) {
    ImGui::Text("recording live: %lld frames", static_cast<long long>(r.frames_done));
    ImGui::SameLine();
    if (ImGui::Button("Stop")) actions.stop = true;
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) actions.cancel = true;
  } else if (r.running) {
    const float share = r.frames_expected > 0 ? static_cast<float>(r.frames_done) / r.frames_expected : 0.0f;
    char label[64];
    std::snprintf(label, sizeof label, "%lld / %lld frames", static_cast<long long>(r.frames_done),
                  static_cast<long long>(r.frames_expected));
    ImGui::ProgressBar(share, ImVec2(-80, 0), label);
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) actions.cancel = true;
  } else {
    if (ImGui::Button("Record")) actions.record = true;
    if (!r.result.empty()) {
      ImGui::SameLine();
      ImGui::TextWrapped("%s", r.result.c_str());
    }
  }
  ImGui::TextDisabled(duration_s > 0 ? "every frame at full quality, H.264 + audio, labelled synthetic"
                                     : "what you see, in real time, labelled synthetic");
  ImGui::End();
  return actions;
}

void draw_status_bar(const std::string& status, float height) {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(viewport->Pos.x, viewport->Pos.y + viewport->Size.y - height));
  ImGui::SetNextWindowSize(ImVec2(viewport->Size.x, height));
  ImGui::Begin("##status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  ImGui::TextUnformatted(status.c_str());
  ImGui::End();
}

void draw_log_window(const std::deque<std::string>& lines, bool& open, bool& about) {
  if (!open) return;
  ImGui::Begin("Log", &open);
  if (ImGui::SmallButton(about ? "hide About" : "About Mirage")) about = !about;
  for (const std::string& line : lines) ImGui::TextUnformatted(line.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
  ImGui::End();
}

namespace {

constexpr Shortcut kShortcuts[] = {
    {'E', "E / D", "erode / dilate the mask (1 px)"},
    {'W', "W / S", "feather more / less (1 px)"},
    {'U', "U / J", "face scale up / down (0.01)"},
    {'C', "C", "next colour transfer"},
    {'Y', "Y / H", "sharpen more / less (0.1)"},
    {' ', "Space", "play / pause"},
    {'.', ". / ,", "next frame / back one frame"},
    {kKeyF1, "F1", "this help"},
};

}  // namespace

bool apply_shortcuts(CompositeOptions& o, ViewportActions& actions, ViewState& view) {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return false;
  const CompositeOptions before = o;
  const auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  const auto nudge = [](double& value, double by, std::string_view key) {
    const CompositeParam* p = find_composite_param(key);
    value = std::clamp(value + by, p->min_value, p->max_value);
  };
  if (pressed('E')) nudge(o.erode_px, 1, "erode");
  if (pressed('D')) nudge(o.erode_px, -1, "erode");
  if (pressed('W')) nudge(o.feather_px, 1, "feather");
  if (pressed('S')) nudge(o.feather_px, -1, "feather");
  if (pressed('U')) nudge(o.face_scale, 0.01, "face-scale");
  if (pressed('J')) nudge(o.face_scale, -0.01, "face-scale");
  if (pressed('Y')) nudge(o.sharpen_amount, 0.1, "sharpen");
  if (pressed('H')) nudge(o.sharpen_amount, -0.1, "sharpen");
  if (pressed('C')) o.colour = static_cast<ColourTransfer>((static_cast<int>(o.colour) + 1) % 4);
  if (pressed(' ')) actions.toggle_play = true;
  if (pressed('.')) actions.step = true;
  if (pressed(',')) actions.step_back = true;
  if (pressed(kKeyF1)) view.help = !view.help;
  return !(o == before);
}

void draw_help_overlay(const ViewState& view) {
  if (!view.help) return;
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::Begin("Shortcuts", nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings);
  for (const Shortcut& s : kShortcuts) {
    ImGui::Text("%-8s", s.keys);
    ImGui::SameLine(90);
    ImGui::TextUnformatted(s.what);
  }
  ImGui::End();
}

}  // namespace mirage::studio
