#include "engine/swap/evaluate.h"

#include <optional>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/face/tracking.h"
#include "engine/media/frame_source.h"
#include "engine/swap/face_pixels.h"
#include "engine/swap/metrics.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

struct FaceSplit {
  std::vector<cv::Mat> train;
  std::vector<cv::Mat> held_out;
};

Result<FaceSplit> load_split(const fs::path& folder, int holdout_every) {
  auto set = face::FaceSet::load(folder);
  if (!set) return std::unexpected(set.error());
  FaceSplit split;
  const auto& faces = set->faces();
  for (std::size_t i = 0; i < faces.size(); ++i) {
    cv::Mat image = cv::imread((folder / faces[i].file).string(), cv::IMREAD_COLOR);
    if (image.empty()) continue;
    const bool held_out = holdout_every > 1 && static_cast<int>(i % holdout_every) == holdout_every - 1;
    (held_out ? split.held_out : split.train).push_back(std::move(image));
  }
  if (split.train.empty()) return fail(ErrorCode::kInvalidArgument, "{}: no readable faces", folder.string());
  return split;
}

// The source's largest face, and the output face nearest to it.
const face::TrackedFace* largest(const std::vector<face::TrackedFace>& faces) {
  const face::TrackedFace* best = nullptr;
  for (const auto& f : faces) {
    if (!best || f.box.area() > best->box.area()) best = &f;
  }
  return best;
}

const face::TrackedFace* nearest(const std::vector<face::TrackedFace>& faces, const cv::Rect2f& source_box) {
  const cv::Point2f centre = (source_box.tl() + source_box.br()) * 0.5f;
  const face::TrackedFace* best = nullptr;
  double best_distance = 0;
  for (const auto& f : faces) {
    const cv::Point2f c = (f.box.tl() + f.box.br()) * 0.5f;
    const double d = cv::norm(c - centre);
    if (!best || d < best_distance) best = &f, best_distance = d;
  }
  if (best && best_distance > 0.5 * (source_box.width + best->box.width)) return nullptr;  // another face
  return best;
}

cv::Mat aligned(const cv::Mat& frame, const face::Landmarks& landmarks) {
  return face::align_face(frame, landmarks, {.size = kAlignedSide, .coverage = kAlignedCoverage}).image;
}

Status reconstruct(const EvalOptions& o, const std::vector<cv::Mat>& faces, EvalReport& report) {
  const FaceSwapper& model = *o.model;
  const int r = model.resolution();
  constexpr int kBatch = 16;
  double psnr_sum = 0, ssim_sum = 0;
  std::int64_t n = 0;
  const std::size_t count = std::min<std::size_t>(faces.size(), static_cast<std::size_t>(o.max_reconstruction_faces));
  for (std::size_t begin = 0; begin < count; begin += kBatch) {
    const std::size_t end = std::min(count, begin + kBatch);
    std::vector<float> inputs;
    std::vector<cv::Mat> crops;
    for (std::size_t i = begin; i < end; ++i) {
      const cv::Mat& png = faces[i];
      const cv::Matx23d square_to_aligned = model.model_to_aligned(png.cols, png.cols);
      cv::Mat square, crop;
      cv::warpAffine(png, square, square_to_aligned, png.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                     cv::BORDER_REPLICATE);
      cv::resize(square, crop, {r, r}, 0, 0, cv::INTER_AREA);
      const std::size_t offset = inputs.size();
      inputs.resize(offset + static_cast<std::size_t>(r) * r * 3);
      write_model_input(crop, std::span(inputs).subspan(offset));
      crops.push_back(crop);
    }
    auto out = model.swap(inputs, static_cast<int>(crops.size()), 0);
    if (!out) return std::unexpected(out.error().with_context("reconstruction"));
    for (std::size_t i = 0; i < crops.size(); ++i) {
      cv::Mat face8;
      read_model_face(out->rgb, static_cast<int>(i), r).convertTo(face8, CV_8U, 255.0);
      psnr_sum += psnr(face8, crops[i]);
      ssim_sum += ssim(face8, crops[i]);
      ++n;
    }
  }
  report.reconstruction_faces = n;
  if (n > 0) {
    report.reconstruction_psnr = psnr_sum / static_cast<double>(n);
    report.reconstruction_ssim = ssim_sum / static_cast<double>(n);
  }
  return ok();
}

}  // namespace

