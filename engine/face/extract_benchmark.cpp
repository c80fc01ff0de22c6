#include "engine/face/extract_benchmark.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/landmarks.h"
#include "engine/face/tracking.h"
#include "engine/media/frame_source.h"

namespace mirage::face {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

Result<ExtractBenchmarkReport> benchmark_extraction(const ExtractBenchmarkOptions& options) {
  auto source = media::FrameSource::open(options.input);
  if (!source) return std::unexpected(source.error());
  std::vector<cv::Mat> frames;
  auto start = Clock::now();
  while (true) {
    auto frame = source->next();
    if (!frame) continue;
    if (!*frame) break;
    frames.push_back((*frame)->image);
  }
  ExtractBenchmarkReport r;
  const double decode_s = seconds_since(start);
  if (frames.empty()) return fail(ErrorCode::kCorrupt, "{}: no frame decoded", options.input.string());
  const double n = static_cast<double>(frames.size());
  r.frames = static_cast<std::int64_t>(frames.size());
  r.decode_fps = n / decode_s;

  auto full = make_detector({});
  DetectorOptions scaled_options;
  scaled_options.scale = detection_scale(DetectorKind::kHog, options.min_face_px);
  r.hog_scale = scaled_options.scale;
  auto scaled = make_detector(scaled_options);
  if (!full) return std::unexpected(full.error());
  if (!scaled) return std::unexpected(scaled.error());
  auto predictor = LandmarkPredictor::load();
  if (!predictor) return std::unexpected(predictor.error());

  std::vector<cv::Mat> grays(frames.size());
  start = Clock::now();
  for (std::size_t i = 0; i < frames.size(); ++i) cv::cvtColor(frames[i], grays[i], cv::COLOR_BGR2GRAY);
  r.grey_fps = n / seconds_since(start);

  std::set<std::int64_t> reference;
  std::vector<std::pair<std::size_t, Detection>> detections;
  start = Clock::now();
  for (std::size_t i = 0; i < grays.size(); ++i) {
    for (const Detection& d : (*full)->detect(grays[i])) {
      reference.insert(static_cast<std::int64_t>(i));
      detections.emplace_back(i, d);
    }
  }
  r.hog_full_fps = n / seconds_since(start);
  r.reference_frames = static_cast<std::int64_t>(reference.size());
  auto coverage = [&](const std::set<std::int64_t>& found) {
    if (reference.empty()) return 100.0;
    std::size_t hit = 0;
    for (std::int64_t i : reference) hit += found.contains(i) ? 1 : 0;
    return 100.0 * static_cast<double>(hit) / static_cast<double>(reference.size());
  };

  std::set<std::int64_t> scaled_found;
  start = Clock::now();
  for (std::size_t i = 0; i < grays.size(); ++i) {
    if (!(*scaled)->detect(grays[i]).empty()) scaled_found.insert(static_cast<std::int64_t>(i));
  }
  r.hog_scaled_fps = n / seconds_since(start);
  r.hog_scaled_coverage = coverage(scaled_found);

  std::vector<std::pair<std::size_t, Landmarks>> fitted;
  start = Clock::now();
  for (const auto& [i, d] : detections) fitted.emplace_back(i, predictor->fit(grays[i], d.box));
  const double fits = static_cast<double>(std::max<std::size_t>(1, fitted.size()));
  r.landmark_fits_per_s = fits / seconds_since(start);
  start = Clock::now();
  for (const auto& [i, points] : fitted) align_face(frames[i], points, {});
  r.align_per_s = fits / seconds_since(start);

  TrackerOptions tracker_options;
  tracker_options.redetect_interval = options.redetect_interval;
  FaceTracker tracker(**scaled, *predictor, tracker_options);
  std::set<std::int64_t> tracked;
  start = Clock::now();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (!tracker.update(frames[i], static_cast<double>(i) / 24.0).empty()) tracked.insert(static_cast<std::int64_t>(i));
  }
  r.tracker_fps = n / seconds_since(start);
  r.tracker_coverage = coverage(tracked);
  r.tracker_detections = tracker.stats().detections;

  const fs::path scratch = fs::temp_directory_path() / ("mirage-bench-extract-" + std::to_string(::getpid()));
  ExtractOptions e2e;
  e2e.input = options.input;
  e2e.output = scratch;
  e2e.min_face_px = options.min_face_px;
  e2e.redetect_interval = options.redetect_interval;
  auto summary = extract_faces(e2e);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  if (!summary) return std::unexpected(summary.error());
  const std::set<std::int64_t> found(summary->frames_with_face_indices.begin(), summary->frames_with_face_indices.end());
  r.end_to_end_fps = summary->frames_per_second();
  r.end_to_end_setup_s = summary->setup_s;
  r.end_to_end_coverage = coverage(found);
  r.end_to_end_frames_with_faces = summary->frames_with_faces;
  r.end_to_end_faces = summary->faces_written;
  return r;
}

}  // namespace mirage::face
