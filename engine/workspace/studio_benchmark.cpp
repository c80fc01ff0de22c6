#include "engine/workspace/studio_benchmark.h"

#include <dirent.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "engine/core/clock.h"
#include "engine/core/format.h"
#include "engine/workspace/workspace.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// CPU seconds (user + system) of every thread of this process, summed by thread name.
std::map<std::string, double> cpu_by_thread() {
  std::map<std::string, double> seconds;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = text.substr(open + 1, close - open - 1);
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    // Fields after the name: state(3) ... utime(14) stime(15).
    for (int i = 3; i <= 13; ++i) rest >> field;
    double utime = 0, stime = 0;
    rest >> utime >> stime;
    // OpenMP's team threads carry the name of the thread that made them.
    seconds[name] += (utime + stime) / tick;
  }
  return seconds;
}

double rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// Steps per second between two moments of a running trainer.
struct StepClock {
  std::int64_t step = 0;
  Clock::time_point at;
};

// Ticks the workspace until the trainer it is making runs; its error otherwise.
Status wait_until_training(Workspace& ws) {
  while (ws.training().starting) {
    ws.tick();
    std::this_thread::sleep_for(20ms);
  }
  ws.tick();
  if (ws.training().running) return ok();
  std::string why = "training did not start";
  for (std::string& m : ws.take_messages()) why = std::move(m);
  return fail(ErrorCode::kInternal, "{}", why);
}

double rate(const StepClock& a, const StepClock& b) {
  const double seconds = std::chrono::duration<double>(b.at - a.at).count();
  return seconds > 0 ? static_cast<double>(b.step - a.step) / seconds : 0;
}

}  // namespace

