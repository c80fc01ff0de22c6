// `mirage train`: trains the face-swap model of a project in the background thread of a Trainer,
// and `mirage bench train`: the speed of its train step.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/core/file_io.h"
#include "engine/model/runtime.h"
#include "engine/train/trainer.h"
#if MIRAGE_TRAIN_WITH_FACES
#include "engine/train/face_set_data.h"
#endif
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

struct Faces {
  std::shared_ptr<const train::FaceBank> a, b, eval_a;
};

Result<Faces> load_faces(const Options& options, const std::filesystem::path& project, int holdout,
                         int resolution_hint) {
  Faces faces;
  if (options.has("--synthetic")) {
    const auto count = options.get_int("--synthetic", 1, 100000);
    if (!count) return std::unexpected(count.error());
    const int size = std::max(256, resolution_hint * 4);
    faces.a = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(*count), size, 0));
    faces.b = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(*count), size, 1));
    return faces;
  }
#if MIRAGE_TRAIN_WITH_FACES
  const std::filesystem::path a = options.has("--a") ? std::filesystem::path(options.get("--a")) : project / "faces" / "a";
  const std::filesystem::path b = options.has("--b") ? std::filesystem::path(options.get("--b")) : project / "faces" / "b";
  auto bank_a = train::load_face_bank(a, holdout);
  if (!bank_a) return std::unexpected(bank_a.error());
  auto bank_b = train::load_face_bank(b, holdout);
  if (!bank_b) return std::unexpected(bank_b.error());
  faces.a = std::make_shared<const train::FaceBank>(std::move(bank_a->train));
  faces.b = std::make_shared<const train::FaceBank>(std::move(bank_b->train));
  if (!bank_a->held_out.empty()) {
    faces.eval_a = std::make_shared<const train::FaceBank>(std::move(bank_a->held_out));
  }
  return faces;
#else
  (void)project;
  (void)holdout;
  return fail(ErrorCode::kUnsupported, "this build has no face-set support (MIRAGE_MODEL_ONLY); use --synthetic N");
#endif
}

// On a terminal one line rewritten in place; anywhere else (a log file, a pipe) plain lines.
void print_progress(const train::TrainerStats& s, bool final_line) {
  static const bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::fprintf(stderr,
               "%sstep %lld  %.2f it/s  %.1f faces/s  loss %.4f (A %.4f, B %.4f)  ssim %.4f  "
               "mask %.4f  lr %.2e  wait %.0f%%%s%s",
               terminal ? "\r" : "", static_cast<long long>(s.step), s.step_ms > 0 ? 1000.0 / s.step_ms : 0.0,
               s.samples_per_second, s.loss, s.loss_a, s.loss_b, s.ssim, s.mask, s.learning_rate,
               100 * s.data_wait_share,
               s.eval_psnr_a > 0 ? format("  held-out A->A {:.2f} dB", s.eval_psnr_a).c_str() : "",
               final_line || !terminal ? "\n" : "   ");
  std::fflush(stderr);
}

void add_common_options(Options& options) {
  options.add("--preset", "lite", "model: lite, lite-d (128 px out at lite's cost), original or hd");
  options.add("--batch", "16", "faces per identity per step");
  options.add("--device", "auto", "auto, cpu, cuda or cuda:N");
  options.add("--precision", "auto", "auto (bf16 where the CPU/GPU has it), fp32, bf16 or fp16");
  options.add("--threads", "0", "CPU threads (0: MIRAGE_THREADS, else every core)");
  options.add("--seed", "1", "seed of the weights and the augmentation");
  options.add("--data-threads", "1", "augmentation threads");
  options.flag("--gan", "train with the patch discriminators");
  options.flag("--no-warp", "no random_warp on the inputs");
  options.flag("--channels-last", "store weights and faces NHWC (channels-last)");
}

Result<train::TrainerOptions> common_trainer_options(const Options& options) {
  train::TrainerOptions t;
  t.preset = options.get("--preset");
  const auto batch = options.get_int("--batch", 1, 4096);
  const auto seed = options.get_int("--seed", 0, 1LL << 62);
  const auto data_threads = options.get_int("--data-threads", 1, 64);
  for (const auto* v : {&batch, &seed, &data_threads}) {
    if (!*v) return std::unexpected(v->error());
  }
  t.batch = static_cast<int>(*batch);
  t.seed = static_cast<std::uint64_t>(*seed);
  t.data_threads = static_cast<int>(*data_threads);
  t.device = options.get("--device");
  t.precision = options.get("--precision");
  t.gan = options.has("--gan");
  t.augment.warp = !options.has("--no-warp");
  t.channels_last = options.has("--channels-last");
  return t;
}

}  // namespace

