#include "engine/face/tracking.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>

#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"

namespace mirage::face {
namespace {

constexpr int kFitFirst = 17;

double smoothing_factor(double elapsed, double cutoff) {
  const double tau = 1.0 / (2.0 * std::numbers::pi * cutoff);
  return 1.0 / (1.0 + tau / elapsed);
}

cv::Mat to_gray(const cv::Mat& frame) {
  if (frame.channels() == 1) return frame;
  cv::Mat gray;
  cv::cvtColor(frame, gray, frame.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

float eye_span(const Landmarks& p) { return static_cast<float>(cv::norm(p[36] - p[45])); }

// Frame -> mean-face units for these landmarks.
cv::Matx23d to_unit(const Landmarks& points) {
  return umeyama(std::span(points).subspan(kFitFirst), std::span(mean_face()).subspan(kFitFirst));
}

double scale_of(const cv::Matx23d& m) { return std::sqrt(std::abs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0))); }

}  // namespace

OneEuroFilter::OneEuroFilter(double min_cutoff, double beta, double derivative_cutoff)
    : min_cutoff_(min_cutoff), beta_(beta), derivative_cutoff_(derivative_cutoff) {}

double OneEuroFilter::filter(double x, double t) {
  if (!initialised_) {
    initialised_ = true;
    x_ = x;
    dx_ = 0.0;
    t_ = t;
    return x;
  }
  double elapsed = t - t_;
  if (!(elapsed > 0.0)) elapsed = 1.0 / 30.0;
  t_ += elapsed;
  const double dx = (x - x_) / elapsed;
  dx_ += smoothing_factor(elapsed, derivative_cutoff_) * (dx - dx_);
  const double cutoff = min_cutoff_ + beta_ * std::abs(dx_);
  x_ += smoothing_factor(elapsed, cutoff) * (x - x_);
  return x_;
}

LandmarkSmoother::LandmarkSmoother(double min_cutoff, double beta) : min_cutoff_(min_cutoff), beta_(beta) {}

Landmarks LandmarkSmoother::filter(const Landmarks& points, double t) {
  // Coordinates are filtered in units of the eye span at the start of the track, so beta means
  // the same for a small and a large face.
  const double unit = std::max(1.0f, eye_span(points));
  if (filters_.empty()) filters_.assign(2 * kLandmarkCount, OneEuroFilter(min_cutoff_, beta_ / unit));
  Landmarks out;
  for (int i = 0; i < kLandmarkCount; ++i) {
    out[i] = cv::Point2f(static_cast<float>(filters_[2 * i].filter(points[i].x, t)),
                         static_cast<float>(filters_[2 * i + 1].filter(points[i].y, t)));
  }
  return out;
}

void LandmarkSmoother::reset() { filters_.clear(); }

FaceTracker::FaceTracker(FaceDetector& detector, const LandmarkPredictor& predictor, TrackerOptions options)
    : detector_(detector), predictor_(predictor), options_(options) {
  options_.redetect_interval = std::max(1, options_.redetect_interval);
}

void FaceTracker::reset() {
  tracks_.clear();
  thumbnail_.release();
  since_detection_ = 0;
}

bool FaceTracker::scene_cut(const cv::Mat& gray) {
  cv::Mat thumbnail;
  cv::resize(gray, thumbnail, cv::Size(64, 48), 0, 0, cv::INTER_AREA);
  bool cut = false;
  if (!thumbnail_.empty()) cut = cv::norm(thumbnail, thumbnail_, cv::NORM_L1) / thumbnail.total() > options_.scene_cut_threshold;
  thumbnail_ = thumbnail;
  return cut;
}

void FaceTracker::remember_box(Track& track, const cv::Rect2f& box) const {
  const cv::Matx23d m = to_unit(track.raw);
  track.box_centre = map_point(m, (box.tl() + box.br()) * 0.5f);
  track.box_side = static_cast<float>(box.width * scale_of(m));
  track.box = box;
}

cv::Rect2f FaceTracker::predicted_box(const Track& track) const {
  const cv::Matx23d m = to_unit(track.raw);
  const cv::Point2f centre = map_point(invert(m), track.box_centre);
  const float side = static_cast<float>(track.box_side / std::max(1e-9, scale_of(m)));
  return {centre.x - side * 0.5f, centre.y - side * 0.5f, side, side};
}

bool FaceTracker::refit(Track& track, const cv::Mat& gray) const {
  const cv::Rect2f box = predicted_box(track);
  const cv::Rect2f frame(0, 0, static_cast<float>(gray.cols), static_cast<float>(gray.rows));
  // A face that has mostly left the picture is lost.
  if ((box & frame).area() < 0.5f * box.area()) return false;
  const Landmarks points = predictor_.fit(gray, box);
  if (alignment_residual(points) > options_.max_residual) return false;
  const float ratio = eye_span(points) / std::max(1.0f, eye_span(track.raw));
  if (ratio < 0.75f || ratio > 1.33f) return false;
  track.raw = points;
  track.box = box;
  track.detected = false;
  return true;
}

void FaceTracker::detect(const cv::Mat& gray) {
  ++stats_.detections;
  since_detection_ = 0;
  std::vector<Detection> found = detector_.detect(gray);
  std::vector<Track> next;
  std::vector<bool> used(tracks_.size(), false);
  for (const Detection& d : found) {
    // The best-overlapping unused track keeps its id and its smoothing history.
    int best = -1;
    float best_iou = 0.3f;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      const float overlap = iou(d.box, tracks_[i].box);
      if (!used[i] && overlap > best_iou) {
        best = static_cast<int>(i);
        best_iou = overlap;
      }
    }
    Landmarks points = predictor_.fit(gray, d.box);
    // A weak detection whose landmarks do not sit like a face's is no new face (astronaut.png's
    // mission patch: score 0.15, residual 0.071; Megamind's faces score down to 0.01 but fit
    // within 0.057).
    if (best < 0 && options_.min_new_score > 0 && d.score < options_.min_new_score &&
        alignment_residual(points) > options_.max_new_residual) {
      continue;
    }
    Track track;
    if (best >= 0) {
      used[best] = true;
      track = std::move(tracks_[best]);
    } else {
      track.id = next_id_++;
      track.smoother = LandmarkSmoother(options_.min_cutoff, options_.beta);
    }
    track.raw = points;
    track.score = d.score;
    track.detected = true;
    remember_box(track, d.box);
    next.push_back(std::move(track));
  }
  tracks_ = std::move(next);
}

