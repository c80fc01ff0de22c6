// random_warp, the "denoising" augmentation of the classic face-swap recipe (FACESWAP-FACTS.md
// section 2), scaled to any model resolution and crop. Standard library only.
//
//   WarpRegion region = model_region(64, 256, model::kFaceCrop);  // the model crop of a 256 px face
//   std::mt19937_64 rng(seed);
//   WarpField field = random_warp(region, 5.0 * region.side / 160.0, rng);
//   // warped input pixel (x, y) samples the source at (field.map_x[y*R+x], field.map_y[y*R+x]);
//   // target pixel p samples it at apply(field.target_to_source, p).
//
// The algorithm, for a region of side L at (x0, y0) and output resolution R:
//   1. a 5x5 control grid spanning the region, x = x0 + L*j/4, y = y0 + L*i/4;
//   2. N(0, sigma) added to every x and y (sigma in source pixels; the recipe's 5 px of a 160 px
//      region is sigma = 5 * L / 160);
//   3. warped input: the 5x5 maps interpolated bilinearly so that control point (i, j) lands on
//      output pixel (R*j/4, R*i/4) (the recipe's resize-to-80-and-crop-8..72 at R = 64);
//   4. target: the similarity (Umeyama, with scale) from the perturbed points to the lattice
//      (R*j/4, R*i/4); the target samples the source through its inverse.
// With sigma 0 the warped input and the target are the same image: the similarity-aligned
// region. (The recipe's cv2.resize uses half-pixel centres, which shifts its warped input by
// 1.25 px against its target at 64 px; we interpolate on the lattice instead so that only the
// random part differs.) Pure functions; thread-safe with one rng per thread.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/model/model_crop.h"

namespace mirage::train {

struct Point2 {
  double x = 0;
  double y = 0;
};

// Row-major 2x3: x' = m[0] x + m[1] y + m[2], y' = m[3] x + m[4] y + m[5].
using Affine = std::array<double, 6>;

Point2 apply(const Affine& m, Point2 p);
Affine invert(const Affine& m);             // m must be invertible
Affine compose(const Affine& outer, const Affine& inner);  // p -> outer(inner(p))
// Least-squares similarity with scale mapping `from` onto `to` (same size >= 2).
Affine umeyama(std::span<const Point2> from, std::span<const Point2> to);

struct WarpRegion {
  double x0 = 0;       // source coordinate of output pixel (0, 0)'s centre
  double y0 = 0;
  double side = 64;    // source pixels spanned by the R output pixels
  int resolution = 64;
};

// The model crop `crop` (engine/model/model_crop.h) of an aligned face of side aligned_size, at
// the model's resolution.
WarpRegion model_region(int resolution, int aligned_size, const model::ModelCrop& crop);

struct WarpField {
  int resolution = 0;
  std::vector<float> map_x;  // R*R source x per warped-input pixel
  std::vector<float> map_y;
  std::array<Point2, 25> points{};  // the perturbed control points, row-major
  Affine target_to_source{};        // target pixel -> source pixel
};

// sigma: standard deviation of the control-point noise in source pixels (>= 0).
WarpField random_warp(const WarpRegion& region, double sigma, std::mt19937_64& rng);

// Bilinear sampling of an interleaved 8-bit image with replicated borders. For output pixel k the
// source position is (xs[k], ys[k]); out gets count*channels floats in [0, 1].
void sample_bilinear(const std::uint8_t* image, int width, int height, int channels,
                     std::span<const float> xs, std::span<const float> ys, float* out);

}  // namespace mirage::train
