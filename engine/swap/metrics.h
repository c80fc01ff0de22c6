// Quality numbers for swapped clips: image similarity, landmark fidelity and jitter (what
// `mirage eval` reports besides the face-recognition judge of swap/identity_judge.h).
//
//   double p = swap::psnr(a, b);                     // dB, 8-bit images of one size and type
//   double s = swap::ssim(a, b);                     // [-1, 1], 1 = identical
//   double e = swap::landmark_error(out, src);       // mean point distance / inter-ocular distance
//
// Pure functions, thread-safe.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"

namespace mirage::swap {

// Peak signal-to-noise ratio in dB over all channels (peak 255); 100 for identical images.
double psnr(const cv::Mat& a, const cv::Mat& b);
// Structural similarity (Wang et al. 2004): Gaussian window sigma 1.5 (11 taps), K1 0.01,
// K2 0.03, L 255, averaged over pixels and channels.
double ssim(const cv::Mat& a, const cv::Mat& b);

// Distance between the eye centres (means of points 36-41 and 42-47), pixels.
double inter_ocular_distance(const face::Landmarks& points);
// Mean distance between corresponding points of a and b, divided by b's inter-ocular distance.
double landmark_error(const face::Landmarks& a, const face::Landmarks& b);
// The parts of the 68-point face, for landmark_error_by_part: jaw 0-16, brows 17-26, nose 27-35,
// eyes 36-47, mouth 48-67.
inline constexpr int kFaceParts = 5;
inline constexpr std::array<const char*, kFaceParts> kFacePartNames{"jaw", "brows", "nose", "eyes", "mouth"};
// landmark_error over each part's points alone (same normalisation): where a swap's shape differs.
std::array<double, kFaceParts> landmark_error_by_part(const face::Landmarks& a, const face::Landmarks& b);
// Mean frame-to-frame point displacement / inter-ocular distance over consecutive pairs (pairs
// with a missing face are skipped; an empty optional is a frame without a face). 0 for < 2.
double landmark_jitter(const std::vector<std::optional<face::Landmarks>>& track);
// Mean |(a_t - a_{t-1}) - (b_t - b_{t-1})| / IOD: motion of a that b does not have.
double excess_jitter(const std::vector<std::optional<face::Landmarks>>& a,
                     const std::vector<std::optional<face::Landmarks>>& b);

// The inner face of these landmarks: from the outer eye corners (points 36 and 45) across, from
// the highest brow point (17-26) to the bottom of the lower lip (57) down; eyes, brows, nose and
// mouth, where a face's fine detail is and inside any swap's mask. Clipped to the image.
cv::Rect inner_face(const face::Landmarks& points, cv::Size image);
// Fine detail: the variance of the Laplacian (3x3, on grey levels) over the inner face, grey
// levels^2; 0 for an empty region. Compare a face with itself at the same resolution only.
double inner_face_detail(const cv::Mat& image_bgr8, const face::Landmarks& points);

}  // namespace mirage::swap