int run_train(const Args& args) {
  Options options("train");
  options.add("--project", "", "project folder (faces/a, faces/b; writes model/)");
  options.add("--a", "", "face set of identity A (default <project>/faces/a)");
  options.add("--b", "", "face set of identity B (default <project>/faces/b)");
  options.add("--minutes", "0", "stop after this many minutes (0: no limit)");
  options.add("--steps", "0", "stop after this step (0: no limit)");
  options.add("--lr", "0", "learning rate (cosine schedule over --minutes/--steps); 0: the preset's (1e-3 for lite and lite-d, 3e-4 for original and hd)");
  options.add("--save-every", "500", "steps between checkpoints");
  options.add("--keep", "3", "checkpoints kept in <project>/model");
  options.add("--preview-every", "200", "steps between previews (<project>/model/preview.png)");
  options.add("--holdout", "0", "hold every Nth face out of training and report A->A PSNR on them");
  options.add("--eval-every", "500", "steps between held-out PSNR measurements");
  options.add("--warp-until", "0.75", "turn random_warp off after this share of a --minutes/--steps run (0-1)");
  options.add("--synthetic", "0", "train on N generated faces per identity instead of face sets");
  add_common_options(options);
  options.flag("--quiet", "no progress line");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("%s", options.usage().c_str());
    return 0;
  }
  if (!options.has("--project")) {
    return usage_error(options, Error{ErrorCode::kInvalidArgument, "--project is required"});
  }
  auto trainer_options = common_trainer_options(options);
  const auto minutes = options.get_double("--minutes", 0, 1e7);
  const auto steps = options.get_int("--steps", 0, 1LL << 40);
  const auto lr = options.get_double("--lr", 0, 1.0);
  const auto save_every = options.get_int("--save-every", 0, 1 << 30);
  const auto keep = options.get_int("--keep", 1, 1000);
  const auto preview_every = options.get_int("--preview-every", 0, 1 << 30);
  const auto holdout = options.get_int("--holdout", 0, 1000);
  const auto eval_every = options.get_int("--eval-every", 0, 1 << 30);
  const auto warp_until = options.get_double("--warp-until", 0, 1);
  if (!warp_until) return usage_error(options, warp_until.error());
  if (!trainer_options) return usage_error(options, trainer_options.error());
  if (!minutes) return usage_error(options, minutes.error());
  if (!lr) return usage_error(options, lr.error());
  for (const auto* v : {&steps, &save_every, &keep, &preview_every, &holdout, &eval_every}) {
    if (!*v) return usage_error(options, v->error());
  }
  if (*holdout == 1) {
    return usage_error(options, Error{ErrorCode::kInvalidArgument, "--holdout must be 0 or at least 2"});
  }
  const std::filesystem::path project = options.get("--project");
  train::TrainerOptions& t = *trainer_options;
  t.model_dir = project / "model";
  t.max_minutes = *minutes;
  t.max_steps = *steps;
  t.learning_rate = *lr > 0 ? *lr : -1;  // 0 on the command line: the preset's
  t.save_every = static_cast<int>(*save_every);
  t.keep = static_cast<int>(*keep);
  t.preview_every = static_cast<int>(*preview_every);
  t.eval_every = static_cast<int>(*eval_every);
  t.warp_until = *warp_until;
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  if (!threads) return usage_error(options, threads.error());
  if (auto status = model::configure_runtime(static_cast<int>(*threads)); !status) {
    return command_error(options.command(), status.error());
  }

  auto faces = load_faces(options, project, static_cast<int>(*holdout), 64);
  if (!faces) return command_error(options.command(), faces.error());
  auto trainer = train::Trainer::create(t, faces->a, faces->b, faces->eval_a);
  if (!trainer) return command_error(options.command(), trainer.error());
  const train::TrainerStats first = (*trainer)->stats();
  std::fprintf(stderr, "mirage train: %s preset, %zu + %zu faces%s, batch %d per identity, %s on %s, from step %lld\n",
               t.preset.c_str(), faces->a->size(), faces->b->size(),
               faces->eval_a ? format(" ({} A held out)", faces->eval_a->size()).c_str() : "",
               t.batch, first.precision.c_str(), first.device.c_str(), static_cast<long long>(first.step));

  g_interrupted.store(false);
  const auto previous_handler = std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  (*trainer)->start();
  bool stop_sent = false;
  auto last_print = std::chrono::steady_clock::now();
  const bool quiet = options.has("--quiet");
  for (;;) {
    const train::TrainerStats s = (*trainer)->stats();
    if (auto preview = (*trainer)->take_preview()) {
      if (auto st = write_file_atomic(t.model_dir / "preview.png", train::encode_png(*preview)); !st) {
        std::fprintf(stderr, "\nmirage train: warning: %s\n", st.error().message.c_str());
      }
    }
    if (s.finished) break;
    if (g_interrupted.load() && !stop_sent) {
      std::fprintf(stderr, "\nmirage train: stopping (saving the checkpoint)...\n");
      (*trainer)->send(train::Stop{});
      stop_sent = true;
    }
    // Off a terminal every line stays in the log: one each 10 s instead of each second.
    const auto every = ::isatty(STDERR_FILENO) == 1 ? std::chrono::seconds(1) : std::chrono::seconds(10);
    if (!quiet && std::chrono::steady_clock::now() - last_print > every) {
      print_progress(s, false);
      last_print = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const Status result = (*trainer)->wait();
  std::signal(SIGINT, previous_handler);
  std::signal(SIGTERM, SIG_DFL);
  const train::TrainerStats s = (*trainer)->stats();
  if (!quiet) print_progress(s, true);
  if (!result) return command_error(options.command(), result.error());
  std::fprintf(stderr, "mirage train: step %lld saved in %s (%lld steps dropped by the NaN guard)\n",
               static_cast<long long>(s.saved_step), t.model_dir.string().c_str(),
               static_cast<long long>(s.rejected_steps));
  return 0;
}

int run_bench_train(const Args& args) {
  Options options("bench train");
  options.add("--steps", "10", "timed steps");
  options.add("--warmup", "3", "untimed steps first");
  options.add("--faces", "64", "generated faces per identity");
  add_common_options(options);
  options.flag("--json", "print one JSON object instead of text");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("%s", options.usage().c_str());
    return 0;
  }
  auto t = common_trainer_options(options);
  const auto steps = options.get_int("--steps", 1, 100000);
  const auto warmup = options.get_int("--warmup", 0, 100000);
  const auto count = options.get_int("--faces", 4, 100000);
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  if (!t) return usage_error(options, t.error());
  for (const auto* v : {&steps, &warmup, &count, &threads}) {
    if (!*v) return usage_error(options, v->error());
  }
  if (auto status = model::configure_runtime(static_cast<int>(*threads)); !status) {
    return command_error(options.command(), status.error());
  }
  t->max_steps = *steps + *warmup;
  t->timing_skip = static_cast<int>(*warmup);
  t->schedule = "constant";
  t->save_every = 0;
  t->log_every = 0;
  const int size = t->preset == "hd" ? 512 : 256;
  auto a = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(*count), size, 0));
  auto b = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(*count), size, 1));
  auto trainer = train::Trainer::create(*t, a, b);
  if (!trainer) return command_error(options.command(), trainer.error());
  (*trainer)->start();
  const Status result = (*trainer)->wait();
  if (!result) return command_error(options.command(), result.error());
  const train::TrainerStats s = (*trainer)->stats();
  const model::RuntimeInfo info = model::runtime_info();
  const double ms = 1000.0 * s.timed_s / static_cast<double>(std::max<std::int64_t>(1, s.timed_steps));
  const double samples = 2.0 * t->batch * 1000.0 / ms;
  const double gflops = s.train_flops_per_step / (ms / 1000.0) / 1e9;
  const double wait = s.timed_s > 0 ? s.timed_wait_s / s.timed_s : 0;
  if (options.has("--json")) {
    const nlohmann::json out = {{"benchmark", "train"},   {"preset", t->preset},
                                {"batch", t->batch},      {"device", s.device},
                                {"precision", s.precision}, {"threads", info.intra_threads},
                                {"steps", s.timed_steps}, {"ms_per_step", ms},
                                {"samples_per_second", samples}, {"gflops", gflops},
                                {"gflop_per_step", s.train_flops_per_step / 1e9},
                                {"data_wait_share", wait}, {"loss", s.loss}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("mirage bench train: %s, batch %d per identity (%d faces/step), %s on %s, %d threads\n",
                t->preset.c_str(), t->batch, 2 * t->batch, s.precision.c_str(), s.device.c_str(),
                info.intra_threads);
    std::printf("  step: %.1f ms (mean of %lld after %lld warm-up)\n", ms,
                static_cast<long long>(s.timed_steps), static_cast<long long>(*warmup));
    std::printf("  throughput: %.1f samples/s, %.1f GFLOP/s (%.1f GFLOP per step)\n", samples, gflops,
                s.train_flops_per_step / 1e9);
    std::printf("  data wait: %.1f %% of step time\n", 100 * wait);
  }
  return 0;
}

}  // namespace mirage::cli
