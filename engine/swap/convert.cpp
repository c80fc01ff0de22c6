#include "engine/swap/convert.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/command_queue.h"
#include "engine/core/worker.h"
#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/tracking.h"
#include "engine/core/composite_options.h"
#include "engine/media/frame_prefetcher.h"
#include "engine/media/provenance.h"
#include "engine/media/watermark.h"
#include "engine/media/video_writer.h"
#include "engine/model/runtime.h"
#include "engine/swap/face_routing.h"
#include "mirage/build_info.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;
// Frames in flight between two stages: enough to ride out a slow detection frame.
constexpr std::size_t kQueueDepth = 8;
// At most this many frames' faces go through the model in one call: only frames already
// waiting are taken, so a batch never waits for frames to arrive.
constexpr std::size_t kInferBatchFrames = 8;

struct FrameJob {
  media::Frame frame;
  std::vector<PreparedFace> faces;
  std::vector<int> targets;  // per face
  std::vector<float> inputs;
  SwappedFaces output;
};

// The faces of several frames through the model at once (a batch uses the cores better than
// one face at a time); each frame gets its slice of the output.
Status swap_batch(const FaceSwapper& model, std::vector<FrameJob>& batch) {
  std::vector<float> inputs;
  std::vector<int> targets;
  for (const FrameJob& job : batch) {
    inputs.insert(inputs.end(), job.inputs.begin(), job.inputs.end());
    targets.insert(targets.end(), job.targets.begin(), job.targets.end());
  }
  if (targets.empty()) return ok();
  auto out = swap_faces(model, inputs, targets);
  if (!out) return std::unexpected(out.error());
  const std::size_t r = static_cast<std::size_t>(model.resolution());
  std::size_t first = 0;
  for (FrameJob& job : batch) {
    const std::size_t n = job.faces.size();
    job.output.rgb.assign(out->rgb.begin() + first * r * r * 3, out->rgb.begin() + (first + n) * r * r * 3);
    if (!out->mask.empty()) {
      job.output.mask.assign(out->mask.begin() + first * r * r, out->mask.begin() + (first + n) * r * r);
    }
    first += n;
  }
  return ok();
}

// Closes a queue when a stage thread ends, however it ends (an exception included), so the
// next stage never waits for frames that cannot come.
struct CloseOnExit {
  CommandQueue<FrameJob>& queue;
  ~CloseOnExit() { queue.close(); }
};

// Errors and skipped-frame problems raised on the stage threads, read by the calling thread.
class Problems {
 public:
  void fatal(Error e) {
    const std::lock_guard lock(mutex_);
    if (!fatal_) fatal_ = std::move(e);
  }
  void skipped(Error e) {
    const std::lock_guard lock(mutex_);
    skipped_.push_back(std::move(e));
  }
  std::optional<Error> fatal_error() const {
    const std::lock_guard lock(mutex_);
    return fatal_;
  }
  std::vector<Error> take_skipped() {
    const std::lock_guard lock(mutex_);
    return std::exchange(skipped_, {});
  }

 private:
  mutable std::mutex mutex_;
  std::optional<Error> fatal_;
  std::vector<Error> skipped_;
};

Status validate(const ConvertOptions& o, const FaceSwapper& model) {
  if (o.input.empty()) return fail(ErrorCode::kInvalidArgument, "no input video");
  if (o.output.empty()) return fail(ErrorCode::kInvalidArgument, "no output file");
  // H.264 + AAC go in these containers; anything else would fail in ffmpeg after the work.
  if (std::string ext = o.output.extension().string(); ext != ".mp4" && ext != ".m4v" && ext != ".mov" && ext != ".mkv") {
    return fail(ErrorCode::kInvalidArgument, "{}: the output must end in .mp4, .m4v, .mov or .mkv (H.264 + AAC)",
                o.output.string());
  }
  if (o.to == kSwapBoth) {
    if (!o.identity_of) return fail(ErrorCode::kInvalidArgument, "swapping both identities needs an identity classifier");
    if (model.identities() != 2) return fail(ErrorCode::kInvalidArgument, "swapping both identities needs a two-identity model");
  } else if (o.to < 0 || o.to >= model.identities()) {
    return fail(ErrorCode::kInvalidArgument, "identity {} does not exist (the model has {}: 0 = A, 1 = B)", o.to,
                model.identities());
  }
  if (o.start_s < 0 || (o.end_s >= 0 && o.end_s <= o.start_s)) {
    return fail(ErrorCode::kInvalidArgument, "the time range must have 0 <= start < end");
  }
  if (o.swapper.composite_px < 32 || o.swapper.composite_px > 1024) {
    return fail(ErrorCode::kInvalidArgument, "the compositing crop must be 32..1024 px");
  }
  if (!(o.min_face_px >= 8)) return fail(ErrorCode::kInvalidArgument, "min face must be at least 8 px");
  if (o.redetect_interval < 1) return fail(ErrorCode::kInvalidArgument, "redetect interval must be at least 1");
  if (auto s = validate(o.swapper.composite); !s) return s;
  std::error_code ec;
  if (fs::exists(o.output, ec) && !o.overwrite) {
    return fail(ErrorCode::kIo, "{} exists (pass --overwrite to replace it)", o.output.string());
  }
  if (fs::equivalent(o.input, o.output, ec)) return fail(ErrorCode::kInvalidArgument, "the output would replace the input");
  return ok();
}

