// Times train steps of the small autoencoder on seeded random faces: the engine behind
// `mirage bench step`. Torch-free header, so front ends measure without including LibTorch.
//
//   StepBenchmarkOptions options;          // batch 16, 64x64, 3 warm-up + 20 timed steps
//   options.device = "cpu";
//   Result<StepBenchmark> run = measure_train_step(options);
//   if (run) std::printf("%.1f ms/step\n", run->median_ms);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::model {

struct StepBenchmarkOptions {
  int batch = 16;                // faces per step, [1, 4096]
  int image_size = 64;           // face side in pixels: a multiple of 8 in [8, 1024]
  int steps = 20;                // timed steps, [1, 100000]
  int warmup = 3;                // untimed steps first (allocator, oneDNN kernels), [0, 100000]
  std::string device = "auto";   // select_device() name
  bool channels_last = false;    // NHWC weights and faces
  bool onednn = true;            // false: CPU convolutions through im2col + BLAS instead
  std::uint64_t seed = 1;        // weights and faces
};

struct StepBenchmark {
  std::string model;             // e.g. "ConvAutoencoder 64x64x3, filters 64-128-256, latent 256"
  std::int64_t parameters = 0;
  std::string device;            // the device used, e.g. "cpu" or "cuda:0"
  std::vector<double> step_ms;   // wall-clock time of each timed step, in order
  double median_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double samples_per_second = 0; // batch / median step time
  float first_loss = 0;          // L1 loss of the first and the last timed step
  float last_loss = 0;
};

// Builds AutoencoderOptions{image_size} (default filters), Adam with the classic settings, one
// fixed batch of uniform random faces, then runs warm-up and timed steps; each step is timed to
// completion (the device is synchronised). Reseeds Torch's global generator with options.seed.
// With onednn == false the process-wide oneDNN switch is off for the duration of the call (not
// thread-safe then); it is restored afterwards.
// Errors: ErrorCode::kInvalidArgument for an option out of range or an unknown device;
// select_device()'s errors; ErrorCode::kDevice when memory runs out.
Result<StepBenchmark> measure_train_step(const StepBenchmarkOptions& options);

}  // namespace mirage::model
