// Alignment: the similarity transform (rotation, uniform scale, translation; Umeyama 1991) that
// takes a face's 68 landmarks onto the mean-face template, and the aligned crop it gives.
//
//   face::AlignedFace aligned = face::align_face(frame, landmarks, {.size = 256});
//   cv::imwrite("face.png", aligned.image);
//   cv::Point2f in_frame = face::map_point(aligned.face_to_frame, {128, 128});
//
// The template (assets/face/mean_face_68.txt, derived as assets/face/README.md describes) is in
// "face box" units: the bounding box of its 68 points fits the unit square [0,1]^2 (its longer
// side spans [0,1], the shorter one is centred), x right, y down.
// A crop of `size` pixels shows the face box at `coverage` of its side, centred on the point
// (0.5, kCropCentreY) of the template, which leaves room above the brows for the forehead.
// The fit uses points 17-67 (brows, eyes, nose, mouth): the jaw line moves with head yaw.
// Everything here is a pure function and thread-safe.
#pragma once

#include <span>

#include <opencv2/core.hpp>

#include "engine/face/landmarks.h"

namespace mirage::face {

inline constexpr double kCropCentreY = 0.40;

struct AlignOptions {
  int size = 256;          // crop side in pixels
  double coverage = 0.60;  // share of the crop side spanned by the template's face box, (0, 1]
};

struct AlignedFace {
  cv::Mat image;              // size x size, same type as the frame
  cv::Matx23d frame_to_face;  // frame pixels -> crop pixels
  cv::Matx23d face_to_frame;  // crop pixels -> frame pixels (what compositing warps back with)
  Landmarks landmarks;        // the face's landmarks in crop pixels
};

// Least-squares similarity transform with scale (Umeyama) mapping `from` onto `to`; both spans
// must have the same size >= 2. Degenerate input (all points equal) gives a translation only.
cv::Matx23d umeyama(std::span<const cv::Point2f> from, std::span<const cv::Point2f> to);

cv::Point2f map_point(const cv::Matx23d& m, cv::Point2f p);
Landmarks map_points(const cv::Matx23d& m, const Landmarks& points);
// Inverse of an invertible 2x3 affine matrix.
cv::Matx23d invert(const cv::Matx23d& m);

// The mean face in face-box units (see above).
const Landmarks& mean_face();
// Parses the template text format: 68 lines "x y" ('#' starts a comment). kCorrupt on bad input.
Result<Landmarks> parse_template(std::string_view text);
// Template units -> crop pixels for these options.
cv::Matx23d template_to_crop(const AlignOptions& options);
// The mean face in crop pixels.
Landmarks template_in_crop(const AlignOptions& options);

// The frame -> crop transform for a face with these frame landmarks.
cv::Matx23d frame_to_face_matrix(const Landmarks& frame_landmarks, const AlignOptions& options);
AlignedFace align_face(const cv::Mat& frame, const Landmarks& frame_landmarks, const AlignOptions& options);

// Root-mean-square distance, in face-box units, between the aligned points 17-67 and the
// template: about 0.03-0.06 for a well-fitted frontal face, above ~0.12 for a failed fit.
double alignment_residual(const Landmarks& frame_landmarks);

// Head yaw in degrees from the landmarks (0 frontal, positive: the face turns to the image's
// right). A rough geometric estimate for sorting, good to about 10 degrees.
double estimate_yaw_degrees(const Landmarks& frame_landmarks);

// The same face mirrored left-right: points reflected about x = axis_x and renumbered so that
// index i still names the same facial feature.
Landmarks mirror(const Landmarks& points, float axis_x);

// Generalised Procrustes analysis: the mean shape of many landmark sets after removing
// translation, rotation and scale, normalised to face-box units. Needs at least one shape.
Landmarks procrustes_mean(std::span<const Landmarks> shapes, int iterations = 10);
// Face-box normalisation: translate and scale uniformly so the bounding box's longer side is 1
// and the box starts at (0, 0) (the shorter side is centred in [0, 1]).
Landmarks normalise_to_face_box(const Landmarks& points);

}  // namespace mirage::face
