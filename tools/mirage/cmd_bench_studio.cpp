// `mirage bench studio`: the studio's pipeline headless: real-time playback while training.
#include <cstdio>

#include "engine/workspace/studio_benchmark.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_bench_studio(const Args& args) {
  Options opts("bench studio");
  opts.add("--project", "demo", "a project with faces/a, faces/b and a target video (mirage demo makes ./demo)");
  opts.add("--solo-seconds", "20", "how long training runs alone first, for its reference speed");
  opts.add("--soak-minutes", "0", "then loop the clip this long with setting changes and recordings");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto solo = opts.get_double("--solo-seconds", 4, 3600);
  auto soak = opts.get_double("--soak-minutes", 0, 10000);
  if (!solo) return usage_error(opts, solo.error());
  if (!soak) return usage_error(opts, soak.error());
  auto r = workspace::run_studio_benchmark({.project = opts.get("--project"), .solo_seconds = *solo, .soak_minutes = *soak});
  if (!r) return command_error("bench studio", r.error());
  std::printf("mirage bench studio: %s, real time, training while the whole clip plays\n", opts.get("--project").c_str());
  std::printf("  clip: %.1f s, %lld frames; shown %lld, dropped %lld, taken by the UI %lld\n", r->clip_seconds,
              static_cast<long long>(r->clip_frames), static_cast<long long>(r->frames_shown),
              static_cast<long long>(r->frames_dropped), static_cast<long long>(r->frames_taken_by_ui));
  std::printf("  training: %.2f steps/s alone, %.2f while playing = %.0f %% of solo\n", r->solo_steps_per_second,
              r->shared_steps_per_second, 100 * r->training_share);
  std::printf("  player per frame: decode %.1f, track %.1f, infer %.1f, composite %.1f ms\n", r->decode_ms, r->track_ms,
              r->infer_ms, r->composite_ms);
  double total = 0;
  for (const auto& [name, seconds] : r->cpu_seconds) total += seconds;
  std::printf("  CPU time over the clip (%.1f s wall, %.1f CPU s):", r->wall_seconds, total);
  for (const auto& [name, seconds] : r->cpu_seconds) {
    if (seconds >= 0.05) std::printf("  %s %.1f s (%.0f %%)", name.c_str(), seconds, total > 0 ? 100 * seconds / total : 0.0);
  }
  std::printf("\n");
  if (*soak > 0) {
    std::printf("  soak %.0f min: resident memory %.0f -> %.0f MB (%+.0f MB), %lld recordings, %lld errors, "
                "%lld frames shown, %lld dropped\n",
                *soak, r->rss_start_mb, r->rss_end_mb, r->rss_end_mb - r->rss_start_mb,
                static_cast<long long>(r->soak_recordings), static_cast<long long>(r->soak_errors),
                static_cast<long long>(r->soak_shown), static_cast<long long>(r->soak_dropped));
  }
  return 0;
}

}  // namespace mirage::cli