Result<StudioBenchmark> run_studio_benchmark(const StudioBenchmarkOptions& options) {
  StudioBenchmark report;
  {
    // Training alone: the reference speed.
    auto solo = Workspace::open(options.project, {.open_player = false});
    if (!solo) return std::unexpected(solo.error());
    if (auto s = (*solo)->start_training(); !s) return std::unexpected(s.error());
    if (auto s = wait_until_training(**solo); !s) return std::unexpected(s.error());
    std::this_thread::sleep_for(std::chrono::duration<double>(options.solo_seconds / 4));
    (*solo)->tick();
    const StepClock start{(*solo)->training().stats.step, Clock::now()};
    std::this_thread::sleep_for(std::chrono::duration<double>(options.solo_seconds * 3 / 4));
    const StepClock end{(*solo)->training().stats.step, Clock::now()};
    report.solo_steps_per_second = rate(start, end);
    if (auto s = (*solo)->finish_training(); !s) return std::unexpected(s.error());
  }

  auto opened = Workspace::open(options.project);
  if (!opened) return std::unexpected(opened.error());
  Workspace& ws = **opened;
  Player* player = ws.player();
  if (player == nullptr) return fail(ErrorCode::kNotFound, "{}: the project has no playable target video", options.project.string());
  const PlayerSettings users_settings = ws.player_settings();  // put back at the end
  PlayerSettings settings = users_settings;
  settings.mode = PlayMode::kRealTime;
  settings.loop = false;
  if (auto s = ws.set_player_settings(settings); !s) return std::unexpected(s.error());
  if (auto s = ws.start_training(); !s) return std::unexpected(s.error());
  if (auto s = wait_until_training(ws); !s) return std::unexpected(s.error());
  // Let the first snapshot reach the player before the clock starts.
  const auto ready_by = Clock::now() + 60s;
  while (player->stats().model_step < 0 && Clock::now() < ready_by) {
    ws.tick();
    std::this_thread::sleep_for(20ms);
  }
  player->seek(0);
  while (!player->take_frame() && Clock::now() < ready_by) std::this_thread::sleep_for(5ms);
  const PlayerStats before = player->stats();
  const auto cpu_before = cpu_by_thread();
  const StepClock start{ws.training().stats.step, Clock::now()};
  player->play();
  // The stand-in UI: ticks the workspace and takes each frame, as the window does per frame.
  std::int64_t taken = 0;
  while (!player->stats().at_end) {
    ws.tick();
    if (player->take_frame()) ++taken;
    std::this_thread::sleep_for(4ms);
  }
  if (player->take_frame()) ++taken;  // the last frame, published just before the end
  const StepClock end{ws.training().stats.step, Clock::now()};
  const PlayerStats after = player->stats();
  const auto cpu_after = cpu_by_thread();
  report.wall_seconds = std::chrono::duration<double>(end.at - start.at).count();
  report.shared_steps_per_second = rate(start, end);
  report.training_share = report.solo_steps_per_second > 0 ? report.shared_steps_per_second / report.solo_steps_per_second : 0;
  report.frames_shown = after.shown - before.shown;
  report.frames_dropped = after.dropped - before.dropped;
  report.frames_taken_by_ui = taken;
  report.clip_seconds = after.duration_s;
  report.clip_frames = static_cast<std::int64_t>(after.duration_s * after.source_fps + 0.5);
  report.decode_ms = after.decode_ms;
  report.track_ms = after.track_ms;
  report.infer_ms = after.infer_ms;
  report.composite_ms = after.composite_ms;
  for (const auto& [name, seconds] : cpu_after) {
    const auto was = cpu_before.find(name);
    report.cpu_seconds[name] = seconds - (was == cpu_before.end() ? 0 : was->second);
  }

  if (options.soak_minutes > 0) {
    // Soak: loop the clip with setting changes every second and a recording every third of it.
    settings.loop = true;
    (void)ws.set_player_settings(settings);
    player->play();
    const CompositeOptions users_composite = ws.composite();
    const PlayerStats soak_start = player->stats();
    report.rss_start_mb = rss_mb();
    const auto until = Clock::now() + std::chrono::duration<double>(options.soak_minutes * 60);
    auto next_change = Clock::now();
    auto next_recording = Clock::now() + std::chrono::duration<double>(options.soak_minutes * 60 / 3);
    int change = 0;
    bool was_recording = false;
    std::string last_error;
    const auto watch = [&] {
      ws.tick();
      (void)player->take_frame();
      (void)ws.take_messages();
      // Errors: a new player error, a recording that failed, training that stopped by itself.
      const std::string error = player->stats().error;
      if (!error.empty() && error != last_error) ++report.soak_errors;
      last_error = error;
      const bool recording = ws.recording().running;
      if (was_recording && !recording) (ws.recording().succeeded ? report.soak_recordings : report.soak_errors) += 1;
      was_recording = recording;
    };
    while (Clock::now() < until) {
      watch();
      if (Clock::now() >= next_change) {
        CompositeOptions o = ws.composite();
        o.feather_px = 8 + (change++ % 10);
        o.sharpen_amount = (change % 3) * 0.5;
        if (!ws.set_composite(o)) ++report.soak_errors;
        next_change += 1s;
      }
      if (Clock::now() >= next_recording && !ws.recording().running) {
        const fs::path take = ws.project().renders_dir() / format("soak_{}_{}.mp4", ::getpid(), change);
        if (!ws.start_recording(take)) ++report.soak_errors;
        next_recording += std::chrono::duration<double>(options.soak_minutes * 60 / 3);
      }
      std::this_thread::sleep_for(10ms);
    }
    while (ws.recording().running) {
      watch();
      std::this_thread::sleep_for(50ms);
    }
    watch();
    if (!ws.training().running) ++report.soak_errors;
    const PlayerStats soak_end = player->stats();
    report.soak_shown = soak_end.shown - soak_start.shown;
    report.soak_dropped = soak_end.dropped - soak_start.dropped;
    report.rss_end_mb = rss_mb();
    (void)ws.set_composite(users_composite);
  }
  (void)ws.set_player_settings(users_settings);
  if (auto s = ws.finish_training(); !s) return std::unexpected(s.error());
  return report;
}

}  // namespace mirage::workspace
