#include "engine/workspace/player.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <span>

#include <opencv2/imgproc.hpp>

#include "engine/core/command_queue.h"
#include "engine/core/format.h"
#include "engine/core/log.h"
#include "engine/core/mailbox.h"
#include "engine/core/worker.h"
#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/landmarks.h"
#include "engine/face/tracking.h"
#include "engine/media/frame_source.h"
#include "engine/model/runtime.h"
#include "engine/swap/face_routing.h"
#include "engine/swap/compositor.h"
#include "engine/swap/frame_compositor.h"
#include "engine/swap/identity_classifier.h"
#include "engine/swap/model_swapper.h"
#include "engine/swap/swapper.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Frames of a live source waiting for the shower: the newest only.
constexpr std::size_t kLiveWaiting = 1;
// How long the shower waits for a frame before it looks at its controls again.
constexpr auto kPollInterval = std::chrono::milliseconds(50);
// How long an idle (paused) stage sleeps before it looks for new weights.
constexpr auto kIdleInterval = std::chrono::milliseconds(200);

double ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

SteadyClock::duration seconds(double s) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
}

// Recent average: new samples weigh a tenth.
void smooth(double& average, double sample) { average = average == 0 ? sample : 0.9 * average + 0.1 * sample; }

Image to_rgba(const cv::Mat& bgr) {
  Image image(bgr.cols, bgr.rows, PixelFormat::kRgba8);
  cv::Mat view(bgr.rows, bgr.cols, CV_8UC4, image.bytes().data());
  cv::cvtColor(bgr, view, cv::COLOR_BGR2RGBA);
  return image;
}

// `shown` (BGR) with the union of the faces' blend masks tinted over it, as RGBA.
Image tinted_mask(const cv::Mat& shown, std::span<const swap::FaceLayer> layers, const CompositeOptions& options) {
  cv::Mat mask(shown.size(), CV_32FC1, cv::Scalar(0));
  for (const swap::FaceLayer& layer : layers) {
    const cv::Mat crop_mask = swap::prepare_mask(layer, options);
    const cv::Matx23d to_frame = swap::placed_face_to_frame(layer.face_to_frame, crop_mask.cols, options);
    cv::Mat warped;
    cv::warpAffine(crop_mask, warped, to_frame, shown.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    cv::max(mask, warped, mask);
  }
  cv::Mat tint(shown.size(), CV_32FC3, cv::Scalar(60, 40, 255));  // BGR: a warm red
  cv::Mat picture, weight;
  shown.convertTo(picture, CV_32FC3);
  cv::Mat alpha = mask * 0.55;
  cv::cvtColor(alpha, weight, cv::COLOR_GRAY2BGR);
  picture = picture.mul(cv::Scalar::all(1) - weight) + tint.mul(weight);
  cv::Mat eight;
  picture.convertTo(eight, CV_8UC3);
  return to_rgba(eight);
}

// A frame as the reader leaves it for the shower: decoded and tracked, not yet swapped.
struct TrackedFrame {
  std::uint64_t generation = 0;  // the seek it belongs to; older ones are dropped
  media::Frame frame;
  std::vector<face::Landmarks> faces;  // frame pixels
  std::vector<int> both_targets;       // per face, the identity it becomes with SwapTo::kBoth
  bool end = false;                    // the source ended (no frame)
  bool restart = false;                // the first frame after looping back to the start
};

// The frame on screen, kept so that it can be swapped and composited again (paused, settings
// or weights changed).
struct ShownFrame {
  TrackedFrame tracked;
  std::vector<int> targets;
  std::vector<swap::PreparedFace> faces;
  std::vector<float> inputs;
  swap::SwappedFaces output;
  std::int64_t step = -1;
  bool empty() const { return tracked.frame.image.empty(); }
};

}  // namespace

struct Player::State {
  PlayerOptions options;
  bool live = false;
  double fps = 25;

