#include "engine/face/extract.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

#include "engine/core/clock.h"
#include "engine/core/command_queue.h"
#include "engine/core/worker.h"
#include "engine/face/face_set.h"
#include "engine/media/frame_prefetcher.h"

namespace mirage::face {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSaveEveryFaces = 200;
constexpr int kMaxWriteFailuresInARow = 10;

Status validate(const ExtractOptions& o) {
  if (o.size < 32 || o.size > 4096) return fail(ErrorCode::kInvalidArgument, "size must be in [32, 4096], got {}", o.size);
  if (!(o.coverage > 0.1 && o.coverage <= 1.0)) return fail(ErrorCode::kInvalidArgument, "coverage must be in (0.1, 1]");
  if (o.every < 1) return fail(ErrorCode::kInvalidArgument, "every must be at least 1, got {}", o.every);
  if (!(o.min_face_px >= 8)) return fail(ErrorCode::kInvalidArgument, "min face must be at least 8 px");
  if (o.redetect_interval < 1) return fail(ErrorCode::kInvalidArgument, "redetect interval must be at least 1");
  return ok();
}

// Scores, encodes and writes faces on a thread of its own, so PNG compression overlaps with
// tracking. It owns the face set until finish(); problems wait in a list for the caller's thread.
class FaceWriter {
 public:
  struct Job {
    cv::Mat image;
    FaceRecord record;
  };

  explicit FaceWriter(FaceSet& set) : set_(set), queue_(16) {
    worker_ = Worker("write", [this](std::stop_token) { run(); });
  }
  ~FaceWriter() {
    queue_.close();
    worker_.stop();
  }
  FaceWriter(const FaceWriter&) = delete;
  FaceWriter& operator=(const FaceWriter&) = delete;

  void push(Job job) { queue_.push(std::move(job)); }
  bool failed() const { return failed_.load(); }
  std::vector<Error> take_problems() {
    const std::lock_guard lock(mutex_);
    return std::exchange(problems_, {});
  }
  // Writes what is queued, saves the metadata and returns the fatal error if there was one.
  Status finish() {
    queue_.close();
    worker_.join();
    if (auto e = worker_.failure()) return std::unexpected(*e);
    if (fatal_) return std::unexpected(*fatal_);
    return save();
  }
  std::int64_t written() const { return written_.load(); }
  double seconds() const { return seconds_.load(); }

 private:
  Status save() {
    if (unsaved_ == 0) return ok();
    unsaved_ = 0;
    return set_.save();
  }
  void problem(Error e) {
    const std::lock_guard lock(mutex_);
    problems_.push_back(std::move(e));
  }
  void run() {
    int failures_in_a_row = 0;
    while (std::optional<Job> job = queue_.pop()) {
      if (fatal_) continue;  // drain without writing
      const auto start = Clock::now();
      job->record.blur = face_blur_score(job->image);
      if (auto s = set_.add(job->image, std::move(job->record)); !s) {
        problem(s.error());
        if (++failures_in_a_row >= kMaxWriteFailuresInARow) {
          if (auto saved = save(); !saved) problem(saved.error());
          fatal_ = Error{ErrorCode::kIo, format("{}: stopped after {} failed writes in a row: {}",
                                                set_.folder().string(), failures_in_a_row, s.error().message)};
          failed_ = true;
        }
      } else {
        failures_in_a_row = 0;
        ++written_;
        if (++unsaved_ >= kSaveEveryFaces) {
          if (auto saved = save(); !saved) {
            fatal_ = saved.error();
            failed_ = true;
          }
        }
      }
      seconds_ = seconds_.load() + seconds_since(start);
    }
  }

  FaceSet& set_;
  CommandQueue<Job> queue_;
  std::mutex mutex_;
  std::vector<Error> problems_;
  std::optional<Error> fatal_;  // written and read by the worker; read by finish() after join
  std::atomic<bool> failed_{false};
  std::atomic<std::int64_t> written_{0};
  std::atomic<double> seconds_{0.0};
  std::int64_t unsaved_ = 0;
  Worker worker_;
};

}  // namespace

double detection_scale(DetectorKind kind, double min_face_px) {
  const double smallest = kind == DetectorKind::kHog ? 80.0 : 48.0;
  return std::clamp(smallest / std::max(1.0, min_face_px), 0.1, 1.0);
}

