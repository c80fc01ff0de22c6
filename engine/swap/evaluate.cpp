#include "engine/swap/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "engine/swap/identity_judge.h"
#include "engine/swap/metrics.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

constexpr face::AlignOptions kJudgeCrop{.size = kAlignedSide, .coverage = kAlignedCoverage};
constexpr int kJudgeBatch = 16;

bool held_out(std::size_t index, int holdout_every) {
  return holdout_every > 1 && static_cast<int>(index % holdout_every) == holdout_every - 1;
}

// A face set's aligned faces with their landmarks in crop pixels.
struct RealFace {
  cv::Mat image;
  face::Landmarks landmarks;
};

struct RealFaces {
  std::vector<RealFace> held_out, trained;
};

Result<RealFaces> load_real_faces(const fs::path& folder, int holdout_every) {
  auto set = face::FaceSet::load(folder);
  if (!set) return std::unexpected(set.error());
  RealFaces faces;
  const auto& records = set->faces();
  for (std::size_t i = 0; i < records.size(); ++i) {
    cv::Mat image = cv::imread((folder / records[i].file).string(), cv::IMREAD_COLOR);
    if (image.empty()) continue;
    const face::Landmarks in_crop = face::map_points(face::invert(records[i].face_to_frame), records[i].landmarks);
    (held_out(i, holdout_every) ? faces.held_out : faces.trained).push_back({std::move(image), in_crop});
  }
  if (faces.held_out.empty() && faces.trained.empty()) return fail(ErrorCode::kInvalidArgument, "{}: no readable faces", folder.string());
  return faces;
}

// At most `limit` faces, spread evenly over the list.
std::vector<const RealFace*> spread(const std::vector<RealFace>& faces, int limit) {
  std::vector<const RealFace*> picked;
  const std::size_t n = std::min(faces.size(), static_cast<std::size_t>(std::max(1, limit)));
  for (std::size_t k = 0; k < n; ++k) picked.push_back(&faces[k * faces.size() / n]);
  return picked;
}

Result<std::vector<model::FaceDescriptor>> describe_all(const IdentityJudge& judge, const std::vector<const RealFace*>& faces) {
  std::vector<model::FaceDescriptor> all;
  std::vector<float> inputs;
  for (std::size_t begin = 0; begin < faces.size(); begin += kJudgeBatch) {
    const std::size_t end = std::min(faces.size(), begin + kJudgeBatch);
    inputs.assign((end - begin) * IdentityJudge::kInputFloats, 0.f);
    for (std::size_t i = begin; i < end; ++i) {
      judge.write_input(faces[i]->image, faces[i]->landmarks,
                        std::span(inputs).subspan((i - begin) * IdentityJudge::kInputFloats, IdentityJudge::kInputFloats));
    }
    auto d = judge.describe(inputs, static_cast<int>(end - begin));
    if (!d) return std::unexpected(d.error());
    all.insert(all.end(), d->begin(), d->end());
  }
  return all;
}

// The two identities' means, and the judge's sanity numbers on the real faces behind them.
struct Means {
  std::array<model::FaceDescriptor, 2> mean{};
};

Result<Means> real_means(const IdentityJudge& judge, const std::array<RealFaces, 2>& sets, const EvalOptions& o,
                         EvalReport& report) {
  report.means_from_held_out = std::ranges::all_of(sets, [](const RealFaces& s) { return s.held_out.size() >= kMinHeldOut; });
  std::array<std::vector<model::FaceDescriptor>, 2> descriptors;
  Means means;
  for (int g = 0; g < 2; ++g) {
    std::vector<RealFace> all;
    const std::vector<RealFace>* pool = &sets[g].held_out;
    if (!report.means_from_held_out) {
      all = sets[g].trained;
      all.insert(all.end(), sets[g].held_out.begin(), sets[g].held_out.end());
      pool = &all;
    }
    auto d = describe_all(judge, spread(*pool, o.max_real_faces));
    if (!d) return std::unexpected(d.error());
    descriptors[g] = std::move(*d);
    report.real_faces[g] = static_cast<std::int64_t>(descriptors[g].size());
    means.mean[g] = mean_descriptor(descriptors[g]);
  }
  // Leave-one-out: each real face against its own identity's mean without it.
  std::int64_t right = 0, total = 0;
  double spread_sum = 0;
  for (int g = 0; g < 2; ++g) {
    const double n = static_cast<double>(descriptors[g].size());
    for (const model::FaceDescriptor& d : descriptors[g]) {
      spread_sum += model::descriptor_distance(d, means.mean[g]);
      ++total;
      if (n < 2) continue;
      model::FaceDescriptor own{};
      for (int k = 0; k < model::kFaceDescriptorSize; ++k) own[k] = static_cast<float>((means.mean[g][k] * n - d[k]) / (n - 1));
      right += model::descriptor_distance(d, own) < model::descriptor_distance(d, means.mean[1 - g]) ? 1 : 0;
    }
  }
  if (total > 0) {
    report.judge_accuracy = static_cast<double>(right) / static_cast<double>(total);
    report.real_spread = spread_sum / static_cast<double>(total);
  }
  return means;
}

