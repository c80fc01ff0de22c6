#include "engine/model/step_benchmark.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "engine/model/autoencoder.h"
#include "engine/model/device.h"
#include "engine/model/torch_error.h"
#include "engine/model/train_step.h"

namespace mirage::model {
namespace {

constexpr int kMaxBatch = 4096;
constexpr int kMaxSteps = 100000;

// Flips Torch's process-wide oneDNN switch for one scope.
class OneDnnSwitch {
 public:
  explicit OneDnnSwitch(bool enabled) : previous_(at::globalContext().userEnabledMkldnn()) {
    at::globalContext().setUserEnabledMkldnn(enabled);
  }
  ~OneDnnSwitch() { at::globalContext().setUserEnabledMkldnn(previous_); }
  OneDnnSwitch(const OneDnnSwitch&) = delete;
  OneDnnSwitch& operator=(const OneDnnSwitch&) = delete;

 private:
  bool previous_;
};

Status validate_benchmark(const StepBenchmarkOptions& options) {
  auto check = [](std::string_view name, long long value, long long min, long long max) -> Status {
    if (value >= min && value <= max) return ok();
    return fail(ErrorCode::kInvalidArgument, "{} must be in [{}, {}], got {}", name, min, max, value);
  };
  if (auto s = check("batch", options.batch, 1, kMaxBatch); !s) return s;
  if (auto s = check("steps", options.steps, 1, kMaxSteps); !s) return s;
  if (auto s = check("warmup", options.warmup, 0, kMaxSteps); !s) return s;
  if (options.image_size < 8 || options.image_size > kMaxImageSize || options.image_size % 8 != 0) {
    return fail(ErrorCode::kInvalidArgument, "size must be a multiple of 8 in [8, {}], got {}",
                kMaxImageSize, options.image_size);
  }
  return ok();
}

std::string describe_model(const AutoencoderOptions& options) {
  std::string filters;
  for (const int count : options.encoder_filters) {
    if (!filters.empty()) filters += '-';
    filters += std::to_string(count);
  }
  return format("ConvAutoencoder {}x{}x{}, filters {}, latent {}", options.image_size,
                options.image_size, options.channels, filters, options.latent);
}

void summarise(StepBenchmark& run) {
  std::vector<double> sorted = run.step_ms;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  run.median_ms = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  run.mean_ms = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  run.min_ms = sorted.front();
}

Result<StepBenchmark> run_steps(const StepBenchmarkOptions& options, c10::Device device) {
  torch::manual_seed(options.seed);
  AutoencoderOptions model_options;
  model_options.image_size = options.image_size;
  Result<ConvAutoencoder> model = make_autoencoder(model_options);
  if (!model) return std::unexpected(model.error());
  (*model)->to(device);
  const auto memory_format =
      options.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  if (options.channels_last) to_channels_last(**model);
  torch::optim::Adam adam = make_adam((*model)->parameters(), AdamOptions{});
  const torch::Tensor faces =
      torch::rand({options.batch, model_options.channels, options.image_size, options.image_size})
          .to(device)
          .contiguous(memory_format);

  StepBenchmark run;
  run.model = describe_model(model_options);
  run.parameters = count_parameters(**model);
  run.device = device.str();
  const bool cuda = device.is_cuda();
  for (int step = 0; step < options.warmup + options.steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    const Result<torch::Tensor> loss = train_step(*model, adam, faces, faces);
    if (!loss) return std::unexpected(loss.error());
    if (cuda) torch::cuda::synchronize(device.index());
    const auto end = std::chrono::steady_clock::now();
    if (step < options.warmup) continue;
    run.step_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    const float value = loss->item<float>();
    if (run.step_ms.size() == 1) run.first_loss = value;
    run.last_loss = value;
  }
  summarise(run);
  run.samples_per_second = options.batch * 1000.0 / run.median_ms;
  return run;
}

}  // namespace

Result<StepBenchmark> measure_train_step(const StepBenchmarkOptions& options) {
  if (auto valid = validate_benchmark(options); !valid) return std::unexpected(valid.error());
  const Result<c10::Device> device = select_device(options.device);
  if (!device) return std::unexpected(device.error());
  try {
    const OneDnnSwitch onednn(options.onednn);
    return run_steps(options, *device);
  } catch (const std::exception& exception) {
    return std::unexpected(detail::torch_error(exception, "bench step"));
  }
}

}  // namespace mirage::model
