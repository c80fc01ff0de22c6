// `mirage bench composite`: the CPU and the GPU compositor side by side on the same frames, in
// one run: Megamind at 720x528 with one face, and the same frame upscaled to 1920x1080 with four
// faces, every option on except seamless (and histogram matching, which is CPU-only).
//
//   auto report = swap::run_composite_benchmark({.input = "data/Megamind.avi"});
//   for (const auto& s : report->scenes) print(s.name, s.cpu_ms, s.gpu_ms, s.cpu_ms / s.gpu_ms);
//
// The faces are real: the first frame with a face of at least 100 px, tracked landmarks, the
// real swap path (FrameSwapper) with the identity model, so only the compositing is timed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/core/composite_options.h"
#include "engine/core/error.h"
#include "engine/swap/frame_compositor.h"

namespace mirage::swap {

// The options the benchmark composites with by default: every step on (erode, per-side
// erosion, feather, border fade, placement, RCT, opacity 0.9, sharpening).
CompositeOptions all_options_on();

struct CompositeBenchmarkOptions {
  std::filesystem::path input = "data/Megamind.avi";
  int frames = 30;      // timed frames per scene and compositor, after 3 warm-up frames
  int crop_px = 256;
  bool gpu = true;      // false: CPU only
  CompositeOptions composite = all_options_on();
};

struct CompositeScene {
  std::string name;     // "720x528, 1 face"
  int width = 0;
  int height = 0;
  int faces = 0;
  double cpu_ms = 0;    // median per frame
  double gpu_ms = -1;   // median per frame, whole call (upload to readback); -1: no GPU
  CompositeSplit gpu_split;  // medians
};

struct CompositeBenchmark {
  CompositeOptions options;  // what every frame used
  std::string gpu;           // the device, or why there is none
  std::vector<CompositeScene> scenes;
};

Result<CompositeBenchmark> run_composite_benchmark(const CompositeBenchmarkOptions& options);

}  // namespace mirage::swap