// Does the detector find a face at `box` (frame pixels)? It runs on the box's surroundings,
// resized so the face is about 120 px wide; a detection counts when its centre lies in the box
// and its width is within a factor two of the box's.
bool detector_finds(face::FaceDetector& detector, const cv::Mat& frame, const cv::Rect2f& box) {
  const cv::Rect frame_rect(0, 0, frame.cols, frame.rows);
  const cv::Rect region = cv::Rect(cv::Rect2f(box.x - box.width * 0.5f, box.y - box.height * 0.5f, box.width * 2, box.height * 2)) & frame_rect;
  if (region.width < 8 || region.height < 8) return false;
  const double scale = std::clamp(120.0 / std::max(1.f, box.width), 0.25, 2.0);
  cv::Mat patch;
  cv::resize(frame(region), patch, {}, scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  for (const face::Detection& d : detector.detect(patch)) {
    const cv::Point2f centre(region.x + (d.box.x + d.box.width * 0.5f) / static_cast<float>(scale),
                             region.y + (d.box.y + d.box.height * 0.5f) / static_cast<float>(scale));
    const float width = d.box.width / static_cast<float>(scale);
    if (box.contains(centre) && width > 0.5f * box.width && width < 2.f * box.width) return true;
  }
  return false;
}

// Fine detail over the inner face at about the face's own resolution (an aligned crop that
// neither up- nor downsamples), source and output cut with the source's landmarks.
std::pair<double, double> detail_pair(const cv::Mat& source, const cv::Mat& output, const face::Landmarks& landmarks) {
  const cv::Matx23d m = face::frame_to_face_matrix(landmarks, kJudgeCrop);
  const double scale = std::sqrt(std::abs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)));
  const int side = std::clamp(static_cast<int>(std::lround(kAlignedSide / std::max(scale, 1e-3))), 64, 512);
  const face::AlignedFace s = face::align_face(source, landmarks, {.size = side, .coverage = kAlignedCoverage});
  cv::Mat o;
  cv::warpAffine(output, o, s.frame_to_face, s.image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return {inner_face_detail(s.image, s.landmarks), inner_face_detail(o, s.landmarks)};
}

struct Tally {
  std::int64_t faces = 0, transferred = 0, detectable = 0, found = 0;
  double to_target = 0, to_source = 0, detail_source = 0, detail_output = 0;

  void add(const Tally& t) {
    faces += t.faces, transferred += t.transferred, detectable += t.detectable, found += t.found;
    to_target += t.to_target, to_source += t.to_source;
    detail_source += t.detail_source, detail_output += t.detail_output;
  }
  JudgedFaces numbers() const {
    JudgedFaces j;
    j.faces = faces;
    j.detectable = detectable;
    if (faces > 0) {
      const double n = static_cast<double>(faces);
      j.transfer = static_cast<double>(transferred) / n;
      j.distance_to_target = to_target / n;
      j.distance_to_source = to_source / n;
      if (detail_source > 0) j.detail = detail_output / detail_source;
    }
    if (detectable > 0) j.faces_found = static_cast<double>(found) / static_cast<double>(detectable);
    return j;
  }
};

// Faces waiting for the judge: inputs of the source face and of the output at the same place.
class JudgeQueue {
 public:
  JudgeQueue(const IdentityJudge& judge, const Means& means, int target) : judge_(judge), means_(means), target_(target) {}

  struct Face {
    bool found_in_source = false, found_in_output = false;
    double detail_source = 0, detail_output = 0;
  };

  Status push(const cv::Mat& source_crop, const cv::Mat& output_crop, const face::Landmarks& crop_landmarks, const Face& face) {
    const std::size_t offset = inputs_.size();
    inputs_.resize(offset + 2 * IdentityJudge::kInputFloats);
    auto slot = [&](std::size_t k) { return std::span(inputs_).subspan(offset + k * IdentityJudge::kInputFloats, IdentityJudge::kInputFloats); };
    if (!judge_.write_input(source_crop, crop_landmarks, slot(0)) || !judge_.write_input(output_crop, crop_landmarks, slot(1))) {
      inputs_.resize(offset);
      return ok();
    }
    faces_.push_back(face);
    return faces_.size() >= kJudgeBatch ? flush() : ok();
  }

