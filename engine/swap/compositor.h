// The CPU reference compositor: puts a swapped face back into its frame. It is the oracle the
// GPU passes (engine/render) are tested against, so every step is spelled out below exactly.
//
//   swap::FaceLayer layer{.face = face_bgr32, .learned_mask = mask32, .hull_mask = hull8,
//                         .face_to_frame = crop_to_frame};
//   swap::CompositeOptions options;            // the defaults suit a 256 px compositing crop
//   options.colour = swap::ColourTransfer::kRct;
//   swap::composite(frame, layer, options);    // frame (8-bit BGR) is changed in place
//
// Units: the "crop" is the square face image handed in (side S, any size; the Swapper uses
// 256). Pixel options of steps 1-3 are crop pixels; the sharpening radius is frame pixels.
// Images are BGR; float images are CV_32F in [0, 1].
//
// The steps, in order (m: the mask, a: the opacity):
//  1. mask (crop space, CV_32F): m = learned x hull (a missing one counts as 1; an 8-bit hull is
//     divided by 255).
//     a. per-side erosion, each side's edge moved inwards by its own amount n (whole pixels,
//        rounded): m(x, y) = min over k in [0, n] of m(x, y - k) for the top (x - k left,
//        y + k bottom, x + k right); pixels outside the crop count as 0.
//     b. erode (erode_px > 0) or dilate (< 0): grey-level erosion/dilation with an elliptical
//        structuring element of size 2r+1 (r = round(|erode_px|)), pixels outside count as 0.
//     c. feather (feather_px = f > 0): separable Gaussian, sigma = f / 2, kernel 2*ceil(f)+1
//        taps, pixels outside the crop count as 0.
//     d. fade to the border (border_fade = b > 0, a share of S): m *= clamp(d / (b*S), 0, 1),
//        d = min(x, y, S-1-x, S-1-y): the mask is 0 on the crop's outermost pixels, so no
//        hard edge (chin, forehead) can show where the crop ends.
//  2. placement and warp: the crop is scaled about its centre by face_scale and shifted by
//     (offset_x, offset_y) * S before it goes back: crop -> frame is face_to_frame o T with
//     T(p) = c + face_scale * (p - c) + offset * S, c = ((S-1)/2, (S-1)/2). Face and mask
//     are warped to the frame with cv::warpAffine given that crop -> frame matrix (bilinear,
//     constant 0 outside the crop), only over the bounding box of the warped crop.
//  3. colour transfer (frame space, over that box; weights w = m): the warped face is moved
//     to the statistics of the frame under the mask, see ColourTransfer. Skipped when the
//     mask's total weight is below 1 pixel.
//     3b. detail (detail = d > 0): face += d * (F - G(F)) / 255 over the box, F the frame's 8-bit
//     pixels there (before this face), G(F) their Gaussian blur rounded to 8 bits (sigma =
//     detail_radius_px * sqrt(|det|) of the crop -> frame matrix's linear part, i.e. crop pixels
//     at the face's scale in the frame; kernel 2*ceil(3 sigma)+1, replicated frame border). The
//     frame's own finest texture (grain, pores, lashes), finer than the model draws, goes over
//     the face; not clamped (the blend saturates).
//  4. blend: out = frame * (1 - a*m) + face * (a*m) in float, rounded to nearest 8 bit.
//     kSeamless: the face is first Poisson-cloned into the frame (cv::seamlessClone, NORMAL_CLONE,
//     region m > 0.5), and that clone takes the place of `face` in the same formula; where
//     the clone cannot run (a region within 1 px of the frame border, or under 3x3 px) the
//     plain face is blended. CPU only: the GPU passes implement kAlpha.
//  5. sharpen (amount > 0): s = out + amount * (out - G(out)), G a Gaussian of sigma =
//     sharpen_radius_px (frame pixels, kernel 2*ceil(3 sigma)+1, replicated frame border);
//     out += a*k * (s - out), rounded to 8 bit, k = clamp((m - c) / (1 - c), 0, 1) with
//     c = sharpen_core (in float), so k = m at c = 0 and the blended edge (m <= c) is left as
//     it is. Flat regions and pixels outside the mask keep their value; opacity 0 leaves the
//     frame exactly as it was.
// All functions are pure apart from composite()'s frame, and thread-safe.
#pragma once

