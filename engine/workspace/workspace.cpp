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
#include "engine/face/face_set.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/runtime.h"
#include "engine/model/weight_snapshot.h"
#include "engine/swap/model_swapper.h"
#include "engine/train/face_set_data.h"
#include "engine/workspace/recording.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxHistory = 200000;
constexpr double kSaveDebounceS = 1.0;
constexpr int kThumbnailSide = 96;  // the face browser's thumbnails
// How much training yields to the player and the UI while they run (see start_training()).
constexpr int kTrainingNice = 5;

double now_s() {
  static const auto start = Clock::now();
  return seconds_since(start);
}

// "training stopped at step 120 (saved)", or with nothing trained "... (nothing to save)".
std::string ended_line(const train::TrainerStats& s, bool stopped) {
  return format("training {} at step {} ({})", stopped ? "stopped" : "ended", s.step,
                s.saved_step == s.step ? "saved" : s.saved_step < 0 ? "nothing to save" : format("step {} saved", s.saved_step));
}

}  // namespace

struct Workspace::Training {
  std::shared_ptr<train::Trainer> trainer;  // shared with the player's snapshot source
  std::vector<TrainingPoint> history;
  std::int64_t last_step = -1;
  Clock::time_point last_snapshot_request = Clock::now();
  bool stop_sent = false;
  bool finished_reported = false;
  std::optional<Error> failure;  // how the run ended, once it has (tick() or finish_training())
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

Workspace::Workspace(Project project, WorkspaceOptions options)
    : project_(std::move(project)),
      options_(std::move(options)),
      settings_(project_.settings()),
      faces_(project_.folder() / "faces"),
      face_jobs_(std::make_unique<FaceJobs>()) {}

Result<std::unique_ptr<Workspace>> Workspace::create(const fs::path& folder, const NewProject& sources,
                                                     const WorkspaceOptions& options) {
  std::error_code ec;
  for (const fs::path& source : [&] {
         std::vector<fs::path> all{sources.target};
         all.insert(all.end(), sources.b_sources.begin(), sources.b_sources.end());
         return all;
       }()) {
    if (source.empty() || !fs::exists(source, ec)) {
      return fail(ErrorCode::kNotFound, "no such video, image or folder: {}", source.empty() ? "(none given)" : source.string());
    }
  }
  if (sources.b_sources.empty()) return fail(ErrorCode::kInvalidArgument, "no source of B's faces given");
  ProjectSettings settings;
  settings.source = fs::absolute(sources.target, ec).lexically_normal();
  if (auto made = Project::create(folder, settings); !made) return std::unexpected(made.error());
  auto ws = open(folder, options);
  if (!ws) return ws;
  (*ws)->extract_faces(sources.target, "a");
  for (const fs::path& b : sources.b_sources) (*ws)->extract_faces(fs::absolute(b, ec), "b");
  return ws;
}

void Workspace::extract_faces(const fs::path& source, const std::string& set) {
  face_jobs_->extract(source, faces_.folder(set), set);
  say(format("extracting the faces of {} into faces/{} (queued)", source.filename().string(), set));
}

void Workspace::sort_faces(const std::string& set, FaceOrder order) {
  (void)face_jobs_->sort(faces_.folder(set), set, order);
}

Thumbnails& Workspace::face_pictures() {
  if (!pictures_) pictures_ = std::make_unique<Thumbnails>(kThumbnailSide);
  return *pictures_;
}

void Workspace::request_face_source(const std::string& set, const std::string& file, int width) {
  if (const face::FaceRecord* record = faces_.record(set, file)) face_pictures().request_source(faces_.folder(set), *record, width);
}

Status Workspace::set_face_sets(const std::string& a, const std::string& b) {
  for (const std::string& name : {a, b}) {
    std::error_code ec;
    if (name.empty() || !fs::exists(faces_.folder(name) / face::kFaceSetFile, ec)) {
      return fail(ErrorCode::kNotFound, "faces/{} holds no face set", name.empty() ? "(none)" : name);
    }
  }
  if (a == b) return fail(ErrorCode::kInvalidArgument, "A and B must be different face sets");
  settings_.faces_a = fs::path("faces") / a;
  settings_.faces_b = fs::path("faces") / b;
  settings_dirty_ = true;
  if (training_running()) {
    say("training goes on with the faces it loaded: stop and start it to train on faces/" + a + " and faces/" + b);
  }
  return ok();
}

Result<std::unique_ptr<Workspace>> Workspace::open(const fs::path& folder, const WorkspaceOptions& options) {
  auto project = options.allow_new_folder ? Project::open_or_new(folder) : Project::open(folder);
  if (!project) return std::unexpected(project.error());
  // Torch's and OpenBLAS's threads set up before any model runs (the player's does at once): an
  // OpenBLAS pool left at its default spins on sched_yield beside the player's model.
  if (auto s = model::configure_runtime(); !s) return std::unexpected(s.error());
  std::unique_ptr<Workspace> ws(new Workspace(std::move(*project), options));
  if (!ws->project_.has_file() && options.open_player) ws->say(format("{}: no project.json yet; it is written on the first change", folder.string()));
  if (options.open_player) {
    if (ws->settings_.source.empty()) {
      ws->say("the project has no target video: nothing to play");
    } else {
      PlayerOptions player_options{.source = ws->project_.source(), .settings = ws->settings_.player,
                                   .composite = ws->settings_.composite,
                                   .pace_like_camera = options.pace_source_like_camera};
      player_options.faces_a = ws->project_.faces_a();
      player_options.faces_b = ws->project_.faces_b();
      auto player = Player::open(player_options);
      if (player) {
        ws->player_ = std::move(*player);
        // Until training runs, the newest checkpoint (if any) does the swapping.
        if (auto model = swap::LiveSwapper::load(ws->project_.model_dir(), "cpu")) {
          ws->player_->set_model(std::shared_ptr<swap::LiveSwapper>(std::move(*model)));
        } else if (model.error().code != ErrorCode::kNotFound) {
          ws->say(format("the saved model cannot swap: {}", model.error().message));  // no model yet is no news
        }
      } else {
        ws->say(format("cannot play {}: {}", ws->project_.source().string(), player.error().message));
      }
    }
  }
  return ws;
}

Workspace::~Workspace() {
  recorder_.reset();  // cancels: no partial clip
  player_.reset();
  if (settings_dirty_) {
    if (auto s = project_.save(settings_); !s) log::error("settings not saved: {}", s.error().message);
  }
  (void)finish_training();  // its outcome is said (logged) as it happens
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

Status Workspace::start_training(const TrainingRequest& request) {
  if (training_ && !training_->trainer->stats().finished) {
    return fail(ErrorCode::kInvalidArgument, "training is already running");
  }
  if (pending_) return fail(ErrorCode::kInvalidArgument, "training is already starting");
  start_failure_.reset();
  const fs::path faces_a = request.faces_a.empty() ? project_.resolve(settings_.faces_a) : request.faces_a;
  const fs::path faces_b = request.faces_b.empty() ? project_.resolve(settings_.faces_b) : request.faces_b;
  if (request.synthetic_faces <= 0) {
    // What can be known at once is said at once; loading the faces themselves takes seconds.
    for (const auto& [name, folder] : {std::pair{"face set A", faces_a}, std::pair{"face set B", faces_b}}) {
      std::error_code ec;
      if (!fs::exists(folder / "faceset.json", ec)) {
        return fail(ErrorCode::kNotFound, "{}: {} holds no face set (faceset.json)", name, folder.string());
      }
    }
  }
  if (request.holdout == 1) return fail(ErrorCode::kInvalidArgument, "hold-out must be 0 or at least 2");
  train::TrainerOptions o;
  o.preset = settings_.train.preset;
  o.model_dir = project_.model_dir();
  o.batch = settings_.train.batch;
  o.device = options_.device;
  o.learning_rate = settings_.train.learning_rate > 0 ? settings_.train.learning_rate : -1;  // 0: the preset's
  o.weights = settings_.train.loss_weights;
  o.gan = settings_.train.gan;
  o.augment.warp = settings_.train.warp;
  o.save_every = settings_.train.save_every;
  o.snapshot_every = settings_.player.snapshot_every_steps;
  o.preview_every = 100;
  o.schedule = "constant";  // an open-ended run: no end to decay towards
  o.warmup_steps = 50;
  o.distributed = options_.distributed;
  o.debug_stall_step = options_.debug_stall_step;
  if (request.adjust) request.adjust(o);
  // Sharing a small CPU: with the player on, training keeps all cores but one, which the player
  // (decode, track, infer on one thread, composite) has to itself; alone it takes every core.
  // The trainer's OpenMP team is made on its own set-up thread, which picks this count up.
  const int cores = model::available_cores();
  const int train_threads = request.threads >= 0 ? request.threads : player_ && cores > 1 ? cores - 1 : cores;
  if (auto s = model::configure_runtime(train_threads); !s) return s;
  const int threads_in_use = model::runtime_info().intra_threads;  // 0 above: MIRAGE_THREADS or every core
  // The trainer's threads (its own, its OpenMP team, its data threads) inherit the niceness of
  // the thread that creates them: made from a helper thread at kTrainingNice, they yield to the
  // player and the UI when those need the CPU, and take whatever is left.
  const int nice = player_ ? kTrainingNice : 0;
  auto pending = std::make_unique<PendingTrainer>();
  PendingTrainer* p = pending.get();
  const std::string group = o.distributed.active()
                                ? format(", rank {} of {}", o.distributed.rank, o.distributed.world_size)
                                : std::string();
  p->maker = std::thread([p, nice, o, request, faces_a, faces_b, group, threads = threads_in_use, cores] {
    if (nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
    std::shared_ptr<const train::FaceBank> a, b, eval_a;
    std::string faces;
    if (request.synthetic_faces > 0) {
      const int size = 256;
      a = std::make_shared<const train::FaceBank>(train::synthetic_faces(request.synthetic_faces, size, 0));
      b = std::make_shared<const train::FaceBank>(train::synthetic_faces(request.synthetic_faces, size, 1));
      faces = format("{} generated faces per identity", request.synthetic_faces);
    } else {
      auto bank_a = train::load_face_bank(faces_a, request.holdout);
      if (!bank_a) {
        p->result = std::unexpected(bank_a.error().with_context("face set A"));
        p->done = true;
        return;
      }
      auto bank_b = train::load_face_bank(faces_b, request.holdout);
      if (!bank_b) {
        p->result = std::unexpected(bank_b.error().with_context("face set B"));
        p->done = true;
        return;
      }
      a = std::make_shared<const train::FaceBank>(std::move(bank_a->train));
      b = std::make_shared<const train::FaceBank>(std::move(bank_b->train));
      if (!bank_a->held_out.empty()) eval_a = std::make_shared<const train::FaceBank>(std::move(bank_a->held_out));
      faces = format("{} + {} faces ({}, {}){}", a->size(), b->size(), faces_a.filename().string(),
                     faces_b.filename().string(), eval_a ? format(", {} of A held out", eval_a->size()) : std::string());
    }
    p->result = train::Trainer::create(o, a, b, eval_a);
    if (p->result) {
      const train::TrainerStats first = (*p->result)->stats();
      p->description = format("{} preset, {}, batch {} per identity{}, {} on {} ({} of {} cores), from step {}",
                              o.preset, faces, o.batch, group, first.precision, first.device, threads, cores,
                              first.step);
      (*p->result)->start();
    }
    p->done = true;
  });
  if (o.distributed.active()) {
    say(format("waiting for the {} ranks at {}:{} (up to {:g} s)", o.distributed.world_size,
               o.distributed.master_host, o.distributed.master_port, o.distributed.timeout_s));
  }
  pending_ = std::move(pending);
  return ok();
}

void Workspace::adopt(std::unique_ptr<train::Trainer> trainer, const std::string& description) {
  training_ = std::make_unique<Training>();
  training_->trainer = std::shared_ptr<train::Trainer>(std::move(trainer));
  training_->trainer->send(train::RequestSnapshot{});
  if (std::exchange(stop_when_started_, false)) training_->stop_sent = training_->trainer->send(train::Stop{});
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

void Workspace::stop_training() {
  if (pending_) stop_when_started_ = true;
  if (!training_ || training_->stop_sent) return;
  training_->stop_sent = training_->trainer->send(train::Stop{});
  if (training_->stop_sent) say(format("stopping training at step {} (saving)", training_->trainer->stats().step));
}

Status Workspace::finish_training() {
  if (pending_) {
    stop_when_started_ = true;
    pending_->maker.join();
    tick_training();
  }
  if (!training_) return start_failure_ ? Status(std::unexpected(*start_failure_)) : ok();
  stop_training();
  tick_training();
  if (!training_->finished_reported) {
    const Status result = training_->trainer->wait();
    training_->finished_reported = true;
    if (!result) training_->failure = result.error();
    say(result ? ended_line(training_->trainer->stats(), training_->stop_sent) : result.error().message);
  }
  if (training_->failure) return std::unexpected(*training_->failure);
  return ok();
}

void Workspace::set_learning_rate(double value) {
  if (value > 0 && value < 1) {
    settings_.train.learning_rate = value;
    settings_dirty_ = true;
    if (training_) training_->trainer->send(train::SetLearningRate{value});
  }
}

double Workspace::starting_learning_rate() const {
  if (settings_.train.learning_rate > 0) return settings_.train.learning_rate;
  const auto preset = model::find_preset(settings_.train.preset);
  return preset ? preset->learning_rate : 0;
}

void Workspace::set_loss_weights(const model::LossWeights& weights) {
  settings_.train.loss_weights = weights;
  settings_dirty_ = true;
  if (training_) training_->trainer->send(train::SetLossWeights{weights});
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

bool Workspace::training_running() const {
  const TrainingStatus t = training();
  return t.running && !t.stopping;
}

TrainingStatus Workspace::training() const {
  TrainingStatus t;
  t.starting = pending_ != nullptr;
  t.connecting = t.starting && options_.distributed.active();
  if (t.connecting) t.stats.world_size = options_.distributed.world_size;
  if (!t.starting && start_failure_) {
    t.ended = true;
    t.error = start_failure_->message;
  }
  if (t.starting || !training_) return t;
  t.stats = training_->trainer->stats();
  t.running = !t.stats.finished;
  t.stopping = t.running && training_->stop_sent;
  t.ended = training_->finished_reported;
  if (training_->failure) t.error = training_->failure->message;
  t.steps_per_second = t.stats.step_ms > 0 ? 1000.0 / t.stats.step_ms : 0;
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
  if (recorder_ && !recorder_->done()) return fail(ErrorCode::kInvalidArgument, "a recording is running already");
  if (settings_.source.empty()) return fail(ErrorCode::kInvalidArgument, "the project has no target video to record");
  if (recorder_ && !recording_reported_) say(recorder_->status().result);
  recorder_.reset();  // the last one is done; gone before a new one takes the player's frames
  // The weights of this moment, fixed for the whole clip.
  std::shared_ptr<const model::WeightSnapshot> snapshot = training_ ? training_->trainer->latest_snapshot() : nullptr;
  auto model = snapshot ? swap::LiveSwapper::from_snapshot(*snapshot, "cpu")
                        : swap::LiveSwapper::load(project_.model_dir(), "cpu");
  if (!model) return std::unexpected(model.error().with_context("the recording's model"));
  if (player_ && player_->stats().live) {
    auto live = Recording::capture(*player_, {.output = output, .source = project_.source(),
                                              .seconds = end_s > 0 ? end_s - std::max(0.0, start_s) : -1,
                                              .model_preset = (*model)->preset(),
                                              .weights_sha256 = (*model)->weights_sha256()});
    if (!live) return std::unexpected(live.error());
    recorder_ = std::move(*live);
    recording_reported_ = false;
    say(format("recording what the player shows to {} (stop to end it)", output.string()));
    return ok();
  }
  std::error_code ec;
  if (fs::exists(output, ec)) return fail(ErrorCode::kIo, "{} exists: choose another name", output.string());
  if (output.has_parent_path()) {
    fs::create_directories(output.parent_path(), ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", output.parent_path().string(), ec.message());
  }
  RenderRequest request{.input = project_.source(), .output = output, .to = settings_.player.to,
                        .faces_a = project_.faces_a(), .faces_b = project_.faces_b(), .start_s = start_s,
                        .end_s = end_s, .swapper = {.composite = settings_.composite}, .label = true,
                        .model_on_one_thread = true};
  recorder_ = Recording::render(std::move(request), std::shared_ptr<const swap::FaceSwapper>(std::move(*model)));
  recording_reported_ = false;
  say(format("recording {}", output.string()));
  return ok();
}

void Workspace::stop_recording() {
  if (recorder_) recorder_->stop();
}

void Workspace::cancel_recording() {
  if (recorder_) recorder_->cancel();
}

RecorderStatus Workspace::recording() const {
  RecorderStatus r;
  if (!recorder_) return r;
  const RecordingStatus s = recorder_->status();
  r.running = s.running;
  r.live = s.live;
  r.frames_done = s.frames_done;
  r.frames_expected = s.frames_expected;
  r.output = s.output;
  r.result = s.result;
  r.succeeded = s.succeeded;
  return r;
}

void Workspace::tick_training() {
  if (pending_ && pending_->done) {
    if (pending_->maker.joinable()) pending_->maker.join();
    if (pending_->result) {
      start_failure_.reset();
      adopt(std::move(*pending_->result), pending_->description);
    } else {
      start_failure_ = pending_->result.error();
      stop_when_started_ = false;
      say(format("training did not start: {}", pending_->result.error().message));
    }
    pending_.reset();
  }
  if (!training_) return;
  const train::TrainerStats s = training_->trainer->stats();
  if (s.step != training_->last_step && s.step > 0) {
    training_->last_step = s.step;
    if (training_->history.size() < kMaxHistory) {
      training_->history.push_back({s.step, s.loss, s.loss_a, s.loss_b, s.eval_psnr_a, s.elapsed_s});
    }
  }
  if (!s.finished && !training_->stop_sent &&
      seconds_since(training_->last_snapshot_request) >= settings_.player.snapshot_every_s) {
    training_->trainer->send(train::RequestSnapshot{});
    training_->last_snapshot_request = Clock::now();
  }
  if (s.finished && !training_->finished_reported) {
    training_->finished_reported = true;
    const Status result = training_->trainer->wait();
    if (!result) training_->failure = result.error();
    say(result ? ended_line(s, training_->stop_sent) : result.error().message);
  }
}

void Workspace::tick() {
  tick_training();
  for (const FaceJobStatus& job : face_jobs_->take_finished()) {
    faces_.forget(job.set);
    say(job.message);
    const fs::path written = fs::path("faces") / job.set;
    if (job.state == FaceJobState::kDone && training_running() &&
        (written == settings_.faces_a || written == settings_.faces_b)) {
      say(format("faces/{} changed: training goes on with the faces it loaded; stop and start it to train on them",
                 job.set));
    }
  }
  if (settings_dirty_ && now_s() - last_saved_s_ >= kSaveDebounceS) {
    settings_dirty_ = false;
    last_saved_s_ = now_s();
    if (auto s = project_.save(settings_); !s) say(format("settings not saved: {}", s.error().message));
  }
  if (recorder_ && recorder_->done() && !recording_reported_) {
    recording_reported_ = true;
    say(recorder_->status().result);
  }
  if (player_) {
    // A player error is said once.
    const std::string error = player_->stats().error;
    if (!error.empty() && error != last_player_error_) say(error);
    last_player_error_ = error;
  }
}

}  // namespace mirage::workspace
