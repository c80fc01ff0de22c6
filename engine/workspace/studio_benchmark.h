// `mirage bench studio`: the workspace's own pipeline headless (the same code as the window):
// training alone first, then the target video played in real time from start to end while the
// trainer runs, with a stand-in UI that takes every frame the player publishes. The project's
// own settings are put back at the end.
//
//   auto report = workspace::run_studio_benchmark({.project = "demo"});
//   print(report->dropped, report->training_share, report->cpu);
//
// It prints, and tests never time anything. Needs a project with faces/a, faces/b and a source.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "engine/core/error.h"

namespace mirage::workspace {

struct StudioBenchmarkOptions {
  std::filesystem::path project = "demo";
  double solo_seconds = 20;   // training alone (the first quarter is warm-up, not counted)
  double soak_minutes = 0;    // > 0: then loop the clip this long with setting changes and recordings
};

struct StudioBenchmark {
  double solo_steps_per_second = 0;
  double shared_steps_per_second = 0;   // while the clip played
  double training_share = 0;            // shared / solo
  std::int64_t frames_shown = 0;        // published by the player over the clip
  std::int64_t frames_dropped = 0;
  std::int64_t frames_taken_by_ui = 0;  // the stand-in UI's frames (one per published frame: none lost)
  std::int64_t clip_frames = 0;
  double clip_seconds = 0;
  double decode_ms = 0, track_ms = 0, infer_ms = 0, composite_ms = 0;  // player, per frame
  std::map<std::string, double> cpu_seconds;  // by thread name, over the clip
  double wall_seconds = 0;                    // of the clip run
  // Soak (when asked for): resident memory before and after, errors seen.
  double rss_start_mb = 0, rss_end_mb = 0;
  std::int64_t soak_recordings = 0, soak_errors = 0;  // recordings that succeeded; errors of any kind
  std::int64_t soak_shown = 0, soak_dropped = 0;     // player frames over the soak
};

Result<StudioBenchmark> run_studio_benchmark(const StudioBenchmarkOptions& options);

}  // namespace mirage::workspace
