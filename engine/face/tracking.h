// Following faces through a video: detect now and then, re-fit landmarks in between, and smooth
// the landmarks over time without lagging behind fast motion.
//
//   face::FaceTracker tracker(*detector, predictor, {.redetect_interval = 6});
//   for (each frame) {
//     for (const face::TrackedFace& f : tracker.update(frame.image, frame.timestamp_s)) use(f);
//   }
//
// update() runs the detector on the first frame, every `redetect_interval` frames, after a
// scene cut (a large change of a thumbnail of the frame), whenever no face is being tracked, and
// as soon as a re-fitted face no longer looks like a face (its aligned landmarks stray from the
// mean face, or its size jumps). Between detections each face's box is predicted from its
// previous landmarks and the landmarks are re-fitted there, which costs ~1 ms instead of a
// full-frame detection. A tracker is single-threaded; the detector and predictor it borrows
// must outlive it.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/face/detect.h"
#include "engine/face/landmarks.h"

namespace mirage::face {

// One-Euro filter (Casiez, Roussel, Vogel 2012): a low-pass filter whose cut-off rises with the
// speed of the signal, so slow jitter is removed and fast motion is followed without lag.
class OneEuroFilter {
 public:
  // min_cutoff (Hz): smoothing at rest; beta: how fast the cut-off grows with speed (1/units);
  // derivative_cutoff (Hz): smoothing of the speed estimate.
  OneEuroFilter(double min_cutoff = 1.0, double beta = 0.0, double derivative_cutoff = 1.0);
  // Filters x at time t (seconds, increasing). The first value passes through unchanged; a
  // time that does not increase is treated as 1/30 s after the previous one.
  double filter(double x, double t);
  void reset() { initialised_ = false; }

 private:
  double min_cutoff_, beta_, derivative_cutoff_;
  bool initialised_ = false;
  double x_ = 0.0, dx_ = 0.0, t_ = 0.0;
};

// A One-Euro filter per landmark coordinate, with parameters in face-size units so the same
// settings suit small and large faces.
class LandmarkSmoother {
 public:
  explicit LandmarkSmoother(double min_cutoff = 1.5, double beta = 0.8);
  Landmarks filter(const Landmarks& points, double t);
  void reset();

 private:
  double min_cutoff_, beta_;
  std::vector<OneEuroFilter> filters_;
};

struct TrackedFace {
  int track = 0;            // stable id while the face is followed; new faces get new ids
  cv::Rect2f box;           // the box the landmarks were fitted in (frame pixels)
  Landmarks landmarks{};    // smoothed landmarks (frame pixels)
  Landmarks raw{};          // landmarks as fitted this frame
  float score = 0.f;        // the score of the track's latest detection
  bool detected = false;    // true when this frame ran the detector for this face
};

struct TrackerOptions {
  int redetect_interval = 6;       // frames between full detections (1: detect every frame)
  double max_residual = 0.085;     // alignment_residual() above this drops the fit
  double scene_cut_threshold = 30; // mean absolute grey difference of 64x48 thumbnails
  bool smooth = true;              // One-Euro smoothing of `landmarks`
  double min_cutoff = 1.5;
  double beta = 0.8;
  // A detection that continues no track starts one when it scores at least min_new_score or its
  // landmarks fit the mean face within max_new_residual (alignment_residual()); 0 disables the
  // check. HOG scores a clear face about 1.3 and the mission patch on a space suit 0.15, but
  // cartoon faces as low as 0.01, so the fit decides for weak ones (patch 0.071, faces <= 0.057).
  double min_new_score = 0.0;
  double max_new_residual = 0.062;
};

struct TrackerStats {
  std::int64_t frames = 0;
  std::int64_t detections = 0;  // frames on which the detector ran
  std::int64_t refits = 0;      // faces followed by re-fitting alone
  std::int64_t lost = 0;        // re-fits rejected (led to a detection on the same frame)
  std::int64_t scene_cuts = 0;
};

class FaceTracker {
 public:
  FaceTracker(FaceDetector& detector, const LandmarkPredictor& predictor, TrackerOptions options = {});

  // The faces of this frame (8-bit BGR or grey). t: the frame's time in seconds.
  std::vector<TrackedFace> update(const cv::Mat& frame, double t);
  // Forget every track (a new clip starts).
  void reset();
  const TrackerStats& stats() const { return stats_; }

 private:
  struct Track {
    int id = 0;
    Landmarks raw{};
    float score = 0.f;
    // The detector's box relative to the landmarks: centre and side in mean-face units.
    cv::Point2f box_centre;
    float box_side = 0.f;
    cv::Rect2f box;
    LandmarkSmoother smoother;
    bool detected = false;
  };

  bool scene_cut(const cv::Mat& gray);
  void detect(const cv::Mat& gray);
  bool refit(Track& track, const cv::Mat& gray) const;
  cv::Rect2f predicted_box(const Track& track) const;
  void remember_box(Track& track, const cv::Rect2f& box) const;

  FaceDetector& detector_;
  const LandmarkPredictor& predictor_;
  TrackerOptions options_;
  std::vector<Track> tracks_;
  cv::Mat thumbnail_;
  int next_id_ = 0;
  int since_detection_ = 0;
  TrackerStats stats_;
};

}  // namespace mirage::face
