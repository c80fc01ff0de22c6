#include "engine/workspace/player.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "engine/core/clock.h"
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
#include "engine/swap/identity_classifier.h"
#include "engine/swap/frame_compositor.h"
#include "engine/swap/model_swapper.h"
#include "engine/swap/swapper.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

double ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Recent average: new samples weigh a tenth.
void smooth(double& average, double sample) { average = average == 0 ? sample : 0.9 * average + 0.1 * sample; }

Image to_rgba(const cv::Mat& bgr) {
  Image image(bgr.cols, bgr.rows, PixelFormat::kRgba8);
  cv::Mat view(bgr.rows, bgr.cols, CV_8UC4, image.bytes().data());
  cv::cvtColor(bgr, view, cv::COLOR_BGR2RGBA);
  return image;
}

// "camera:N" or "/dev/videoN" -> N.
std::optional<int> camera_index(const fs::path& source) {
  const std::string text = source.string();
  for (const std::string prefix : {"camera:", "/dev/video"}) {
    if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size()) {
      try {
        return std::stoi(text.substr(prefix.size()));
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

struct Player::State {
  PlayerOptions options;
  // Control, under `mutex`.
  mutable std::mutex mutex;
  std::condition_variable_any wake;
  bool playing = false;
  bool step_requested = false;
  std::optional<double> seek_to;
  bool recomposite = false;
  CompositeOptions composite;
  PlayerSettings settings;
  std::shared_ptr<swap::LiveSwapper> model;
  bool model_changed = false;
  SnapshotSource snapshots;
  PlayerStats stats;

  Mailbox<std::shared_ptr<const PlayerFrame>> frames;

  // Owned by the player thread once it runs.
  std::optional<media::FrameSource> source;
  std::unique_ptr<face::FaceDetector> detector;
  std::optional<face::LandmarkPredictor> predictor;
  std::optional<swap::IdentityClassifier> classifier;
  double fps = 25;
  Worker thread;

  void set_error(const Error& e) {
    const std::lock_guard lock(mutex);
    stats.error = e.message;
  }
  void run(std::stop_token stop);
};

Result<std::unique_ptr<Player>> Player::open(const PlayerOptions& options) {
  if (auto s = validate(options.composite); !s) return std::unexpected(s.error());
  auto state = std::make_unique<State>();
  state->options = options;
  state->composite = options.composite;
  state->settings = options.settings;
  if (const auto camera = camera_index(options.source)) {
    // OpenCV's V4L2 capture reads /dev/videoN; the frame source reads files, so a camera is
    // only a camera where the device node exists.
    const fs::path device = format("/dev/video{}", *camera);
    std::error_code ec;
    if (!fs::exists(device, ec)) {
      return fail(ErrorCode::kNotFound, "no camera {} ({} does not exist)", *camera, device.string());
    }
    return fail(ErrorCode::kUnsupported, "camera {}: live capture is not built into this player yet", *camera);
  }
  auto source = media::FrameSource::open(options.source);
  if (!source) return std::unexpected(source.error());
  state->fps = source->kind() == media::SourceKind::kVideo && source->fps() > 0 ? source->fps() : options.folder_fps;
  state->stats.source_fps = state->fps;
  if (source->expected_frames() > 0) state->stats.duration_s = source->expected_frames() / state->fps;
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
  if (options.settings.to == SwapTo::kBoth && !options.faces_a.empty()) {
    auto classifier = swap::classifier_from_face_sets(options.faces_a, options.faces_b);
    if (!classifier) return std::unexpected(classifier.error().with_context("telling A from B"));
    state->classifier.emplace(std::move(*classifier));
  }
  State* raw = state.get();
  state->thread = Worker("player", [raw](std::stop_token stop) { raw->run(stop); });
  return std::unique_ptr<Player>(new Player(std::move(state)));
}

Player::Player(std::unique_ptr<State> state) : state_(std::move(state)) {}

Player::~Player() {
  state_->thread.request_stop();
  state_->wake.notify_all();
  state_->thread.join();
}

void Player::play() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = true;
  state_->stats.at_end = false;
  state_->wake.notify_all();
}

void Player::pause() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = false;
}

void Player::step() {
  const std::lock_guard lock(state_->mutex);
  state_->playing = false;
  state_->step_requested = true;
  state_->wake.notify_all();
}

void Player::seek(double seconds) {
  const std::lock_guard lock(state_->mutex);
  state_->seek_to = std::max(0.0, seconds);
  state_->wake.notify_all();
}

void Player::set_loop(bool loop) {
  const std::lock_guard lock(state_->mutex);
  state_->settings.loop = loop;
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

std::optional<PlayerFrame> Player::take_frame() {
  auto frame = state_->frames.take();
  if (!frame || !*frame) return std::nullopt;
  return **frame;
}

std::shared_ptr<const PlayerFrame> Player::latest_frame() const {
  auto frame = state_->frames.latest();
  return frame ? *frame : nullptr;
}

PlayerStats Player::stats() const {
  const std::lock_guard lock(state_->mutex);
  return state_->stats;
}

void Player::State::run(std::stop_token stop) {
  model::use_one_thread_here();
  face::FaceTracker tracker(*detector, *predictor, {});
  std::unique_ptr<swap::FrameCompositor> compositor;
  std::shared_ptr<swap::LiveSwapper> current_model;
  std::uint64_t applied_version = 0;
  std::map<int, std::pair<int, int>> votes;  // track -> (votes A, votes B), for kBoth

  // What the last processed frame needs to be composited again (paused, settings changed).
  cv::Mat last_frame;
  std::int64_t last_index = -1;
  double last_timestamp = 0;
  std::vector<swap::PreparedFace> last_faces;
  swap::SwappedFaces last_output;
  std::vector<int> last_targets;
  std::int64_t last_step = -1;

  // Real-time pacing: frame `anchor_index` is due at `anchor_time`.
  SteadyClock::time_point anchor_time = SteadyClock::now();
  std::int64_t anchor_index = 0;
  std::int64_t next_index = 0;  // the index the source hands out next
  const auto started = Clock::now();
  std::int64_t published = 0;

  const auto publish = [&](const cv::Mat& composited, bool swapped_faces, int faces, const PlayerSettings& s) {
    cv::Mat shown = composited;
    if (s.label) {
      shown = composited.clone();
      swap::draw_synthetic_label(shown);
    }
    auto frame = std::make_shared<PlayerFrame>();
    frame->swapped = to_rgba(shown);
    frame->original = to_rgba(last_frame);
    frame->index = last_index;
    frame->timestamp_s = last_timestamp;
    frame->faces = faces;
    frame->swapped_faces = swapped_faces;
    frame->model_step = swapped_faces ? last_step : -1;
    frames.publish(std::move(frame));
    ++published;
    const std::lock_guard lock(mutex);
    stats.shown = published;
    stats.position_s = last_timestamp;
    stats.fps = static_cast<double>(published) / std::max(seconds_since(started), 1e-3);
  };

  // Composites the cached frame with `options`; false when there is nothing to swap.
  const auto composite_cached = [&](const CompositeOptions& options, cv::Mat& out) -> bool {
    out = last_frame.clone();
    if (!current_model || last_faces.empty() || last_output.rgb.empty()) return false;
    swap::SwapperOptions swapper_options;
    const swap::FrameSwapper swapper(*current_model, swapper_options);
    if (!compositor) {
      auto chosen = swap::choose_compositor(swap::CompositorKind::kAuto, last_frame.size(), swapper_options.composite_px,
                                            options);
      if (!chosen) {
        set_error(chosen.error());
        compositor = swap::make_cpu_compositor();
      } else {
        compositor = std::move(chosen->compositor);
        log::info("player: compositor {} ({})", compositor->description(), chosen->reason);
      }
    }
    const auto t = SteadyClock::now();
    const std::vector<swap::FaceLayer> layers = swapper.layers(last_faces, last_output);
    Status s = compositor->composite(out, layers, options);
    if (!s && compositor->kind() == swap::CompositorKind::kGpu) {
      // What the GPU refuses (histogram, seamless) the CPU does.
      s = swap::make_cpu_compositor()->composite(out, layers, options);
    }
    if (!s) {
      set_error(s.error());
      out = last_frame.clone();
      return false;
    }
    const std::lock_guard lock(mutex);
    smooth(stats.composite_ms, ms_between(t, SteadyClock::now()));
    return true;
  };

  // The model on the cached faces (last_inputs, last_targets): one call per target identity.
  std::vector<float> last_inputs;
  const auto infer = [&] {
    last_output = {};
    if (!current_model || last_faces.empty()) return;
    const auto t = SteadyClock::now();
    const std::size_t r = static_cast<std::size_t>(current_model->resolution());
    const std::size_t face_floats = r * r * 3, mask_floats = r * r;
    swap::SwappedFaces out_all;
    out_all.rgb.resize(last_faces.size() * face_floats);
    out_all.mask.resize(last_faces.size() * mask_floats, 1.0f);
    for (int to : {0, 1}) {
      std::vector<float> part;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < last_targets.size(); ++i) {
        if (last_targets[i] != to) continue;
        which.push_back(i);
        part.insert(part.end(), last_inputs.begin() + static_cast<std::ptrdiff_t>(i * face_floats),
                    last_inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * face_floats));
      }
      if (which.empty()) continue;
      auto out = current_model->swap(part, static_cast<int>(which.size()), to);
      if (!out) {
        set_error(out.error().with_context("the model"));
        return;
      }
      for (std::size_t k = 0; k < which.size(); ++k) {
        std::copy_n(out->rgb.begin() + static_cast<std::ptrdiff_t>(k * face_floats), face_floats,
                    out_all.rgb.begin() + static_cast<std::ptrdiff_t>(which[k] * face_floats));
        if (!out->mask.empty()) {
          std::copy_n(out->mask.begin() + static_cast<std::ptrdiff_t>(k * mask_floats), mask_floats,
                      out_all.mask.begin() + static_cast<std::ptrdiff_t>(which[k] * mask_floats));
        }
      }
    }
    last_output = std::move(out_all);
    last_step = current_model->step();
    const std::lock_guard lock(mutex);
    smooth(stats.infer_ms, ms_between(t, SteadyClock::now()));
  };

  // Composites the cached frame and publishes it.
  // Composites the cached frame and publishes it, after `until_due` (real time: the wait for
  // the frame's moment) when given.
  const auto show = [&](const CompositeOptions& options, const PlayerSettings& s,
                        const std::function<void()>& until_due = {}) {
    cv::Mat out;
    const bool swapped = composite_cached(options, out);
    if (until_due) until_due();
    publish(out, swapped, static_cast<int>(last_faces.size()), s);
  };

  // Tracks, swaps and composites `frame`; publishes it.
  const auto process = [&](media::Frame frame, const CompositeOptions& options, const PlayerSettings& s,
                           const std::function<void()>& until_due = {}) {
    last_frame = std::move(frame.image);
    last_index = frame.index;
    last_timestamp = frame.timestamp_s;
    const auto t = SteadyClock::now();
    const std::vector<face::TrackedFace> tracked = tracker.update(last_frame, last_timestamp);
    {
      const std::lock_guard lock(mutex);
      smooth(stats.track_ms, ms_between(t, SteadyClock::now()));
    }
    last_faces.clear();
    last_targets.clear();
    last_inputs.clear();
    if (current_model) {
      const swap::FrameSwapper swapper(*current_model, {});
      for (const face::TrackedFace& f : tracked) {
        last_faces.push_back(swapper.prepare(last_frame, f.landmarks, last_inputs));
        int to = static_cast<int>(s.to);
        if (s.to == SwapTo::kBoth) {
          to = 1;
          if (classifier) {
            const cv::Mat aligned = face::align_face(last_frame, f.landmarks,
                                                     {.size = swap::kAlignedSide, .coverage = swap::kAlignedCoverage}).image;
            auto& [a, b] = votes[f.track];
            (classifier->predict(aligned) == 0 ? a : b) += 1;
            to = a >= b ? 1 : 0;
          }
        }
        last_targets.push_back(to);
      }
    }
    infer();
    show(options, s, until_due);
  };

  const auto reopen = [&]() -> bool {
    auto reopened = media::FrameSource::open(options.source);
    if (!reopened) {
      set_error(reopened.error());
      return false;
    }
    source.emplace(std::move(*reopened));
    tracker.reset();
    votes.clear();
    next_index = 0;
    return true;
  };

  // Newer weights: the trainer's snapshot, or a model set from outside.
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
    if (replace) current_model = replacement;
    if (!snapshot_source.version) return replace;
    const std::uint64_t version = snapshot_source.version();
    if (version == applied_version) return replace;
    auto snapshot = snapshot_source.latest();
    if (!snapshot) return replace;
    if (current_model) {
      if (auto s = current_model->update(*snapshot); !s) {
        set_error(s.error());
        return replace;
      }
    } else {
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
      wake.wait_for(lock, stop, std::chrono::milliseconds(200), [&] {
        return playing || step_requested || seek_to || recomposite || model_changed;
      });
      if (stop.stop_requested()) break;
      playing_now = playing;
      step_now = std::exchange(step_requested, false);
      seek_now = std::exchange(seek_to, std::nullopt);
      recomposite_now = std::exchange(recomposite, false);
      composite_now = composite;
      settings_now = settings;
      stats.playing = playing;
    }
    const bool new_weights = refresh_model();

    if (seek_now) {
      const auto target = static_cast<std::int64_t>(*seek_now * fps + 1e-6);
      if (target < next_index) {
        if (!reopen()) continue;
      }
      std::optional<media::Frame> found;
      while (next_index <= target) {
        auto next = source->next();
        if (!next) continue;  // a frame that did not decode: reported, skipped
        if (!*next) break;
        next_index = (**next).index + 1;
        if ((**next).index >= target) found = std::move(**next);
      }
      if (found) {
        tracker.reset();
        process(std::move(*found), composite_now, settings_now);
      }
      anchor_time = SteadyClock::now();
      anchor_index = next_index;
      continue;
    }
    if (!playing_now && !step_now) {
      if (new_weights && !last_frame.empty()) {
        // Paused on a frame: show it with the new weights (its faces as tracked).
        if (last_faces.empty() && current_model) {
          process({.image = last_frame.clone(), .index = last_index, .timestamp_s = last_timestamp + 1e-3},
                  composite_now, settings_now);
        } else {
          infer();
          show(composite_now, settings_now);
        }
      } else if (recomposite_now && !last_frame.empty()) {
        show(composite_now, settings_now);
      }
      anchor_index = -1;  // re-anchor the clock when play resumes
      continue;
    }

    // Real time: a frame is made as soon as the last one is out and published at its moment,
    // so the time a frame takes is hidden up to one frame period; one that cannot be made by
    // then is skipped (counted in stats().dropped, never hidden).
    const double period = 1.0 / fps;
    const bool real_time = settings_now.mode == PlayMode::kRealTime && !step_now;
    if (real_time && anchor_index < 0) {
      anchor_time = SteadyClock::now();
      anchor_index = next_index;
    }
    const auto due_of = [&](std::int64_t index) {
      return anchor_time + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(static_cast<double>(index - anchor_index) * period));
    };
    const auto t = SteadyClock::now();
    auto next = source->next();
    const double decode_ms = ms_between(t, SteadyClock::now());
    if (!next) {
      set_error(next.error());
      continue;
    }
    if (!*next) {
      if (settings_now.loop && reopen()) {
        anchor_index = -1;
        continue;
      }
      const std::lock_guard lock(mutex);
      playing = false;
      stats.playing = false;
      stats.at_end = true;
      continue;
    }
    next_index = (**next).index + 1;
    {
      const std::lock_guard lock(mutex);
      smooth(stats.decode_ms, decode_ms);
    }
    if (!real_time) {
      process(std::move(**next), composite_now, settings_now);
      continue;
    }
    const auto due = due_of((**next).index);
    if (SteadyClock::now() > due + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(period))) {
      const std::lock_guard lock(mutex);
      ++stats.dropped;
      continue;
    }
    process(std::move(**next), composite_now, settings_now, [&] {
      std::unique_lock lock(mutex);
      wake.wait_until(lock, stop, due, [&] { return !playing || seek_to.has_value(); });
    });
  }
}

}  // namespace mirage::workspace