  Status flush() {
    if (faces_.empty()) return ok();
    auto d = judge_.describe(inputs_, static_cast<int>(2 * faces_.size()));
    if (!d) return std::unexpected(d.error().with_context("judging faces"));
    for (std::size_t i = 0; i < faces_.size(); ++i) {
      const model::FaceDescriptor& source = (*d)[2 * i];
      const model::FaceDescriptor& output = (*d)[2 * i + 1];
      const int identity = model::descriptor_distance(source, means_.mean[0]) <= model::descriptor_distance(source, means_.mean[1]) ? 0 : 1;
      const int target = target_ >= 0 ? target_ : 1 - identity;
      if (identity == target) continue;  // this face was not swapped
      Tally& t = tallies[identity];
      const double to_target = model::descriptor_distance(output, means_.mean[target]);
      const double to_source = model::descriptor_distance(output, means_.mean[identity]);
      ++t.faces;
      t.transferred += to_target < to_source ? 1 : 0;
      t.to_target += to_target;
      t.to_source += to_source;
      if (faces_[i].found_in_source) {
        ++t.detectable;
        t.found += faces_[i].found_in_output ? 1 : 0;
      }
      t.detail_source += faces_[i].detail_source;
      t.detail_output += faces_[i].detail_output;
    }
    faces_.clear();
    inputs_.clear();
    return ok();
  }

  std::array<Tally, 2> tallies{};

 private:
  const IdentityJudge& judge_;
  const Means& means_;
  int target_;
  std::vector<Face> faces_;
  std::vector<float> inputs_;
};

// Landmarks fitted in `box` and in kSteadyFits - 1 boxes around it (moved and scaled by a few
// per cent of its side), averaged. One fit of the 68-point predictor moves by ~0.03 of the eye
// distance when a frame is re-encoded (its trees compare single pixels); the mean of the fits is
// the face's shape, not the fitter's noise, so expression and jitter can be judged below that.
constexpr int kSteadyFits = 9;

face::Landmarks steady_fit(const face::LandmarkPredictor& predictor, const cv::Mat& gray, const cv::Rect2f& box) {
  constexpr float kStep = 0.03f;
  static constexpr std::array<std::array<float, 3>, kSteadyFits> kBoxes{{
      {0, 0, 1}, {-kStep, 0, 1}, {kStep, 0, 1}, {0, -kStep, 1}, {0, kStep, 1},
      {0, 0, 1 - kStep}, {0, 0, 1 + kStep}, {-kStep, -kStep, 1 + kStep}, {kStep, kStep, 1 - kStep}}};
  std::array<cv::Point2d, face::kLandmarkCount> sum{};
  const cv::Point2f centre = (box.tl() + box.br()) * 0.5f;
  for (const auto& [dx, dy, scale] : kBoxes) {
    const cv::Size2f size(box.width * scale, box.height * scale);
    const cv::Point2f c(centre.x + dx * box.width, centre.y + dy * box.height);
    const face::Landmarks fit = predictor.fit(gray, cv::Rect2f(c.x - size.width / 2, c.y - size.height / 2, size.width, size.height));
    for (int i = 0; i < face::kLandmarkCount; ++i) sum[i] += cv::Point2d(fit[i]);
  }
  face::Landmarks mean;
  for (int i = 0; i < face::kLandmarkCount; ++i) mean[i] = cv::Point2f(sum[i] / kSteadyFits);
  return mean;
}

// The source's largest face.
const face::TrackedFace* largest(const std::vector<face::TrackedFace>& faces) {
  const face::TrackedFace* best = nullptr;
  for (const auto& f : faces) {
    if (!best || f.box.area() > best->box.area()) best = &f;
  }
  return best;
}