#include <opencv2/core.hpp>

#include "engine/core/composite_options.h"
#include "engine/core/error.h"

namespace mirage::swap {

// The options, their ranges and defaults are defined once, in engine/core/composite_options.h.
using mirage::BlendMode;
using mirage::ColourTransfer;
using mirage::CompositeOptions;
using mirage::parse_blend_mode;
using mirage::parse_colour_transfer;
using mirage::to_string;
using mirage::validate;

// One face to put back.
struct FaceLayer {
  cv::Mat face;               // S x S, CV_32FC3 BGR in [0, 1]
  cv::Mat learned_mask;       // S x S CV_32FC1 in [0, 1], or empty (counts as 1)
  cv::Mat hull_mask;          // S x S CV_8UC1 (0/255) or CV_32FC1 in [0, 1], or empty
  cv::Matx23d face_to_frame;  // crop pixels -> frame pixels
};

// Step 1: the crop-space mask (S x S, CV_32FC1 in [0, 1]).
cv::Mat prepare_mask(const FaceLayer& layer, const CompositeOptions& options);

// Step 2's matrix: crop pixels -> frame pixels with face_scale and offsets applied.
cv::Matx23d placed_face_to_frame(const cv::Matx23d& face_to_frame, int crop_side,
                                 const CompositeOptions& options);

// Step 3 on its own: `face` (CV_32FC3 BGR) moved towards the statistics of `target` (same size
// and type), both measured with the weights (CV_32FC1, >= 0). Returns a new image in [0, 1].
cv::Mat transfer_colour(const cv::Mat& face, const cv::Mat& target, const cv::Mat& weights,
                        ColourTransfer mode);

// Weighted per-channel mean and standard deviation (population) of a float image.
void weighted_mean_std(const cv::Mat& image, const cv::Mat& weights, cv::Scalar& mean, cv::Scalar& stddev);

// Step 5 on its own: unsharp mask of `image` (8-bit BGR) limited by `mask` (CV_32FC1, same
// size, in [0, 1]); `image` is changed in place. `image` may be a ROI of a larger frame: the
// blur then reads the frame's pixels around it, exactly as on the whole frame.
void sharpen(cv::Mat& image, const cv::Mat& mask, double amount, double radius_px);
// Step 5's weight a*k of each pixel (see above) from the frame-space mask m (CV_32FC1).
cv::Mat sharpen_weight(const cv::Mat& mask, double opacity, double core);

// Step 3b on its own: `face` (CV_32FC3, the size of `region`) += amount * (F - G(F)) / 255, F
// the 8-bit BGR frame over `region`, G a Gaussian of sigma_px (the frame's pixels around the
// region are read, its own border replicated).
void add_detail(const cv::Mat& frame, const cv::Rect& region, double sigma_px, double amount, cv::Mat& face);
// detail_sigma_px() of engine/core for a cv matrix.
double detail_sigma_px(const cv::Matx23d& placed, const CompositeOptions& options);

struct CompositeResult {
  cv::Rect region;  // the frame pixels that may have changed (empty: the face is off-frame)
  cv::Mat mask;     // the frame-space mask over `region` (CV_32FC1), before opacity
};

// Steps 1-5: composites the layer into `frame` (8-bit BGR, changed in place).
// options must pass validate() (checked); the layer's images must have the documented
// types and one side S >= 8 (checked).
CompositeResult composite(cv::Mat& frame, const FaceLayer& layer, const CompositeOptions& options);

}  // namespace mirage::swap