Json settings_json(const ConvertOptions& o, const ConvertSummary& s) {
  return {{"to", o.to == kSwapBoth ? "both" : o.to == 0 ? "a" : "b"},
          {"start_s", o.start_s},
          {"end_s", o.end_s},
          {"encoder", {{"codec", "libx264"}, {"preset", o.preset}, {"crf", o.crf}}},
          {"label", o.label},
          {"watermark", o.watermark},
          {"compositor", s.compositor},
          {"composite_px", o.swapper.composite_px},
          {"learned_mask", o.swapper.learned_mask},
          {"composite", composite_options_json(o.swapper.composite)},
          {"frames", s.frames_written}};
}

}  // namespace

std::string synthetic_tag(const std::string& model_preset) {
  return format("synthetic: made with Mirage {}, model {}", build_info::kVersion, model_preset);
}

Result<ConvertSummary> convert_video(const ConvertOptions& options, const FaceSwapper& model,
                                     const ConvertCallbacks& callbacks) {
  const auto started = Clock::now();
  if (auto s = validate(options, model); !s) return std::unexpected(s.error());
  auto source = media::FrameSource::open(options.input);
  if (!source) return std::unexpected(source.error());
  if (source->kind() != media::SourceKind::kVideo || source->fps() <= 0) {
    return fail(ErrorCode::kUnsupported, "{}: not a video with a frame rate", options.input.string());
  }
  face::DetectorOptions detector_options;
  detector_options.scale = face::detection_scale(face::DetectorKind::kHog, options.min_face_px);
  detector_options.min_face_px = options.min_face_px * 0.8;
  auto detector = face::make_detector(detector_options);
  if (!detector) return std::unexpected(detector.error());
  auto predictor = face::LandmarkPredictor::load(options.landmark_model);
  if (!predictor) return std::unexpected(predictor.error());

  ConvertSummary summary;
  summary.fps = source->fps();
  const std::int64_t expected = source->expected_frames();
  const FrameSwapper swapper(model, options.swapper);
  face::FaceTracker tracker(**detector, *predictor, {.redetect_interval = options.redetect_interval});
  media::FramePrefetcher frames(std::move(*source), 8);
  CommandQueue<FrameJob> tracked(kQueueDepth);
  CommandQueue<FrameJob> swapped(kQueueDepth);
  Problems problems;
  ConvertStageSeconds track_times, infer_times;  // written by their threads, read after join
  TrackVotes votes;                              // the track thread's

  media::VideoWriterOptions writer_options{.output = options.output, .fps = summary.fps,
                                           .audio_from = options.input, .audio_start_s = options.start_s,
                                           .audio_duration_s = options.end_s >= 0 ? options.end_s - options.start_s : -1.0,
                                           .preset = options.preset, .crf = options.crf, .overwrite = options.overwrite};
  const std::string tag = synthetic_tag(model.preset());
  writer_options.metadata = {{"comment", tag}, {"description", tag}, {"mirage_synthetic", "1"}};
  std::optional<media::VideoWriter> writer;
  std::unique_ptr<FrameCompositor> compositor;  // chosen at the first frame, once its size is known
  std::optional<media::WatermarkPayload> payload;
  std::optional<media::WatermarkEmbedder> watermark;
  if (options.watermark) {
    payload = media::WatermarkPayload{.day = media::watermark_day(std::chrono::system_clock::now()),
                                      .model = media::model_tag(model.weights_sha256())};
    watermark.emplace(*payload);
  }
  summary.setup_s = seconds_since(started);

  Worker track("track", [&](std::stop_token stop) {
    const CloseOnExit close_tracked{tracked};
    while (!stop.stop_requested()) {
      auto t = Clock::now();
      auto next = frames.next();
      track_times.decode += seconds_since(t);
      if (!next) {
        problems.skipped(next.error());
        continue;
      }
      if (!*next) break;
      FrameJob job{.frame = std::move(**next)};
      if (job.frame.timestamp_s < options.start_s - 1e-9) continue;
      if (options.end_s >= 0 && job.frame.timestamp_s >= options.end_s - 1e-9) break;
      t = Clock::now();
      const std::vector<face::TrackedFace> faces = tracker.update(job.frame.image, job.frame.timestamp_s);
      track_times.track += seconds_since(t);
      t = Clock::now();
      for (const face::TrackedFace& f : faces) {
        job.faces.push_back(swapper.prepare(job.frame.image, f.landmarks, job.inputs));
        int to = options.to;
        if (to == kSwapBoth) {
          std::optional<int> vote;
          if (votes.wants_vote(f.track)) {
            vote = options.identity_of(
                face::align_face(job.frame.image, f.landmarks, {.size = kAlignedSide, .coverage = kAlignedCoverage}).image);
          }
          to = votes.target(f.track, vote);
        }
        job.targets.push_back(to);
      }
      track_times.prepare += seconds_since(t);
      if (!tracked.push(std::move(job), stop)) break;
    }
  });
  Worker infer("infer", [&](std::stop_token stop) {
    const CloseOnExit close_swapped{swapped}, close_tracked{tracked};
    if (options.model_on_one_thread) model::use_one_thread_here();
    bool failed = false;
    while (std::optional<FrameJob> job = tracked.pop(stop)) {
      std::vector<FrameJob> batch;
      batch.push_back(std::move(*job));
      while (batch.size() < kInferBatchFrames) {
        std::optional<FrameJob> more = tracked.try_pop();
        if (!more) break;
        batch.push_back(std::move(*more));
      }
      const auto t = Clock::now();
      if (auto s = swap_batch(model, batch); !s) {
        problems.fatal(s.error().with_context("the model"));
        break;
      }
      infer_times.infer += seconds_since(t);
      for (FrameJob& done : batch) failed = failed || !swapped.push(std::move(done), stop);
      if (failed) break;
    }
  });

  // Stops the stage threads and drops the partial clip; returns the error.
  auto give_up = [&](Error e) -> Result<ConvertSummary> {
    tracked.close();
    swapped.close();
    track.stop();
    infer.stop();
    if (writer) writer->abort();
    return std::unexpected(std::move(e));
  };

  ConvertProgress progress{.frames_expected = expected};
  while (std::optional<FrameJob> job = swapped.pop()) {
    for (Error& e : problems.take_skipped()) {
      if (callbacks.on_problem) callbacks.on_problem(e);
    }
    if (callbacks.cancelled && callbacks.cancelled()) {
      return give_up({ErrorCode::kCancelled, "conversion cancelled"});
    }
    cv::Mat& image = job->frame.image;
    if (!compositor) {
      const auto t = Clock::now();
      auto chosen = choose_compositor(options.compositor, image.size(), options.swapper.composite_px,
                                      options.swapper.composite);
      if (!chosen) return give_up(chosen.error());
      compositor = std::move(chosen->compositor);
      summary.compositor = compositor->description();
      summary.compositor_reason = chosen->reason;
      summary.setup_s += seconds_since(t);
    }
    auto t = Clock::now();
    if (job->faces.empty()) {
      ++summary.frames_without_faces;
    } else {
      ++summary.frames_with_faces;
      summary.faces_swapped += static_cast<std::int64_t>(job->faces.size());
      try {
        const std::vector<FaceLayer> layers = swapper.layers(job->faces, job->output);
        if (auto s = compositor->composite(image, layers, options.swapper.composite); !s) {
          return give_up(s.error().with_context(format("compositing frame {}", job->frame.index)));
        }
      } catch (const cv::Exception& e) {
        return give_up({ErrorCode::kInternal, format("compositing frame {} failed: {}", job->frame.index, e.msg)});
      }
    }
    if (options.label) draw_synthetic_label(image);
    summary.stages.composite += seconds_since(t);
    t = Clock::now();
    if (watermark) {
      watermark->embed(image);
      summary.stages.watermark += seconds_since(t);
      t = Clock::now();
    }
    if (!writer) {
      writer_options.width = image.cols;
      writer_options.height = image.rows;
      auto opened = media::VideoWriter::open(writer_options);
      if (!opened) return give_up(opened.error());
      writer.emplace(std::move(*opened));
    }
    if (auto s = writer->write(image); !s) return give_up(s.error());
    summary.stages.encode += seconds_since(t);
    ++summary.frames_written;
    ++progress.frames_done;
    progress.faces = summary.faces_swapped;
    if (callbacks.on_progress) callbacks.on_progress(progress);
  }
  track.join();
  infer.join();
  for (const Worker* w : {&track, &infer}) {
    if (auto e = w->failure()) return give_up(*e);
  }
  if (auto e = problems.fatal_error()) return give_up(*e);
  for (Error& e : problems.take_skipped()) {
    if (callbacks.on_problem) callbacks.on_problem(e);
  }
  if (!writer) {
    return fail(ErrorCode::kInvalidArgument, "{}: no frames in the requested range", options.input.string());
  }
  const auto t = Clock::now();
  if (auto s = writer->finish(); !s) return std::unexpected(s.error());
  summary.stages.encode += seconds_since(t);
  if (options.provenance) {
    media::ProvenanceRecord record{.clip = options.output, .source = options.input, .model_preset = model.preset(),
                                   .weights_sha256 = model.weights_sha256(), .checkpoint = model.checkpoint_path(),
                                   .watermark = payload, .settings = settings_json(options, summary)};
    if (auto s = write_provenance_record(record); !s) {
      std::error_code ec;
      fs::remove(options.output, ec);
      return std::unexpected(s.error().with_context("the provenance record"));
    }
  }
  summary.stages.decode = track_times.decode;
  summary.stages.track = track_times.track;
  summary.stages.prepare = track_times.prepare;
  summary.stages.infer = infer_times.infer;
  summary.decode_errors = frames.stats().decode_errors;
  summary.detections = tracker.stats().detections;
  summary.elapsed_s = seconds_since(started);
  return summary;
}

}  // namespace mirage::swap