  // Control, under `mutex`.
  mutable std::mutex mutex;
  std::condition_variable_any wake;         // the shower waits on it
  std::condition_variable_any wake_reader;  // the reader waits on it (at the end, for a seek)
  bool playing = false;
  bool step_requested = false;
  std::optional<double> seek_to;
  bool recomposite = false;
  CompositeOptions composite;
  PlayerSettings settings;
  bool mask_overlay = false;
  std::shared_ptr<swap::LiveSwapper> model;
  bool model_changed = false;
  SnapshotSource snapshots;
  FrameSink sink;
  PlayerStats stats;
  std::uint64_t generation = 0;                // bumped by every seek
  std::optional<std::int64_t> reader_seek;     // where the reader goes on from

  CommandQueue<TrackedFrame> tracked{kReadAhead};
  Mailbox<std::shared_ptr<const PlayerFrame>> frames;

  // The reader's own once it runs.
  std::optional<media::FrameSource> source;
  std::unique_ptr<face::FaceDetector> detector;
  std::optional<face::LandmarkPredictor> predictor;
  std::optional<swap::IdentityClassifier> classifier;

  Worker reader;
  Worker shower;

  void set_error(const Error& e) {
    const std::lock_guard lock(mutex);
    stats.error = e.message;
  }
  void read(std::stop_token stop);
  void show(std::stop_token stop);
};

Result<std::unique_ptr<Player>> Player::open(const PlayerOptions& options) {
  if (auto s = validate(options.composite); !s) return std::unexpected(s.error());
  auto state = std::make_unique<State>();
  state->options = options;
  state->composite = options.composite;
  state->settings = options.settings;
  auto source = options.pace_like_camera ? media::FrameSource::open_live(options.source)
                                         : media::FrameSource::open(options.source);
  if (!source) return std::unexpected(source.error());
  state->live = source->live();
  state->fps = source->fps() > 0 ? source->fps() : options.folder_fps;
  state->stats.source_fps = state->fps;
  state->stats.live = state->live;
  if (!state->live && source->expected_frames() > 0) state->stats.duration_s = source->expected_frames() / state->fps;
  state->source.emplace(std::move(*source));
  face::DetectorOptions detector_options;
  detector_options.scale = face::detection_scale(face::DetectorKind::kHog, 100);
  detector_options.min_face_px = 80;
  auto detector = face::make_detector(detector_options);
  if (!detector) return std::unexpected(detector.error());
  state->detector = std::move(*detector);
  auto predictor = face::LandmarkPredictor::load();
  if (!predictor) return std::unexpected(predictor.error());
  state->predictor.emplace(std::move(*predictor));
  if (!options.faces_a.empty() && !options.faces_b.empty()) {
    auto classifier = swap::classifier_from_face_sets(options.faces_a, options.faces_b);
    if (classifier) {
      state->classifier.emplace(std::move(*classifier));
    } else if (options.settings.to == SwapTo::kBoth) {
      return std::unexpected(classifier.error().with_context("telling A from B"));
    }
  }
  State* raw = state.get();
  state->reader = Worker("player-read", [raw](std::stop_token stop) { raw->read(stop); });
  state->shower = Worker("player", [raw](std::stop_token stop) { raw->show(stop); });
  return std::unique_ptr<Player>(new Player(std::move(state)));
}

Player::Player(std::unique_ptr<State> state) : state_(std::move(state)) {}

Player::~Player() {
  state_->shower.request_stop();
  state_->reader.request_stop();
  state_->tracked.close();
  state_->wake.notify_all();
  state_->wake_reader.notify_all();
  state_->shower.join();
  state_->reader.join();
}

void Player::play() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = true;
  // Play at the end starts from the beginning.
  if (state_->stats.at_end && !state_->live) state_->seek_to = 0.0;
  state_->stats.at_end = false;
  state_->wake.notify_all();
}

void Player::pause() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = false;
  state_->wake.notify_all();
}

void Player::step() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = false;
  state_->step_requested = true;
  state_->wake.notify_all();
}

void Player::seek(double seconds) {
  const std::lock_guard lock(state_->mutex);
  if (state_->live) return;
  state_->seek_to = std::max(0.0, seconds);
  state_->wake.notify_all();
}

void Player::set_loop(bool loop) {
  const std::lock_guard lock(state_->mutex);
  state_->settings.loop = loop;
  state_->wake_reader.notify_all();
}

void Player::set_mode(PlayMode mode) {
  const std::lock_guard lock(state_->mutex);
  state_->settings.mode = mode;
}

