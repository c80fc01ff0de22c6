// `mirage train`: trains the face-swap model of a project in the background thread of a Trainer,
// alone or as one rank of a data-parallel group.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "engine/core/file_io.h"
#include "engine/model/runtime.h"
#include "engine/train/trainer.h"
#if MIRAGE_TRAIN_WITH_FACES
#include "engine/train/face_set_data.h"
#endif
#include "tools/mirage/commands.h"
#include "tools/mirage/distributed_flags.h"
#include "tools/mirage/options.h"
#include "tools/mirage/trainer_flags.h"

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
// "  2 ranks (1.9, 2.0 it/s), all-reduce 12%": a group's size, every rank's speed, the wait.
std::string group_text(const train::TrainerStats& s) {
  if (s.world_size <= 1) return "";
  std::string speeds;
  for (const double r : s.rank_steps_per_second) speeds += format("{}{:.2f}", speeds.empty() ? "" : ", ", r);
  return format("  {} ranks ({} it/s), all-reduce {:.0f}%", s.world_size, speeds, 100 * s.reduce_wait_share);
}

void print_progress(const train::TrainerStats& s, bool final_line) {
  static const bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::fprintf(stderr,
               "%sstep %lld  %.2f it/s  %.1f faces/s  loss %.4f (A %.4f, B %.4f)  ssim %.4f  "
               "mask %.4f  lr %.2e  wait %.0f%%%s%s%s",
               terminal ? "\r" : "", static_cast<long long>(s.step), s.step_ms > 0 ? 1000.0 / s.step_ms : 0.0,
               s.samples_per_second, s.loss, s.loss_a, s.loss_b, s.ssim, s.mask, s.learning_rate,
               100 * s.data_wait_share,
               group_text(s).c_str(),
               s.eval_psnr_a > 0 ? format("  held-out A->A {:.2f} dB", s.eval_psnr_a).c_str() : "",
               final_line || !terminal ? "\n" : "   ");
  std::fflush(stderr);
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
  add_trainer_options(options);
  add_distributed_options(options);
  options.flag("--quiet", "no progress line");
  options.add("--progress-every", "0", "seconds between progress lines (0: 1 on a terminal, 10 off it)");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("%s", options.usage().c_str());
    return 0;
  }
  if (!options.has("--project")) {
    return usage_error(options, Error{ErrorCode::kInvalidArgument, "--project is required"});
  }
  auto trainer_options = read_trainer_options(options);
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
  const auto progress_every = options.get_double("--progress-every", 0, 3600);
  if (!progress_every) return usage_error(options, progress_every.error());
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
  auto group = read_distributed_options(options);
  if (!group) return usage_error(options, group.error());
  t.distributed = *group;
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  if (!threads) return usage_error(options, threads.error());
  if (auto status = model::configure_runtime(static_cast<int>(*threads)); !status) {
    return command_error(options.command(), status.error());
  }

  auto faces = load_faces(options, project, static_cast<int>(*holdout), 64);
  if (!faces) return command_error(options.command(), faces.error());
  if (t.distributed.active()) {
    std::fprintf(stderr, "mirage train: rank %d of %d, waiting for the group at %s:%d (up to %g s)\n",
                 t.distributed.rank, t.distributed.world_size, t.distributed.master_host.c_str(),
                 t.distributed.master_port, t.distributed.timeout_s);
  }
  auto trainer = train::Trainer::create(t, faces->a, faces->b, faces->eval_a);
  if (!trainer) return command_error(options.command(), trainer.error());
  const train::TrainerStats first = (*trainer)->stats();
  std::fprintf(stderr, "mirage train: %s preset, %zu + %zu faces%s, batch %d per identity%s, %s on %s, from step %lld\n",
               t.preset.c_str(), faces->a->size(), faces->b->size(),
               faces->eval_a ? format(" ({} A held out)", faces->eval_a->size()).c_str() : "",
               t.batch, t.distributed.active() ? format(" on each of {} ranks", t.distributed.world_size).c_str() : "",
               first.precision.c_str(), first.device.c_str(), static_cast<long long>(first.step));

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
    const std::chrono::duration<double> every(*progress_every > 0 ? *progress_every
                                              : ::isatty(STDERR_FILENO) == 1 ? 1.0 : 10.0);
    if (!quiet && std::chrono::steady_clock::now() - last_print > every) {
      print_progress(s, false);
      last_print = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(*progress_every > 0 && *progress_every < 0.1 ? 20 : 100));
  }
  const Status result = (*trainer)->wait();
  std::signal(SIGINT, previous_handler);
  std::signal(SIGTERM, SIG_DFL);
  const train::TrainerStats s = (*trainer)->stats();
  if (!quiet) print_progress(s, true);
  if (!result) return command_error(options.command(), result.error());
  if (t.distributed.rank != 0) {
    std::fprintf(stderr, "mirage train: rank %d done at step %lld (rank 0 saves)\n", t.distributed.rank,
                 static_cast<long long>(s.step));
    return 0;
  }
  std::fprintf(stderr, "mirage train: step %lld saved in %s (%lld steps dropped by the NaN guard)\n",
               static_cast<long long>(s.saved_step), t.model_dir.string().c_str(),
               static_cast<long long>(s.rejected_steps));
  return 0;
}

}  // namespace mirage::cli
