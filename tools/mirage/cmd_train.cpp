// `mirage train`: trains the face-swap model of a project in the background thread of a Trainer,
// alone or as one rank of a data-parallel group. In a full build it goes through the workspace,
// as the studio does (one way to make, drive and stop a trainer); a model-only build (LibTorch
// alone, MIRAGE_MODEL_ONLY) has no workspace and trains on generated faces only.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/file_io.h"
#include "engine/core/format.h"
#include "engine/core/log.h"
#include "engine/model/runtime.h"
#include "engine/train/trainer.h"
#if MIRAGE_WITH_SWAP
#include "engine/workspace/workspace.h"
#endif
#include "tools/mirage/commands.h"
#include "tools/mirage/distributed_flags.h"
#include "tools/mirage/options.h"
#include "tools/mirage/trainer_flags.h"

namespace mirage::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

// What the progress loop drives: the workspace's trainer, or a model-only build's own.
// What it says (the run's description, how it ended) goes to the log ("[info] ..." on stderr).
struct TrainingRun {
  std::function<std::optional<train::TrainerStats>()> poll;  // nullopt while the trainer is being made
  std::function<bool()> ended;                               // the run is over (or never started)
  std::function<std::optional<train::PreviewImage>()> take_preview;
  std::function<void()> stop;
  std::function<Status()> finish;                            // waits for the end (and the save); the run's error
};

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

#if MIRAGE_WITH_SWAP
// The project's trainer through the workspace, the flags given applied over project.json's
// training settings (or the defaults, in a folder without one).
Result<TrainingRun> start_run(const Options& options, const train::TrainerOptions& flags,
                              const std::function<void(train::TrainerOptions&)>& limits, int threads) {
  const std::filesystem::path project = options.get("--project");
  workspace::WorkspaceOptions wo{.open_player = false, .allow_new_folder = true,
                                 .device = flags.device, .distributed = flags.distributed};
  auto opened = workspace::Workspace::open(project, wo);
  if (!opened) return std::unexpected(opened.error());
  std::shared_ptr<workspace::Workspace> ws(std::move(*opened));
  (void)ws->take_messages();  // "no project.json yet": nothing to say on the command line
  workspace::TrainingRequest request;
  if (options.has("--a")) request.faces_a = options.get("--a");
  if (options.has("--b")) request.faces_b = options.get("--b");
  request.holdout = static_cast<int>(*options.get_int("--holdout", 0, 1000));
  request.synthetic_faces = options.has("--synthetic") ? static_cast<int>(*options.get_int("--synthetic", 1, 100000)) : 0;
  request.threads = threads;
  request.adjust = [&options, flags, limits](train::TrainerOptions& t) {
    if (options.has("--preset")) t.preset = flags.preset;
    if (options.has("--batch")) t.batch = flags.batch;
    if (options.has("--gan")) t.gan = true;
    if (options.has("--no-warp")) t.augment.warp = false;
    if (options.has("--no-balance-pose")) t.augment.balance_pose = false;
    if (options.has("--save-every")) t.save_every = flags.save_every;
    if (options.has("--lr")) t.learning_rate = flags.learning_rate;
    t.device = flags.device;
    t.precision = flags.precision;
    t.seed = flags.seed;
    t.data_threads = flags.data_threads;
    t.channels_last = flags.channels_last;
    t.snapshot_every = 0;  // nobody plays the weights here
    t.schedule = "cosine";
    t.warmup_steps = flags.warmup_steps;
    limits(t);
  };
  if (auto s = ws->start_training(request); !s) return std::unexpected(s.error());
  TrainingRun run;
  run.poll = [ws]() -> std::optional<train::TrainerStats> {
    ws->tick();
    const workspace::TrainingStatus t = ws->training();
    if (t.starting) return std::nullopt;
    return t.stats;
  };
  run.ended = [ws] { return ws->training().ended; };
  run.take_preview = [ws]() -> std::optional<train::PreviewImage> {
    auto preview = ws->take_preview();
    if (!preview) return std::nullopt;
    train::PreviewImage image{.step = preview->step, .width = preview->rgba.width(), .height = preview->rgba.height()};
    image.rgb.reserve(static_cast<std::size_t>(image.width) * image.height * 3);
    const auto bytes = preview->rgba.bytes();
    for (std::size_t i = 0; i + 3 < bytes.size(); i += 4) image.rgb.insert(image.rgb.end(), {bytes[i], bytes[i + 1], bytes[i + 2]});
    return image;
  };
  run.stop = [ws] { ws->stop_training(); };
  run.finish = [ws] { return ws->finish_training(); };
  return run;
}
#else
// A model-only build: generated faces, the trainer made here.
Result<TrainingRun> start_run(const Options& options, const train::TrainerOptions& flags,
                              const std::function<void(train::TrainerOptions&)>& limits, int threads) {
  if (!options.has("--synthetic")) {
    return fail(ErrorCode::kUnsupported, "this build has no face-set support (MIRAGE_MODEL_ONLY); use --synthetic N");
  }
  if (auto s = model::configure_runtime(std::max(0, threads)); !s) return std::unexpected(s.error());
  const int count = static_cast<int>(*options.get_int("--synthetic", 1, 100000));
  train::TrainerOptions t = flags;
  t.model_dir = std::filesystem::path(options.get("--project")) / "model";
  limits(t);
  auto a = std::make_shared<const train::FaceBank>(train::synthetic_faces(count, 256, 0));
  auto b = std::make_shared<const train::FaceBank>(train::synthetic_faces(count, 256, 1));
  auto made = train::Trainer::create(t, a, b);
  if (!made) return std::unexpected(made.error());
  std::shared_ptr<train::Trainer> trainer(std::move(*made));
  const train::TrainerStats first = trainer->stats();
  log::info("{} preset, {} generated faces per identity, batch {}, {} on {}, from step {}", t.preset, count, t.batch,
            first.precision, first.device, first.step);
  trainer->start();
  TrainingRun run;
  run.poll = [trainer] { return std::optional<train::TrainerStats>(trainer->stats()); };
  run.ended = [trainer] { return trainer->stats().finished; };
  run.take_preview = [trainer] { return trainer->take_preview(); };
  run.stop = [trainer] { trainer->send(train::Stop{}); };
  run.finish = [trainer] {
    trainer->send(train::Stop{});
    return trainer->wait();
  };
  return run;
}
#endif

}  // namespace