std::vector<TrackedFace> FaceTracker::update(const cv::Mat& frame, double t) {
  ++stats_.frames;
  const cv::Mat gray = to_gray(frame);
  const bool cut = scene_cut(gray);
  if (cut) ++stats_.scene_cuts;
  bool need_detection = tracks_.empty() || cut || ++since_detection_ >= options_.redetect_interval;
  if (!need_detection) {
    std::vector<Track> kept;
    for (Track& track : tracks_) {
      if (refit(track, gray)) {
        ++stats_.refits;
        kept.push_back(std::move(track));
      } else {
        ++stats_.lost;
        need_detection = true;
      }
    }
    tracks_ = std::move(kept);
    // Two tracks that drifted onto one face: keep the older.
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      for (std::size_t j = i + 1; j < tracks_.size();) {
        if (iou(tracks_[i].box, tracks_[j].box) > 0.5f) {
          tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(j));
        } else {
          ++j;
        }
      }
    }
  }
  if (need_detection) {
    // Across a cut, a face at the same place is a different shot and starts a new track.
    if (cut) tracks_.clear();
    detect(gray);
  }
  std::vector<TrackedFace> faces;
  for (Track& track : tracks_) {
    TrackedFace face;
    face.track = track.id;
    face.box = track.box;
    face.raw = track.raw;
    face.landmarks = options_.smooth ? track.smoother.filter(track.raw, t) : track.raw;
    face.score = track.score;
    face.detected = track.detected;
    faces.push_back(face);
  }
  return faces;
}

}  // namespace mirage::face
