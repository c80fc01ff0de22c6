#include "engine/workspace/workspace.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <mutex>

#include "engine/core/clock.h"
#include "engine/core/format.h"
#include "engine/core/log.h"
#include "engine/core/worker.h"
#include "engine/model/runtime.h"
#include "engine/model/weight_snapshot.h"
#include "engine/swap/convert.h"
#include "engine/swap/identity_classifier.h"
#include "engine/swap/model_swapper.h"
#include "engine/train/face_set_data.h"
#include "engine/train/trainer.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxHistory = 200000;
constexpr double kSaveDebounceS = 1.0;
// How much training yields to the player and the UI while they run (see start_training()).
constexpr int kTrainingNice = 5;

double now_s() {
  static const auto start = Clock::now();
  return seconds_since(start);
}

}  // namespace

struct Workspace::Training {
  std::shared_ptr<train::Trainer> trainer;  // shared with the player's snapshot source
  std::vector<TrainingPoint> history;
  std::int64_t last_step = -1;
  Clock::time_point last_snapshot_request = Clock::now();
  bool finished_reported = false;
};

// A group's trainer being made on a thread of its own (the rendezvous can take until the timeout).
struct Workspace::PendingTrainer {
  std::atomic<bool> done{false};
  Result<std::unique_ptr<train::Trainer>> result = fail(ErrorCode::kInternal, "the trainer was not made");
  std::string description;
  std::thread maker;
  ~PendingTrainer() {
    if (maker.joinable()) maker.join();
  }
};

struct Workspace::Recorder {
  std::atomic<bool> cancel{false};
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> frames_done{0};
  std::atomic<std::int64_t> frames_expected{-1};
  fs::path output;
  mutable std::mutex mutex;
  std::string result;
  bool succeeded = false;
  bool reported = false;
  std::unique_ptr<swap::LiveSwapper> model;
  std::optional<swap::IdentityClassifier> classifier;
  Worker thread;  // last: stopped first
};

Workspace::Workspace(Project project, WorkspaceOptions options)
    : project_(std::move(project)), options_(std::move(options)), settings_(project_.settings()) {}

Result<std::unique_ptr<Workspace>> Workspace::open(const fs::path& folder, const WorkspaceOptions& options) {
  auto project = Project::open(folder);
  if (!project) return std::unexpected(project.error());
  std::unique_ptr<Workspace> ws(new Workspace(std::move(*project), options));
  if (!ws->project_.has_file()) ws->say(format("{}: no project.json yet; it is written on the first change", folder.string()));
  if (options.open_player) {
    if (ws->settings_.source.empty()) {
      ws->say("the project has no target video: nothing to play");
    } else {
      PlayerOptions player_options{.source = ws->project_.source(), .settings = ws->settings_.player,
                                   .composite = ws->settings_.composite};
      player_options.faces_a = ws->project_.faces_a();
      player_options.faces_b = ws->project_.faces_b();
      auto player = Player::open(player_options);
      if (player) {
        ws->player_ = std::move(*player);
        // Until training runs, the newest checkpoint (if any) does the swapping.
        if (auto model = swap::LiveSwapper::load(ws->project_.model_dir(), "cpu")) {
          ws->player_->set_model(std::shared_ptr<swap::LiveSwapper>(std::move(*model)));
        }
      } else {
        ws->say(format("cannot play {}: {}", ws->project_.source().string(), player.error().message));
      }
    }
  }
  return ws;
}

Workspace::~Workspace() {
  if (recorder_) {
    recorder_->cancel = true;
    recorder_->thread.stop();
  }
  player_.reset();
  if (settings_dirty_) {
    if (auto s = project_.save(settings_); !s) log::error("settings not saved: {}", s.error().message);
  }
  if (training_ && training_->trainer) {
    training_->trainer->send(train::Stop{});
    (void)training_->trainer->wait();
  }
}

void Workspace::say(std::string message) {
  log::info("{}", message);
  messages_.push_back(std::move(message));
  if (messages_.size() > 1000) messages_.pop_front();
}

std::vector<std::string> Workspace::take_messages() {
  std::vector<std::string> out(messages_.begin(), messages_.end());
  messages_.clear();
  return out;
}