void Player::set_target(SwapTo to) {
  const std::lock_guard lock(state_->mutex);
  state_->settings.to = to;
  state_->recomposite = true;
  state_->wake.notify_all();
}

void Player::set_mask_overlay(bool on) {
  const std::lock_guard lock(state_->mutex);
  if (state_->mask_overlay == on) return;
  state_->mask_overlay = on;
  state_->recomposite = true;
  state_->wake.notify_all();
}

void Player::set_label(bool label) {
  const std::lock_guard lock(state_->mutex);
  state_->settings.label = label;
  state_->recomposite = true;
  state_->wake.notify_all();
}

Status Player::set_composite(const CompositeOptions& options) {
  if (auto s = validate(options); !s) return s;
  const std::lock_guard lock(state_->mutex);
  state_->composite = options;
  state_->recomposite = true;
  state_->wake.notify_all();
  return ok();
}

void Player::set_model(std::shared_ptr<swap::LiveSwapper> model) {
  const std::lock_guard lock(state_->mutex);
  state_->model = std::move(model);
  state_->model_changed = true;
  state_->recomposite = true;
  state_->wake.notify_all();
}

void Player::set_snapshots(SnapshotSource source) {
  const std::lock_guard lock(state_->mutex);
  state_->snapshots = std::move(source);
  state_->wake.notify_all();
}

void Player::set_frame_sink(FrameSink sink) {
  const std::lock_guard lock(state_->mutex);
  state_->sink = std::move(sink);
}

std::shared_ptr<const PlayerFrame> Player::take_frame() {
  auto frame = state_->frames.take();
  return frame ? *frame : nullptr;
}

std::shared_ptr<const PlayerFrame> Player::latest_frame() const {
  auto frame = state_->frames.latest();
  return frame ? *frame : nullptr;
}

PlayerStats Player::stats() const {
  const std::lock_guard lock(state_->mutex);
  PlayerStats s = state_->stats;
  s.read_ahead = static_cast<std::int64_t>(state_->tracked.size());
  return s;
}

// The reader: decode -> track -> which identity each face is, up to kReadAhead frames ahead.
void Player::State::read(std::stop_token stop) {
  face::FaceTracker tracker(*detector, *predictor, {});
  swap::TrackVotes votes;
  std::uint64_t generation = 0;
  std::int64_t next_index = 0;  // the index the source hands out next
  std::int64_t missed = 0;      // live: frames the source had to skip
  bool stuck = false;           // at the end (or a source that cannot go on): wait for a seek
  bool restart = false;

  const auto reopen = [&]() -> bool {
    auto reopened = options.pace_like_camera ? media::FrameSource::open_live(options.source)
                                             : media::FrameSource::open(options.source);
    if (!reopened) {
      set_error(reopened.error());
      return false;
    }
    source.emplace(std::move(*reopened));
    tracker.reset();
    votes.clear();
    next_index = 0;
    missed = 0;
    return true;
  };
  // Goes to the frame at or after `target`: from the start again if it lies behind.
  const auto go_to = [&](std::int64_t target) -> bool {
    if (target < next_index && !reopen()) return false;
    while (next_index < target && !stop.stop_requested()) {
      auto next = source->next();
      if (!next) continue;  // a frame that did not decode: reported, skipped
      if (!*next) break;
      next_index = (**next).index + 1;
    }
    tracker.reset();
    return true;
  };

  while (!stop.stop_requested()) {
    std::optional<std::int64_t> seek;
    bool loop = false, both = false;
    {
      std::unique_lock lock(mutex);
      wake_reader.wait(lock, stop, [&] { return !stuck || reader_seek.has_value(); });
      if (stop.stop_requested()) break;
      seek = std::exchange(reader_seek, std::nullopt);
      generation = this->generation;
      loop = settings.loop;
      both = settings.to == SwapTo::kBoth;
    }
    if (seek) {
      stuck = !go_to(*seek);
      if (stuck) continue;
    }
    const auto t = SteadyClock::now();
    auto next = source->next();
    const double decode_ms = ms_between(t, SteadyClock::now());
    if (live && source->stats().frames_missed != missed) {
      const std::lock_guard lock(mutex);
      stats.dropped += source->stats().frames_missed - missed;
      missed = source->stats().frames_missed;
    }
    if (!next) {
      set_error(next.error());
      stuck = live;  // a camera that stopped delivering; a file goes on after the bad frame
      continue;
    }
    if (!*next) {
      // A camera does not end; a file standing in for one starts again when looping.
      if (loop && (!live || options.pace_like_camera)) {
        stuck = !reopen();  // straight back to the start
        restart = true;
        continue;
      }
      (void)tracked.push({.generation = generation, .end = true}, stop);
      stuck = true;
      continue;
    }
    TrackedFrame job{.generation = generation, .frame = std::move(**next)};
    job.restart = std::exchange(restart, false);
    next_index = job.frame.index + 1;
    const auto t_track = SteadyClock::now();
    for (const face::TrackedFace& f : tracker.update(job.frame.image, job.frame.timestamp_s)) {
      job.faces.push_back(f.landmarks);
      int to = 1;
      if (classifier && both) {
        std::optional<int> vote;
        if (votes.wants_vote(f.track)) {
          vote = classifier->predict(face::align_face(job.frame.image, f.landmarks,
                                                      {.size = swap::kAlignedSide, .coverage = swap::kAlignedCoverage})
                                         .image);
        }
        to = votes.target(f.track, vote);
      }
      job.both_targets.push_back(to);
    }
    {
      const std::lock_guard lock(mutex);
      smooth(stats.decode_ms, decode_ms);
      smooth(stats.track_ms, ms_between(t_track, SteadyClock::now()));
    }
    if (!live) {
      if (!tracked.push(std::move(job), stop)) break;
      continue;
    }
    // Live: only the newest frame waits; the one it replaces was never shown. (The shower is
    // the only other hand on the queue, and it only takes.)
    if (tracked.size() >= kLiveWaiting && tracked.try_pop()) {
      const std::lock_guard lock(mutex);
      ++stats.dropped;
    }
    if (!tracked.try_push(std::move(job)) && tracked.closed()) break;
  }
}