Status reconstruct(const EvalOptions& o, const std::vector<RealFace>& faces, EvalReport& report) {
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
      const cv::Mat& png = faces[i].image;
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

Result<EvalReport> evaluate_clip(const EvalOptions& o, const EvalCallbacks& callbacks) {
  const auto started = std::chrono::steady_clock::now();
  if (o.target != 0 && o.target != 1 && o.target != -1) return fail(ErrorCode::kInvalidArgument, "identity {} does not exist", o.target);
  auto source = media::FrameSource::open(o.source);
  if (!source) return std::unexpected(source.error());
  auto output = media::FrameSource::open(o.output);
  if (!output) return std::unexpected(output.error());
  auto judge = IdentityJudge::load(o.judge_model);
  if (!judge) return std::unexpected(judge.error().with_context("the identity judge"));
  auto a = load_real_faces(o.faces_a, o.holdout_every);
  if (!a) return std::unexpected(a.error());
  auto b = load_real_faces(o.faces_b, o.holdout_every);
  if (!b) return std::unexpected(b.error());

  EvalReport report;
  const std::array<RealFaces, 2> sets{std::move(*a), std::move(*b)};
  auto means = real_means(*judge, sets, o, report);
  if (!means) return std::unexpected(means.error());
  if (o.model) {
    // A's faces the trainer held out (all of them when it held out none).
    const RealFaces& faces_a = sets[0];
    if (auto s = reconstruct(o, faces_a.held_out.empty() ? faces_a.trained : faces_a.held_out, report); !s) return std::unexpected(s.error());
  }

  face::DetectorOptions detector_options;
  detector_options.scale = face::detection_scale(face::DetectorKind::kHog, o.min_face_px);
  detector_options.min_face_px = o.min_face_px * 0.8;
  auto detector = face::make_detector(detector_options);
  if (!detector) return std::unexpected(detector.error());
  auto local_detector = face::make_detector({});  // on the face's surroundings, at ~120 px
  if (!local_detector) return std::unexpected(local_detector.error());
  auto predictor = face::LandmarkPredictor::load(o.landmark_model);
  if (!predictor) return std::unexpected(predictor.error());
  const face::TrackerOptions tracking{.redetect_interval = 6, .smooth = false};
  face::FaceTracker source_tracker(**detector, *predictor, tracking);
  JudgeQueue queue(*judge, *means, o.target);

  std::vector<std::optional<face::Landmarks>> source_track, output_track;
  cv::Mat gray;
  std::array<double, kFaceParts> part_sums{};
  double expression_sum = 0;
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
    if (out->image.size() != src->image.size()) {
      return fail(ErrorCode::kInvalidArgument, "{} is {}x{} but {} is {}x{}: not a conversion of it", o.output.string(),
                  out->image.cols, out->image.rows, o.source.string(), src->image.cols, src->image.rows);
    }
    const auto source_faces = source_tracker.update(src->image, src->timestamp_s);
    for (const face::TrackedFace& s : source_faces) {
      const face::AlignedFace source_crop = face::align_face(src->image, s.raw, kJudgeCrop);
      cv::Mat output_crop;
      cv::warpAffine(out->image, output_crop, source_crop.frame_to_face, source_crop.image.size(), cv::INTER_LINEAR,
                     cv::BORDER_REPLICATE);
      JudgeQueue::Face judged;
      judged.found_in_source = detector_finds(**local_detector, src->image, s.box);
      judged.found_in_output = judged.found_in_source && detector_finds(**local_detector, out->image, s.box);
      std::tie(judged.detail_source, judged.detail_output) = detail_pair(src->image, out->image, s.raw);
      if (auto st = queue.push(source_crop.image, output_crop, source_crop.landmarks, judged); !st) return std::unexpected(st.error());
    }
    // On the source's largest face, both frames' landmarks are fitted (steady_fit) in the box the
    // tracker fitted the source's in, so the two differ only by what the frames show (a tracker
    // of the output's own would add its own box noise).
    const face::TrackedFace* s = largest(source_faces);
    source_track.push_back(std::nullopt);
    output_track.push_back(std::nullopt);
    if (s) {
      cv::cvtColor(src->image, gray, cv::COLOR_BGR2GRAY);
      source_track.back() = steady_fit(*predictor, gray, s->box);
      cv::cvtColor(out->image, gray, cv::COLOR_BGR2GRAY);
      output_track.back() = steady_fit(*predictor, gray, s->box);
      ++report.frames_compared;
      expression_sum += landmark_error(*output_track.back(), *source_track.back());
      const auto parts = landmark_error_by_part(*output_track.back(), *source_track.back());
      for (int part = 0; part < kFaceParts; ++part) part_sums[part] += parts[part];
    }
    if (callbacks.on_progress) callbacks.on_progress(report.frames);
  }
  if (auto st = queue.flush(); !st) return std::unexpected(st.error());
  Tally overall;
  for (int g = 0; g < 2; ++g) {
    report.from[g] = queue.tallies[g].numbers();
    overall.add(queue.tallies[g]);
  }
  report.overall = overall.numbers();
  if (report.frames_compared > 0) {
    report.expression_error = expression_sum / static_cast<double>(report.frames_compared);
    for (int part = 0; part < kFaceParts; ++part) {
      report.expression_by_part[part] = part_sums[part] / static_cast<double>(report.frames_compared);
    }
    report.jitter_output = landmark_jitter(output_track);
    report.jitter_source = landmark_jitter(source_track);
    report.jitter_excess = excess_jitter(output_track, source_track);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace mirage::swap
