// `mirage bench <what>`: micro-benchmarks. Benchmarks are programs, never timed tests (STYLE.md).
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/model/runtime.h"
#include "engine/model/step_benchmark.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {
namespace {


void print_text(const model::StepBenchmark& run, const model::StepBenchmarkOptions& options,
                const model::RuntimeInfo& info) {
  std::printf("mirage bench step: %s, %.2f M parameters, batch %d, device %s\n", run.model.c_str(),
              static_cast<double>(run.parameters) / 1e6, options.batch, run.device.c_str());
  std::printf("  cpu: %d threads of %d cores, blas %s, onednn %s, channels-last %s\n",
              info.intra_threads, info.cores,
              info.blas_name.empty() ? "none" : info.blas_name.c_str(), info.onednn ? "on" : "off",
              options.channels_last ? "on" : "off");
  std::printf("  step: median %.1f ms, mean %.1f ms, min %.1f ms (%d steps after %d warm-up)\n",
              run.median_ms, run.mean_ms, run.min_ms, options.steps, options.warmup);
  std::printf("  throughput: %.1f samples/s (at the median)\n", run.samples_per_second);
  std::printf("  loss: %.4f -> %.4f\n", run.first_loss, run.last_loss);
  if (!info.warning.empty()) std::fprintf(stderr, "mirage bench: warning: %s\n", info.warning.c_str());
}

void print_json(const model::StepBenchmark& run, const model::StepBenchmarkOptions& options,
                const model::RuntimeInfo& info) {
  const nlohmann::json out = {
      {"benchmark", "step"},
      {"model", run.model},
      {"parameters", run.parameters},
      {"device", run.device},
      {"batch", options.batch},
      {"size", options.image_size},
      {"steps", options.steps},
      {"warmup", options.warmup},
      {"channels_last", options.channels_last},
      {"onednn", info.onednn},
      {"threads", info.intra_threads},
      {"interop_threads", info.interop_threads},
      {"cores", info.cores},
      {"blas", model::to_string(info.blas)},
      {"blas_name", info.blas_name},
      {"blas_library", info.blas_library},
      {"torch", info.torch_version},
      {"median_ms", run.median_ms},
      {"mean_ms", run.mean_ms},
      {"min_ms", run.min_ms},
      {"samples_per_second", run.samples_per_second},
      {"step_ms", run.step_ms},
      {"first_loss", run.first_loss},
      {"last_loss", run.last_loss},
      {"warning", info.warning},
  };
  std::printf("%s\n", out.dump().c_str());
}

int run_step(const Args& args) {
  Options options("bench step");
  options.add("--batch", "16", "faces per train step");
  options.add("--size", "64", "face side in pixels, a multiple of 8");
  options.add("--steps", "20", "timed steps");
  options.add("--warmup", "3", "untimed steps before timing");
  options.add("--threads", "0", "CPU threads (0: MIRAGE_THREADS, else every core)");
  options.add("--device", "auto", "auto, cpu, cuda or cuda:N");
  options.add("--seed", "1", "seed of the weights and the random faces");
  options.flag("--channels-last", "store weights and faces NHWC");
  options.flag("--no-onednn", "run CPU convolutions through im2col + BLAS instead of oneDNN");
  options.flag("--json", "print one JSON object instead of text");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("%s", options.usage().c_str());
    return 0;
  }
  if (!options.positional().empty()) {
    return usage_error(options, Error{ErrorCode::kInvalidArgument,
                                      "unexpected argument '" + options.positional().front() + "'"});
  }

  model::StepBenchmarkOptions bench;
  const auto batch = options.get_int("--batch", 1, 4096);
  const auto size = options.get_int("--size", 8, 1024);
  const auto steps = options.get_int("--steps", 1, 100000);
  const auto warmup = options.get_int("--warmup", 0, 100000);
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  const auto seed = options.get_int("--seed", 0, 1LL << 62);
  for (const auto* value : {&batch, &size, &steps, &warmup, &threads, &seed}) {
    if (!*value) return usage_error(options, value->error());
  }
  bench.batch = static_cast<int>(*batch);
  bench.image_size = static_cast<int>(*size);
  bench.steps = static_cast<int>(*steps);
  bench.warmup = static_cast<int>(*warmup);
  bench.seed = static_cast<std::uint64_t>(*seed);
  bench.device = options.get("--device");
  bench.channels_last = options.has("--channels-last");
  bench.onednn = !options.has("--no-onednn");

  if (auto status = model::configure_runtime(static_cast<int>(*threads)); !status) {
    return command_error(options.command(), status.error());
  }
  const auto run = model::measure_train_step(bench);
  if (!run && run.error().code == ErrorCode::kInvalidArgument) {
    return usage_error(options, run.error());  // e.g. a size that is no multiple of 8
  }
  if (!run) return command_error(options.command(), run.error());
  model::RuntimeInfo info = model::runtime_info();
  info.onednn = info.onednn && bench.onednn;
  if (options.has("--json")) {
    print_json(*run, bench, info);
  } else {
    print_text(*run, bench, info);
  }
  return 0;
}

struct Benchmark {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};

constexpr Benchmark kBenchmarks[] = {
    {"step", "train steps of the small autoencoder", run_step},
    {"train", "train steps of the face-swap model (lite, lite-d, lite-liae, original, hd)", run_bench_train},
#if MIRAGE_WITH_FACE
    {"extract", "face extraction on a video: frames/s per stage and end to end", run_bench_extract},
#endif
#if MIRAGE_WITH_SWAP
    {"composite", "the CPU and the GPU compositor side by side: ms per frame at 720x528 and 1080p", run_bench_composite},
    {"faces", "the face browser on a set of 5,000 faces: opening, first screen, scrolling", run_bench_faces},
    {"studio", "the studio's pipeline headless: dropped frames and training speed while the clip plays", run_bench_studio},
    {"convert", "video conversion with a project's model: frames/s end to end and ms per stage", run_bench_convert},
    {"watermark", "the invisible watermark: PSNR, payload after re-encodes, scaling, greyscale, cuts; false alarms", run_bench_watermark},
#endif
};

std::string benchmark_list() {
  std::string list;
  for (const Benchmark& b : kBenchmarks) list += format("{}{} ({})", list.empty() ? "" : ", ", b.name, b.summary);
  return list;
}

}  // namespace

int run_bench(const Args& args) {
  const std::string_view what = args.empty() ? std::string_view() : std::string_view(args.front());
  for (const Benchmark& benchmark : kBenchmarks) {
    if (what == benchmark.name) return benchmark.run(Args(args.begin() + 1, args.end()));
  }
  if (what == "--help" || what == "-h") {
    std::printf("usage: mirage bench <benchmark> [options]   (mirage bench <benchmark> --help)\n"
                "benchmarks: %s\n",
                benchmark_list().c_str());
    return 0;
  }
  if (what.empty()) {
    std::fprintf(stderr, "mirage bench: name a benchmark: %s\n", benchmark_list().c_str());
  } else {
    std::fprintf(stderr, "mirage bench: unknown benchmark '%.*s' (available: %s)\n",
                 static_cast<int>(what.size()), what.data(), benchmark_list().c_str());
  }
  return 2;
}

}  // namespace mirage::cli