// The shower: the newest weights -> model -> composite with the current settings -> published at
// the frame's moment.
void Player::State::show(std::stop_token stop) {
  model::use_one_thread_here();
  std::unique_ptr<swap::FrameCompositor> compositor;
  std::shared_ptr<swap::LiveSwapper> current_model;
  std::uint64_t applied_version = 0;
  std::uint64_t generation = 0;
  ShownFrame shown;
  bool show_next = false;  // a seek: the first frame of the new generation is shown even when paused
  // Real-time pacing: frame `anchor_index` is due at `anchor_time`; unset until the first frame
  // after play() or a seek is ready, so that the clock starts with a frame in hand.
  std::optional<std::pair<SteadyClock::time_point, std::int64_t>> anchor;
  SteadyClock::time_point last_due;
  const double period = 1.0 / fps;
  const auto started = SteadyClock::now();
  std::int64_t published = 0;

  const auto due_of = [&](std::int64_t index) { return anchor->first + seconds(static_cast<double>(index - anchor->second) * period); };

  std::vector<swap::FaceLayer> overlay_layers;
  const auto publish = [&](const cv::Mat& composited, bool swapped_faces, const PlayerSettings& s,
                           const CompositeOptions& options) {
    auto frame = std::make_shared<PlayerFrame>();
    bool overlay = false;
    {
      const std::lock_guard lock(mutex);
      overlay = mask_overlay;
    }
    if (overlay) frame->mask = tinted_mask(composited, swapped_faces ? overlay_layers : std::vector<swap::FaceLayer>{}, options);
    if (s.label) {
      cv::Mat marked = composited.clone();
      swap::draw_synthetic_label(marked);
      frame->swapped = to_rgba(marked);
    } else {
      frame->swapped = to_rgba(composited);
    }
    frame->labelled = s.label;
    frame->original = to_rgba(shown.tracked.frame.image);
    frame->index = shown.tracked.frame.index;
    frame->timestamp_s = shown.tracked.frame.timestamp_s;
    frame->faces = static_cast<int>(shown.tracked.faces.size());
    frame->swapped_faces = swapped_faces;
    frame->model_step = swapped_faces ? shown.step : -1;
    FrameSink to_sink;
    {
      const std::lock_guard lock(mutex);
      stats.shown = ++published;
      stats.position_s = frame->timestamp_s;
      stats.fps = static_cast<double>(published) / std::max(std::chrono::duration<double>(SteadyClock::now() - started).count(), 1e-3);
      to_sink = sink;
    }
    if (to_sink) to_sink(frame);
    frames.publish(std::move(frame));
  };

  // The model on the shown frame's faces, each to its target.
  const auto infer = [&](const PlayerSettings& s) {
    shown.output = {};
    shown.faces.clear();
    shown.inputs.clear();
    shown.targets.clear();
    if (!current_model || shown.tracked.faces.empty()) return;
    const auto t = SteadyClock::now();
    const swap::FrameSwapper swapper(*current_model, {});
    for (std::size_t i = 0; i < shown.tracked.faces.size(); ++i) {
      shown.faces.push_back(swapper.prepare(shown.tracked.frame.image, shown.tracked.faces[i], shown.inputs));
      shown.targets.push_back(s.to == SwapTo::kBoth ? shown.tracked.both_targets[i] : static_cast<int>(s.to));
    }
    auto out = swap::swap_faces(*current_model, shown.inputs, shown.targets);
    if (!out) {
      set_error(out.error().with_context("the model"));
      shown.faces.clear();
      return;
    }
    shown.output = std::move(*out);
    shown.step = current_model->step();
    const std::lock_guard lock(mutex);
    smooth(stats.infer_ms, ms_between(t, SteadyClock::now()));
  };

  // The compositor is chosen (measured: swap::choose_compositor) on the first frame of the
  // source, whatever it holds, before the clock starts: measuring takes a few hundred ms.
  const auto choose_compositor = [&](cv::Size frame_size, const CompositeOptions& options) {
    if (compositor) return;
    auto chosen = swap::choose_compositor(swap::CompositorKind::kAuto, frame_size, swap::SwapperOptions{}.composite_px,
                                          options);
    if (!chosen) {
      set_error(chosen.error());
      compositor = swap::make_cpu_compositor();
    } else {
      compositor = std::move(chosen->compositor);
      log::info("player: compositor {} ({})", compositor->description(), chosen->reason);
    }
  };

  // The shown frame composited with `options` into `out`; false when nothing was swapped.
  const auto composite_shown = [&](const CompositeOptions& options, cv::Mat& out) -> bool {
    out = shown.tracked.frame.image.clone();
    overlay_layers.clear();
    if (!current_model || shown.faces.empty() || shown.output.rgb.empty()) return false;
    choose_compositor(out.size(), options);
    const swap::FrameSwapper swapper(*current_model, {});
    const auto t = SteadyClock::now();
    std::vector<swap::FaceLayer> layers = swapper.layers(shown.faces, shown.output);
    Status s = compositor->composite(out, layers, options);
    if (!s && compositor->kind() == swap::CompositorKind::kGpu) {
      // What the GPU refuses (histogram, seamless) the CPU does.
      s = swap::make_cpu_compositor()->composite(out, layers, options);
    }
    if (!s) {
      set_error(s.error());
      out = shown.tracked.frame.image.clone();
      return false;
    }
    overlay_layers = std::move(layers);
    const std::lock_guard lock(mutex);
    smooth(stats.composite_ms, ms_between(t, SteadyClock::now()));
    return true;
  };

  // Newer weights: the trainer's snapshot, or a model set from outside. True when they changed.
  const auto refresh_model = [&]() -> bool {
    std::shared_ptr<swap::LiveSwapper> replacement;
    bool replace = false;
    SnapshotSource snapshot_source;
    {
      const std::lock_guard lock(mutex);
      if (model_changed) {
        replacement = model;
        replace = true;
        model_changed = false;
      }
      snapshot_source = snapshots;
    }
    if (replace) {
      current_model = replacement;
      const std::lock_guard lock(mutex);
      stats.model_step = current_model ? current_model->step() : -1;
    }
    if (!snapshot_source.version) return replace;
    const std::uint64_t version = snapshot_source.version();
    if (version == applied_version) return replace;
    auto snapshot = snapshot_source.latest();
    if (!snapshot) return replace;
    // No model yet, or the snapshot is of another model than the one shown (a run started
    // afresh with another preset or crop, engine/model/model_crop.h): the newest weights win.
    if (!current_model || !current_model->update(*snapshot)) {
      auto made = swap::LiveSwapper::from_snapshot(*snapshot, "cpu");
      if (!made) {
        set_error(made.error());
        return replace;
      }
      current_model = std::shared_ptr<swap::LiveSwapper>(std::move(*made));
    }
    applied_version = version;
    const std::lock_guard lock(mutex);
    stats.model_step = current_model->step();
    stats.model_version = version;
    return true;
  };

  while (!stop.stop_requested()) {
    bool playing_now = false, step_now = false, recomposite_now = false;
    std::optional<double> seek_now;
    CompositeOptions composite_now;
    PlayerSettings settings_now;
    {
      std::unique_lock lock(mutex);
      // Idle until something asks for a frame; wake up now and then for new weights.
      wake.wait_for(lock, stop, kIdleInterval, [&] {
        return playing || step_requested || seek_to || recomposite || model_changed || show_next;
      });
      if (stop.stop_requested()) break;
      playing_now = playing;
      step_now = std::exchange(step_requested, false);
      seek_now = std::exchange(seek_to, std::nullopt);
      recomposite_now = std::exchange(recomposite, false);
      composite_now = composite;
      settings_now = settings;
      stats.playing = playing;
      if (seek_now) {
        // Everything read ahead belongs to the old position; the reader starts over there.
        generation = ++this->generation;
        reader_seek = static_cast<std::int64_t>(*seek_now * fps + 1e-6);
        wake_reader.notify_all();
      }
    }
    if (seek_now) {
      (void)tracked.drain();  // frees a reader waiting to push an old frame
      anchor.reset();
    }
    show_next = show_next || seek_now || step_now;
    const bool new_weights = refresh_model();

    if (!playing_now && !show_next) {
      // Paused on a frame: show it again with new weights or settings (the target among them).
      if ((new_weights || recomposite_now) && !shown.empty()) {
        infer(settings_now);
        cv::Mat out;
        const bool swapped = composite_shown(composite_now, out);
        publish(out, swapped, settings_now, composite_now);
      }
      anchor.reset();  // the clock starts again when play resumes
      continue;
    }

    std::optional<TrackedFrame> job = tracked.pop_for(kPollInterval, stop);
    if (!job || job->generation != generation) continue;
    if (!job->end) choose_compositor(job->frame.image.size(), composite_now);
    if (job->end) {
      const std::lock_guard lock(mutex);
      playing = false;
      stats.playing = false;
      stats.at_end = true;
      show_next = false;
      continue;
    }
    const bool must_show = std::exchange(show_next, false);
    const bool paced = playing_now && !must_show && !live;
    if (paced && anchor && job->restart) {
      // Looped back to the start: the first frame follows the last one by one period.
      anchor = {last_due + seconds(period), job->frame.index};
    }
    if (paced && anchor && settings_now.mode == PlayMode::kRealTime &&
        SteadyClock::now() > due_of(job->frame.index) + seconds(period)) {
      // Too late to be shown before the next frame is due.
      log::debug("player: frame {} dropped, {:.0f} ms late", job->frame.index,
                 ms_between(due_of(job->frame.index), SteadyClock::now()));
      const std::lock_guard lock(mutex);
      ++stats.dropped;
      continue;
    }
    shown = {.tracked = std::move(*job)};
    infer(settings_now);
    cv::Mat out;
    const bool swapped = composite_shown(composite_now, out);
    if (paced) {
      if (!anchor) {
        anchor = {SteadyClock::now(), shown.tracked.frame.index};
      } else if (settings_now.mode == PlayMode::kEveryFrame &&
                 SteadyClock::now() > due_of(shown.tracked.frame.index) + seconds(period)) {
        anchor = {SteadyClock::now(), shown.tracked.frame.index};  // behind: slow down, show every frame
      }
      last_due = due_of(shown.tracked.frame.index);
      std::unique_lock lock(mutex);
      wake.wait_until(lock, stop, last_due, [&] { return !playing || seek_to.has_value(); });
    }
    publish(out, swapped, settings_now, composite_now);
  }
}

}  // namespace mirage::workspace
