// The studio's panels: each draws what it is given and returns what the user asked for; the
// app applies it through the workspace. No engine logic here.
//
//   const ViewportActions a = draw_viewport({.swapped = &swapped, ...}, view);
//   if (a.play) workspace.player()->play();
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "editor/ui_texture.h"
#include "engine/core/composite_options.h"
#include "engine/workspace/workspace.h"

namespace mirage::studio {

enum class ViewMode { kSwapped, kOriginal, kSplit, kMask };

struct ViewState {
  ViewMode mode = ViewMode::kSwapped;
  float split = 0.5f;  // share of the width showing the original, in split view
  float zoom = 1.0f;   // 1: fit the window
  bool help = false;   // the shortcut overlay
};

struct ViewportInput {
  const UiTexture* swapped = nullptr;
  const UiTexture* original = nullptr;
  const UiTexture* mask = nullptr;  // the swapped frame with the blend mask tinted (ViewMode::kMask)
  bool has_player = false;
  workspace::PlayerStats stats;
  workspace::PlayerSettings settings;
  float ui_ms = 0;  // the studio's own frame time
};

struct ViewportActions {
  bool play = false, pause = false, step = false;
  bool toggle_play = false, step_back = false;
  std::optional<double> seek;  // seconds
  std::optional<workspace::PlayerSettings> settings;
};
ViewportActions draw_viewport(const ViewportInput& input, ViewState& view);

struct TrainingActions {
  bool start = false, pause = false, resume = false, save = false, stop = false;
  std::optional<double> learning_rate;
  std::optional<model::LossWeights> loss_weights;
  std::optional<bool> gan, warp;
};
// `weights`: the loss weights in use (the project's), edited in place by the sliders.
// `starting_learning_rate`: what the learning-rate slider shows until a run reports its rate.
TrainingActions draw_training_panel(const workspace::TrainingStatus& status,
                                    const std::vector<workspace::TrainingPoint>& history,
                                    const UiTexture& preview, std::int64_t step_target,
                                    const model::LossWeights& weights, double starting_learning_rate);

// Every compositing option as a slider or combo (from the one table), reset per option and all.
std::optional<CompositeOptions> draw_blend_panel(const CompositeOptions& current);

// What the recorder panel edits: where to write and which part of the video.
struct RecorderForm {
  std::string path;
  float start_s = 0;
  float end_s = -1;  // < 0: to the end (live: until stopped)
};
struct RecorderActions {
  bool record = false;  // with the form as it is
  bool cancel = false;
  bool stop = false;  // live: end the clip and keep it
};
// `duration_s`: of the video (0: unknown, a camera), for the range's limits.
RecorderActions draw_recorder_panel(const workspace::RecorderStatus& status, RecorderForm& form, double duration_s);

void draw_status_bar(const std::string& status, float height);
// The log, with a button that shows or hides the About panel.
void draw_log_window(const std::deque<std::string>& lines, bool& open, bool& about);

// The keyboard shortcuts in the spirit of DeepFaceLab's interactive merger, applied to `options`
// (true when something changed); space, '.' and ',' drive the transport through `actions`.
bool apply_shortcuts(CompositeOptions& options, ViewportActions& actions, ViewState& view);
void draw_help_overlay(const ViewState& view);

}  // namespace mirage::studio
