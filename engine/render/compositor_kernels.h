// The small tables the GPU compositing passes read, computed on the CPU exactly as the CPU
// reference compositor's OpenCV calls compute them, so both sides filter and sample alike:
//
//   std::vector<float> taps = gaussian_kernel(25, 6.0);        // cv::getGaussianKernel(25, 6)
//   std::vector<int> rows = ellipse_half_widths(10);           // MORPH_ELLIPSE, 21 x 21
//   WarpCoordinates c = warp_coordinates(crop_to_roi, 300, 280); // cv::warpAffine's mapping
//
// Pure functions, thread-safe. tests/swap checks each against OpenCV.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/composite_options.h"

namespace mirage::render {

// OpenCV's Gaussian kernel of `taps` (odd, >= 1) weights for sigma > 0: exp(-x^2 / (2 sigma^2))
// for x = i - (taps - 1) / 2, in double, normalised to sum 1, then rounded to float.
std::vector<float> gaussian_kernel(int taps, double sigma);

// The rows of OpenCV's elliptical structuring element of size 2r+1 (r >= 1): row dy in [-r, r]
// covers columns centre +- half_widths[dy + r].
std::vector<int> ellipse_half_widths(int radius);

// How cv::warpAffine (INTER_LINEAR) maps destination pixels to source positions: it inverts
// the source -> destination matrix, then for pixel (x, y) takes the position
// ((x0[y] + adelta[x]) >> 5, (y0[y] + bdelta[x]) >> 5) in 1/32 pixel.
struct WarpCoordinates {
  std::vector<std::int32_t> adelta;  // per destination column
  std::vector<std::int32_t> bdelta;
  std::vector<std::int32_t> x0;      // per destination row
  std::vector<std::int32_t> y0;
};
// nullopt when the matrix cannot be inverted (a zero or non-finite determinant) or maps so far
// that positions overflow OpenCV's fixed point.
std::optional<WarpCoordinates> warp_coordinates(const Affine2x3& source_to_destination, int width,
                                                int height);

}  // namespace mirage::render