int run_train(const Args& args) {
  Options options("train");
  options.add("--project", "", "project folder (faces/a, faces/b; writes model/; project.json's training settings, flags win)");
  options.add("--a", "", "face set of identity A (default <project>/faces/a)");
  options.add("--b", "", "face set of identity B (default <project>/faces/b)");
  options.add("--minutes", "0", "stop after this many minutes (0: no limit)");
  options.add("--steps", "0", "stop after this step (0: no limit)");
  options.add("--lr", "0", "learning rate (cosine schedule over --minutes/--steps); 0: the preset's (3e-3 for lite, 1e-3 for lite-d and lite-liae, 3e-4 for original and hd)");
  options.add("--save-every", "500", "steps between checkpoints");
  options.add("--keep", "3", "checkpoints kept in <project>/model");
  options.add("--preview-every", "200", "steps between previews (<project>/model/preview.png)");
  options.add("--holdout", "0", "hold every Nth face out of training and report A->A PSNR on them");
  options.add("--eval-every", "500", "steps between held-out PSNR measurements");
  options.add("--warp-until", "0.75", "turn random_warp off after this share of a --minutes/--steps run (0-1)");
  options.add("--decay-from", "0", "hold the learning rate until this share of the run, then the cosine decay (0-0.99)");
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
  const auto synthetic = options.get_int("--synthetic", 0, 100000);
  const auto warp_until = options.get_double("--warp-until", 0, 1);
  if (!warp_until) return usage_error(options, warp_until.error());
  const auto decay_from = options.get_double("--decay-from", 0, 0.99);
  if (!decay_from) return usage_error(options, decay_from.error());
  const auto progress_every = options.get_double("--progress-every", 0, 3600);
  if (!progress_every) return usage_error(options, progress_every.error());
  if (!trainer_options) return usage_error(options, trainer_options.error());
  if (!minutes) return usage_error(options, minutes.error());
  if (!lr) return usage_error(options, lr.error());
  for (const auto* v : {&steps, &save_every, &keep, &preview_every, &holdout, &eval_every, &synthetic}) {
    if (!*v) return usage_error(options, v->error());
  }
  if (*holdout == 1) {
    return usage_error(options, Error{ErrorCode::kInvalidArgument, "--holdout must be 0 or at least 2"});
  }
  train::TrainerOptions& t = *trainer_options;
  t.learning_rate = *lr > 0 ? *lr : -1;  // 0 on the command line: the preset's
  t.save_every = static_cast<int>(*save_every);
  auto group = read_distributed_options(options);
  if (!group) return usage_error(options, group.error());
  t.distributed = *group;
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  if (!threads) return usage_error(options, threads.error());
  // What only a command-line run sets: its limits and what it writes beside the checkpoints.
  const auto limits = [&](train::TrainerOptions& o) {
    o.max_minutes = *minutes;
    o.max_steps = *steps;
    o.keep = static_cast<int>(*keep);
    o.preview_every = static_cast<int>(*preview_every);
    o.eval_every = static_cast<int>(*eval_every);
    o.warp_until = *warp_until;
    o.decay_from = *decay_from;
  };
  if (t.distributed.active()) {
    std::fprintf(stderr, "mirage train: rank %d of %d, waiting for the group at %s:%d (up to %g s)\n",
                 t.distributed.rank, t.distributed.world_size, t.distributed.master_host.c_str(),
                 t.distributed.master_port, t.distributed.timeout_s);
  }
  auto run = start_run(options, t, limits, static_cast<int>(*threads));
  if (!run) return command_error(options.command(), run.error());
  const std::filesystem::path model_dir = std::filesystem::path(options.get("--project")) / "model";

  g_interrupted.store(false);
  const auto previous_handler = std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  bool stop_sent = false;
  auto last_print = std::chrono::steady_clock::now();
  const bool quiet = options.has("--quiet");
  std::optional<train::TrainerStats> s;
  const auto say = [&](const std::string& line) {
    std::fprintf(stderr, "%smirage train: %s\n", ::isatty(STDERR_FILENO) == 1 && s ? "\r\033[K" : "", line.c_str());
  };
  for (;;) {
    s = run->poll();
    if (auto preview = run->take_preview()) {
      if (auto st = write_file_atomic(model_dir / "preview.png", train::encode_png(*preview)); !st) {
        say(format("warning: {}", st.error().message));
      }
    }
    if (run->ended()) break;
    if (g_interrupted.load() && !stop_sent) {
      say("stopping (saving the checkpoint)...");
      run->stop();
      stop_sent = true;
    }
    // Off a terminal every line stays in the log: one each 10 s instead of each second.
    const std::chrono::duration<double> every(*progress_every > 0 ? *progress_every
                                              : ::isatty(STDERR_FILENO) == 1 ? 1.0 : 10.0);
    if (s && !quiet && std::chrono::steady_clock::now() - last_print > every) {
      print_progress(*s, false);
      last_print = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(*progress_every > 0 && *progress_every < 0.1 ? 20 : 100));
  }
  const Status result = run->finish();
  std::signal(SIGINT, previous_handler);
  std::signal(SIGTERM, SIG_DFL);
  s = run->poll();
  if (!result) return command_error(options.command(), result.error());
  if (!s) return command_error(options.command(), {ErrorCode::kInternal, "the trainer never started"});
  if (!quiet) print_progress(*s, true);
  if (t.distributed.rank != 0) {
    std::fprintf(stderr, "mirage train: rank %d done at step %lld (rank 0 saves)\n", t.distributed.rank,
                 static_cast<long long>(s->step));
    return 0;
  }
  std::fprintf(stderr, "mirage train: step %lld saved in %s (%lld steps dropped by the NaN guard)\n",
               static_cast<long long>(s->saved_step), model_dir.string().c_str(),
               static_cast<long long>(s->rejected_steps));
  return 0;
}

}  // namespace mirage::cli