Status Workspace::start_training() {
  if (training_ && training_->trainer && !training_->trainer->stats().finished) {
    return fail(ErrorCode::kInvalidArgument, "training is already running");
  }
  if (pending_) return fail(ErrorCode::kInvalidArgument, "training is already waiting for its group");
  auto a = train::load_face_bank(project_.faces_a(), 0);
  if (!a) return std::unexpected(a.error().with_context("face set A"));
  auto b = train::load_face_bank(project_.faces_b(), 0);
  if (!b) return std::unexpected(b.error().with_context("face set B"));
  train::TrainerOptions o;
  o.preset = settings_.train.preset;
  o.model_dir = project_.model_dir();
  o.batch = settings_.train.batch;
  o.device = options_.device;
  o.learning_rate = settings_.train.learning_rate > 0 ? settings_.train.learning_rate : -1;  // 0: the preset's
  o.gan = settings_.train.gan;
  o.augment.warp = settings_.train.warp;
  o.save_every = settings_.train.save_every;
  o.snapshot_every = settings_.player.snapshot_every_steps;
  o.preview_every = 100;
  o.schedule = "constant";  // an open-ended run: no end to decay towards
  o.warmup_steps = 50;
  o.distributed = options_.distributed;
  // Sharing a small CPU: with the player on, training keeps all cores but one, which the player
  // (decode, track, infer on one thread, composite) has to itself; alone it takes every core.
  // The trainer's OpenMP team is made on its own set-up thread, which picks this count up.
  const int cores = model::available_cores();
  const int train_threads = player_ && cores > 1 ? cores - 1 : cores;
  if (auto s = model::configure_runtime(train_threads); !s) return s;
  // The trainer's threads (its own, its OpenMP team, its data threads) inherit the niceness of
  // the thread that creates them: made from a helper thread at kTrainingNice, they yield to the
  // player and the UI when those need the CPU, and take whatever is left.
  const int nice = player_ ? kTrainingNice : 0;
  auto pending = std::make_unique<PendingTrainer>();
  pending->description = format("training {} on {} + {} faces ({} of {} cores{})", o.preset,
                                project_.faces_a().filename().string(), project_.faces_b().filename().string(),
                                train_threads, cores,
                                o.distributed.active() ? format(", rank {} of {}", o.distributed.rank,
                                                                o.distributed.world_size)
                                                       : std::string());
  PendingTrainer* p = pending.get();
  p->maker = std::thread([p, nice, o, fa = std::make_shared<const train::FaceBank>(std::move(a->train)),
                          fb = std::make_shared<const train::FaceBank>(std::move(b->train))] {
    if (nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
    p->result = train::Trainer::create(o, fa, fb);
    if (p->result) (*p->result)->start();
    p->done = true;
  });
  if (o.distributed.active()) {
    say(format("waiting for the {} ranks at {}:{} (up to {:g} s)", o.distributed.world_size,
               o.distributed.master_host, o.distributed.master_port, o.distributed.timeout_s));
    pending_ = std::move(pending);
    return ok();
  }
  p->maker.join();
  if (!p->result) return std::unexpected(p->result.error());
  adopt(std::move(*p->result), p->description);
  return ok();
}

void Workspace::adopt(std::unique_ptr<train::Trainer> trainer, const std::string& description) {
  training_ = std::make_unique<Training>();
  training_->trainer = std::shared_ptr<train::Trainer>(std::move(trainer));
  training_->trainer->send(train::RequestSnapshot{});
  if (player_) {
    std::shared_ptr<train::Trainer> shared = training_->trainer;
    player_->set_snapshots({.version = [shared] { return shared->snapshot_version(); },
                            .latest = [shared] { return shared->latest_snapshot(); }});
  }
  say(description);
}

void Workspace::pause_training() {
  if (training_) training_->trainer->send(train::Pause{});
}
void Workspace::resume_training() {
  if (training_) training_->trainer->send(train::Resume{});
}
void Workspace::save_training() {
  if (training_) training_->trainer->send(train::Save{});
}

Status Workspace::stop_training() {
  if (!training_) return ok();
  training_->trainer->send(train::Stop{});
  Status s = training_->trainer->wait();
  const train::TrainerStats last = training_->trainer->stats();
  training_->finished_reported = true;
  say(s ? format("training stopped at step {} (saved)", last.step) : s.error().message);
  return s;
}

void Workspace::set_learning_rate(double value) {
  if (value > 0 && value < 1) {
    settings_.train.learning_rate = value;
    settings_dirty_ = true;
    if (training_) training_->trainer->send(train::SetLearningRate{value});
  }
}

void Workspace::set_gan(bool on) {
  settings_.train.gan = on;
  settings_dirty_ = true;
  if (training_) training_->trainer->send(train::SetGan{on});
}

void Workspace::set_warp(bool on) {
  settings_.train.warp = on;
  settings_dirty_ = true;
  if (training_) training_->trainer->send(train::SetWarp{on});
}

TrainingStatus Workspace::training() const {
  TrainingStatus t;
  t.connecting = pending_ != nullptr;
  if (t.connecting) t.world_size = options_.distributed.world_size;
  if (!training_) return t;
  const train::TrainerStats s = training_->trainer->stats();
  t.running = !s.finished;
  t.paused = s.paused;
  t.step = s.step;
  t.saved_step = s.saved_step;
  t.loss = s.loss;
  t.loss_a = s.loss_a;
  t.loss_b = s.loss_b;
  t.eval_psnr_a = s.eval_psnr_a;
  t.learning_rate = s.learning_rate;
  t.steps_per_second = s.step_ms > 0 ? 1000.0 / s.step_ms : 0;
  t.samples_per_second = s.samples_per_second;
  t.data_wait_share = s.data_wait_share;
  t.elapsed_s = s.elapsed_s;
  t.gan = s.gan;
  t.warp = s.warp;
  t.device = s.device;
  t.world_size = s.world_size;
  t.rank_steps_per_second = s.rank_steps_per_second;
  t.reduce_wait_share = s.reduce_wait_share;
  return t;
}

std::vector<TrainingPoint> Workspace::history() const {
  return training_ ? training_->history : std::vector<TrainingPoint>{};
}

std::optional<Workspace::Preview> Workspace::take_preview() {
  if (!training_) return std::nullopt;
  auto preview = training_->trainer->take_preview();
  if (!preview) return std::nullopt;
  Preview out{Image(preview->width, preview->height, PixelFormat::kRgba8), preview->step};
  const std::size_t pixels = static_cast<std::size_t>(preview->width) * static_cast<std::size_t>(preview->height);
  for (std::size_t i = 0; i < pixels; ++i) {
    for (std::size_t c = 0; c < 3; ++c) out.rgba.bytes()[i * 4 + c] = preview->rgb[i * 3 + c];
    out.rgba.bytes()[i * 4 + 3] = 255;
  }
  return out;
}

Status Workspace::set_composite(const CompositeOptions& options) {
  if (auto s = validate(options); !s) return s;
  if (player_) {
    if (auto s = player_->set_composite(options); !s) return s;
  }
  settings_.composite = options;
  settings_dirty_ = true;
  return ok();
}

Status Workspace::set_player_settings(const PlayerSettings& settings) {
  if (settings.snapshot_every_steps < 1 || !(settings.snapshot_every_s >= 0.1)) {
    return fail(ErrorCode::kInvalidArgument, "snapshots: at least every step and every 0.1 s");
  }
  if (player_) {
    player_->set_loop(settings.loop);
    player_->set_mode(settings.mode);
    player_->set_target(settings.to);
    player_->set_label(settings.label);
  }
  settings_.player = settings;
  settings_dirty_ = true;
  return ok();
}

Status Workspace::start_recording(const fs::path& output, double start_s, double end_s) {
  if (recorder_ && !recorder_->done) return fail(ErrorCode::kInvalidArgument, "a recording is running already");
  if (settings_.source.empty()) return fail(ErrorCode::kInvalidArgument, "the project has no target video to record");
  std::error_code ec;
  if (fs::exists(output, ec)) return fail(ErrorCode::kIo, "{} exists: choose another name", output.string());
  if (output.has_parent_path()) {
    fs::create_directories(output.parent_path(), ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", output.parent_path().string(), ec.message());
  }
  auto recorder = std::make_unique<Recorder>();
  // The weights of this moment, fixed for the whole clip.
  std::shared_ptr<const model::WeightSnapshot> snapshot = training_ ? training_->trainer->latest_snapshot() : nullptr;
  auto model = snapshot ? swap::LiveSwapper::from_snapshot(*snapshot, "cpu")
                        : swap::LiveSwapper::load(project_.model_dir(), "cpu");
  if (!model) return std::unexpected(model.error().with_context("the recording's model"));
  recorder->model = std::move(*model);
  swap::ConvertOptions o;
  o.input = project_.source();
  o.output = output;
  o.to = static_cast<int>(settings_.player.to);
  if (settings_.player.to == SwapTo::kBoth) {
    auto classifier = swap::classifier_from_face_sets(project_.faces_a(), project_.faces_b());
    if (!classifier) return std::unexpected(classifier.error().with_context("telling A from B"));
    recorder->classifier.emplace(std::move(*classifier));
    Recorder* raw = recorder.get();
    o.identity_of = [raw](const cv::Mat& face) { return raw->classifier->predict(face); };
  }
  o.start_s = start_s;
  o.end_s = end_s;
  o.swapper.composite = settings_.composite;
  o.label = true;
  o.model_on_one_thread = true;
  recorder->output = output;
  Recorder* raw = recorder.get();
  recorder->thread = Worker("recorder", [raw, o](std::stop_token) {
    swap::ConvertCallbacks callbacks;
    callbacks.on_progress = [raw](const swap::ConvertProgress& p) {
      raw->frames_done = p.frames_done;
      raw->frames_expected = p.frames_expected;
    };
    callbacks.cancelled = [raw] { return raw->cancel.load(); };
    auto summary = swap::convert_video(o, *raw->model, callbacks);
    {
      const std::lock_guard lock(raw->mutex);
      raw->succeeded = summary.has_value();
      raw->result = summary ? format("wrote {} ({} frames, {} faces swapped)", o.output.string(), summary->frames_written,
                                     summary->faces_swapped)
                            : format("recording {}: {}", o.output.string(), summary.error().message);
    }
    raw->done = true;
  });
  recorder_ = std::move(recorder);
  say(format("recording {}", output.string()));
  return ok();
}

void Workspace::cancel_recording() {
  if (recorder_) recorder_->cancel = true;
}

RecorderStatus Workspace::recording() const {
  RecorderStatus r;
  if (!recorder_) return r;
  r.running = !recorder_->done;
  r.frames_done = recorder_->frames_done;
  r.frames_expected = recorder_->frames_expected;
  r.output = recorder_->output;
  const std::lock_guard lock(recorder_->mutex);
  r.result = recorder_->result;
  r.succeeded = recorder_->succeeded;
  return r;
}

void Workspace::tick() {
  if (pending_ && pending_->done) {
    pending_->maker.join();
    if (pending_->result) {
      adopt(std::move(*pending_->result), pending_->description);
    } else {
      say(pending_->result.error().message);
    }
    pending_.reset();
  }
  if (training_) {
    const train::TrainerStats s = training_->trainer->stats();
    if (s.step != training_->last_step && s.step > 0) {
      training_->last_step = s.step;
      if (training_->history.size() < kMaxHistory) {
        training_->history.push_back({s.step, s.loss, s.loss_a, s.loss_b, s.eval_psnr_a, s.elapsed_s});
      }
    }
    if (!s.finished && seconds_since(training_->last_snapshot_request) >= settings_.player.snapshot_every_s) {
      training_->trainer->send(train::RequestSnapshot{});
      training_->last_snapshot_request = Clock::now();
    }
    if (s.finished && !training_->finished_reported) {
      training_->finished_reported = true;
      const Status result = training_->trainer->wait();
      say(result ? format("training ended at step {}", s.step) : result.error().message);
    }
  }
  if (settings_dirty_ && now_s() - last_saved_s_ >= kSaveDebounceS) {
    settings_dirty_ = false;
    last_saved_s_ = now_s();
    if (auto s = project_.save(settings_); !s) say(format("settings not saved: {}", s.error().message));
  }
  if (recorder_ && recorder_->done && !recorder_->reported) {
    recorder_->reported = true;
    recorder_->thread.join();
    const std::lock_guard lock(recorder_->mutex);
    say(recorder_->result);
  }
  if (player_) {
    // A player error is said once.
    const std::string error = player_->stats().error;
    if (!error.empty() && error != last_player_error_) say(error);
    last_player_error_ = error;
  }
}

}  // namespace mirage::workspace