Result<ExtractSummary> extract_faces(const ExtractOptions& options, const ExtractCallbacks& callbacks) {
  const auto started = Clock::now();
  if (auto s = validate(options); !s) return std::unexpected(s.error());
  auto source = media::FrameSource::open(options.input);
  if (!source) return std::unexpected(source.error());

  std::optional<FaceSet> set;
  std::error_code exists_error;
  const bool output_existed = fs::exists(options.output, exists_error);
  if (options.write) {
    auto opened = FaceSet::open_or_create(options.output);
    if (!opened) return std::unexpected(opened.error());
    set = std::move(*opened);
  }
  DetectorOptions detector_options;
  detector_options.kind = options.detector;
  detector_options.scale = detection_scale(options.detector, options.min_face_px);
  detector_options.min_face_px = options.min_face_px * 0.8;
  auto detector = make_detector(detector_options);
  if (!detector) return std::unexpected(detector.error());
  auto predictor = LandmarkPredictor::load(options.landmark_model);
  if (!predictor) return std::unexpected(predictor.error());

  ExtractSummary summary;
  summary.faces_before = set ? static_cast<std::int64_t>(set->faces().size()) : 0;
  const bool is_video = source->kind() == media::SourceKind::kVideo;
  const std::int64_t expected = source->expected_frames();
  media::FramePrefetcher frames(std::move(*source), 8);
  TrackerOptions tracker_options;
  tracker_options.redetect_interval = is_video ? options.redetect_interval : 1;
  tracker_options.smooth = options.smooth && is_video;
  tracker_options.min_new_score = options.min_score;
  FaceTracker tracker(**detector, *predictor, tracker_options);
  AlignOptions align;
  align.size = options.size;
  align.coverage = options.coverage;
  const std::string detector_name(to_string(options.detector));
  std::optional<FaceWriter> writer;
  if (set) writer.emplace(*set);
  auto report = [&](const Error& e) {
    if (callbacks.on_problem) callbacks.on_problem(e);
  };
  auto report_writer_problems = [&] {
    if (!writer) return;
    for (const Error& e : writer->take_problems()) report(e);
  };

  ExtractProgress progress{.frames_expected = expected};
  summary.setup_s = seconds_since(started);
  bool cancelled = false;
  while (!(writer && writer->failed())) {
    if (callbacks.cancelled && callbacks.cancelled()) {
      cancelled = true;
      break;
    }
    auto stage = Clock::now();
    auto next = frames.next();
    summary.times.wait_decode += seconds_since(stage);
    if (!next) {
      report(next.error());
      continue;
    }
    if (!*next) break;
    const media::Frame& frame = **next;
    ++progress.frames_done;
    if (is_video && frame.index % options.every != 0) continue;
    ++summary.frames_used;

    stage = Clock::now();
    if (!is_video) tracker.reset();
    const std::vector<TrackedFace> faces = tracker.update(frame.image, frame.timestamp_s);
    summary.times.track += seconds_since(stage);
    if (!faces.empty()) {
      ++summary.frames_with_faces;
      summary.frames_with_face_indices.push_back(frame.index);
    }
    for (const TrackedFace& face : faces) {
      ++summary.faces_found;
      ++summary.faces_per_track[face.track];
      stage = Clock::now();
      AlignedFace aligned = align_face(frame.image, face.landmarks, align);
      FaceRecord record;
      record.source = frame.path.string();
      record.frame = frame.index;
      record.time_s = frame.timestamp_s;
      record.box = face.box;
      record.landmarks = face.landmarks;
      record.face_to_frame = aligned.face_to_frame;
      record.size = options.size;
      record.coverage = options.coverage;
      record.detector = detector_name;
      record.score = face.score;
      record.track = face.track;
      summary.times.align += seconds_since(stage);
      if (writer) {
        stage = Clock::now();
        writer->push({std::move(aligned.image), std::move(record)});
        summary.times.write += seconds_since(stage);
      }
    }
    report_writer_problems();
    progress.faces = summary.faces_found;
    progress.elapsed_s = seconds_since(started);
    if (callbacks.on_progress) callbacks.on_progress(progress);
  }
  if (writer) {
    const Status finished = writer->finish();
    report_writer_problems();
    summary.faces_written = writer->written();
    if (!finished) return std::unexpected(finished.error());
    if (cancelled) {
      return fail(ErrorCode::kCancelled, "extraction cancelled after {} frames ({} faces kept in {})",
                  progress.frames_done, summary.faces_written, options.output.string());
    }
    // A run that made nothing leaves no trace: the folder it created goes again (only if empty).
    if (!output_existed && summary.faces_written == 0) {
      std::error_code ec;
      fs::remove(options.output, ec);
    }
  }
  if (cancelled) return fail(ErrorCode::kCancelled, "extraction cancelled after {} frames", progress.frames_done);
  const media::SourceStats stats = frames.stats();
  summary.frames_read = stats.frames_read;
  summary.decode_errors = stats.decode_errors;
  summary.tracker = tracker.stats();
  summary.elapsed_s = seconds_since(started);
  return summary;
}

}  // namespace mirage::face