Result<IdentityClassifier> classifier_from_face_sets(const fs::path& faces_a, const fs::path& faces_b,
                                                     int holdout_every) {
  auto a = load_split(faces_a, holdout_every);
  if (!a) return std::unexpected(a.error());
  auto b = load_split(faces_b, holdout_every);
  if (!b) return std::unexpected(b.error());
  return IdentityClassifier::train({a->train, b->train});
}

Result<EvalReport> evaluate_clip(const EvalOptions& o, const EvalCallbacks& callbacks) {
  if (o.target != 0 && o.target != 1 && o.target != -1) return fail(ErrorCode::kInvalidArgument, "identity {} does not exist", o.target);
  auto source = media::FrameSource::open(o.source);
  if (!source) return std::unexpected(source.error());
  auto output = media::FrameSource::open(o.output);
  if (!output) return std::unexpected(output.error());
  auto a = load_split(o.faces_a, o.holdout_every);
  if (!a) return std::unexpected(a.error());
  auto b = load_split(o.faces_b, o.holdout_every);
  if (!b) return std::unexpected(b.error());
  auto classifier = IdentityClassifier::train({a->train, b->train});
  if (!classifier) return std::unexpected(classifier.error());

  EvalReport report;
  report.classifier_train_faces = static_cast<std::int64_t>(a->train.size() + b->train.size());
  report.classifier_held_out_faces = static_cast<std::int64_t>(a->held_out.size() + b->held_out.size());
  if (report.classifier_held_out_faces > 0) report.classifier_accuracy = classifier->accuracy({a->held_out, b->held_out});
  if (o.model) {
    if (auto s = reconstruct(o, a->held_out.empty() ? a->train : a->held_out, report); !s) return std::unexpected(s.error());
  }

  face::DetectorOptions detector_options;
  detector_options.scale = face::detection_scale(face::DetectorKind::kHog, o.min_face_px);
  detector_options.min_face_px = o.min_face_px * 0.8;
  auto detector = face::make_detector(detector_options);
  if (!detector) return std::unexpected(detector.error());
  auto predictor = face::LandmarkPredictor::load(o.landmark_model);
  if (!predictor) return std::unexpected(predictor.error());
  const face::TrackerOptions tracking{.redetect_interval = 6, .smooth = false};
  face::FaceTracker source_tracker(**detector, *predictor, tracking);
  face::FaceTracker output_tracker(**detector, *predictor, tracking);

  std::vector<std::optional<face::Landmarks>> source_track, output_track;
  double expression_sum = 0;
  std::int64_t transferred = 0;
  auto next_frame = [](media::FrameSource& s) -> std::optional<media::Frame> {
    while (true) {
      auto f = s.next();
      if (!f) continue;  // a frame that does not decode: skipped
      return std::move(*f);
    }
  };
  while (true) {
    std::optional<media::Frame> src = next_frame(*source);
    if (src && src->timestamp_s < o.source_start_s - 1e-9) continue;
    std::optional<media::Frame> out = next_frame(*output);
    if (!src || !out) break;
    ++report.frames;
    const auto source_faces = source_tracker.update(src->image, src->timestamp_s);
    const auto output_faces = output_tracker.update(out->image, out->timestamp_s);
    const face::TrackedFace* s = largest(source_faces);
    const face::TrackedFace* f = s ? nearest(output_faces, s->box) : nullptr;
    source_track.push_back(s ? std::optional(s->raw) : std::nullopt);
    output_track.push_back(s && f ? std::optional(f->raw) : std::nullopt);
    if (s && f) {
      ++report.frames_compared;
      expression_sum += landmark_error(f->raw, s->raw);
      const int source_identity = classifier->predict(aligned(src->image, s->raw));
      const int target = o.target >= 0 ? o.target : 1 - source_identity;
      if (source_identity != target) {
        ++report.identity_faces;
        transferred += classifier->predict(aligned(out->image, f->raw)) == target ? 1 : 0;
      }
    }
    if (callbacks.on_progress) callbacks.on_progress(report.frames);
  }
  if (report.frames_compared > 0) {
    report.expression_error = expression_sum / static_cast<double>(report.frames_compared);
    report.jitter_output = landmark_jitter(output_track);
    report.jitter_source = landmark_jitter(source_track);
    report.jitter_excess = excess_jitter(output_track, source_track);
  }
  if (report.identity_faces > 0) {
    report.identity_transfer = static_cast<double>(transferred) / static_cast<double>(report.identity_faces);
  }
  return report;
}

}  // namespace mirage::swap
