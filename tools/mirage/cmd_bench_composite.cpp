// `mirage bench composite`: ms per frame of the CPU and the GPU compositor, side by side.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/swap/composite_benchmark.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/compositing_flags.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_bench_composite(const Args& args) {
  Options opts("bench composite");
  opts.add("--input", "data/Megamind.avi", "the clip whose first face is composited");
  opts.add("--frames", "30", "timed frames per scene and compositor");
  opts.flag("--cpu-only", "do not measure the GPU compositor");
  opts.flag("--json", "machine-readable output");
  add_compositing_options(opts);  // flags given change the benchmark's all-on options
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto frames = opts.get_int("--frames", 1, 10000);
  if (!frames) return usage_error(opts, frames.error());
  auto compositing = read_compositing_options(opts, swap::all_options_on());
  if (!compositing) return usage_error(opts, compositing.error());
  const swap::CompositeBenchmarkOptions o{.input = opts.get("--input"), .frames = static_cast<int>(*frames),
                                          .crop_px = 256, .gpu = !opts.has("--cpu-only"),
                                          .composite = compositing->composite};
  auto report = swap::run_composite_benchmark(o);
  if (!report) return command_error("bench composite", report.error());

  if (opts.has("--json")) {
    nlohmann::json scenes = nlohmann::json::array();
    for (const swap::CompositeScene& s : report->scenes) {
      scenes.push_back({{"scene", s.name}, {"width", s.width}, {"height", s.height}, {"faces", s.faces},
                        {"cpu_ms", s.cpu_ms}, {"gpu_ms", s.gpu_ms},
                        {"gpu_upload_ms", s.gpu_split.upload_ms}, {"gpu_compute_ms", s.gpu_split.compute_ms},
                        {"gpu_readback_ms", s.gpu_split.readback_ms},
                        {"speedup", s.gpu_ms > 0 ? s.cpu_ms / s.gpu_ms : 0.0}});
    }
    std::printf("%s\n", nlohmann::json{{"benchmark", "composite"}, {"gpu", report->gpu}, {"scenes", scenes}}.dump(2).c_str());
    return 0;
  }
  const CompositeOptions& c = report->options;
  std::printf("mirage bench composite: %s, crop %d px; erode %g, sides %g/%g/%g/%g, feather %g, fade %g, scale %g, "
              "colour %s, opacity %g, sharpen %g (radius %g)\n",
              o.input.string().c_str(), o.crop_px, c.erode_px, c.erode_top_px, c.erode_bottom_px, c.erode_left_px,
              c.erode_right_px, c.feather_px, c.border_fade, c.face_scale, std::string(to_string(c.colour)).c_str(),
              c.opacity, c.sharpen_amount, c.sharpen_radius_px);
  std::printf("  gpu: %s\n", report->gpu.c_str());
  std::printf("  %-22s %10s %10s %10s %8s   %s\n", "scene", "cpu ms", "gpu ms", "gpu/cpu", "speedup",
              "gpu split: upload + compute + readback (ms)");
  for (const swap::CompositeScene& s : report->scenes) {
    if (s.gpu_ms < 0) {
      std::printf("  %-22s %10.2f %10s\n", s.name.c_str(), s.cpu_ms, "-");
      continue;
    }
    std::printf("  %-22s %10.2f %10.2f %10.2f %7.2fx   %.2f + %.2f + %.2f (wait %.2f)\n", s.name.c_str(), s.cpu_ms,
                s.gpu_ms, s.gpu_ms / s.cpu_ms, s.cpu_ms / s.gpu_ms, s.gpu_split.upload_ms, s.gpu_split.compute_ms,
                s.gpu_split.readback_ms, s.gpu_split.wait_ms);
  }
  std::printf("  frames/s: ");
  for (const swap::CompositeScene& s : report->scenes) {
    std::printf("%s cpu %.0f%s", s.name.c_str(), 1000 / s.cpu_ms,
                s.gpu_ms > 0 ? format(" gpu {:.0f}; ", 1000 / s.gpu_ms).c_str() : "; ");
  }
  std::printf("\n");
  return 0;
}

}  // namespace mirage::cli
