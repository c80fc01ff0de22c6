// Push-constant structs and workgroup sizes shared by the C++ side (engine/render) and GLSL.
//
//   C++:  #include "shaders/shared_types.h"
//         mirage::shaders::BlendPushConstants push{.opacity = 0.8f, ...};
//   GLSL: #include "shared_types.h"
//         layout(push_constant) uniform Push { BlendPushConstants pc; };
//
// Rules that keep both sides byte-identical: push constants use std430 layout, so only 4-byte
// scalars (float, uint, int) go in these structs, in declaration order, padded by hand to a
// multiple of 16 bytes. The C++ side static_asserts each struct's size.
#ifndef MIRAGE_SHADERS_SHARED_TYPES_H
#define MIRAGE_SHADERS_SHARED_TYPES_H

#ifdef __cplusplus
#include <cstdint>
namespace mirage::shaders {
using uint = std::uint32_t;
#endif

// Threads per workgroup along x and y of the image passes (one thread per pixel).
#define MIRAGE_IMAGE_GROUP_SIZE 16

// The compositing passes (composite_*.comp, see engine/render/compositor.h). Offsets are in
// the units of their buffer: words of staging and readback, floats of work. A crop is the
// square face image of side `side`; a region ("roi") is a rectangle of frame pixels.
#define MIRAGE_NO_DATA 0xffffffffu
#define MIRAGE_REDUCE_GROUP_SIZE 256  // threads per group of the 1-D passes
#define MIRAGE_STATS_FLOATS 16  // per partial: weight, face sum[3], face sq[3], frame sum[3], frame sq[3]

// composite_frame_unpack.comp / composite_frame_pack.comp: frame bytes <-> out_image.
// unpack: the region x, y, width, height of the frame (rows of `stride` bytes, `channels` 3 or
// 4, bgr order when bgr != 0) from staging word `offset` into out_image at x, y. pack: the region x, y, w, h of out_image into readback
// word `offset` as tightly packed BGR (bgr != 0) or RGB bytes, one thread per word.
struct FrameCopyPushConstants {
  uint x;
  uint y;
  uint width;
  uint height;
  uint offset;
  uint stride;
  uint channels;
  uint bgr;
};

// composite_mask_init.comp: work[dst + i] = learned(i) * hull(i) / 255 over the crop, where
// learned are floats at staging word `learned` and hull bytes at staging word `hull`
// (MIRAGE_NO_DATA: counts as 1).
struct MaskInitPushConstants {
  uint side;
  uint learned;
  uint hull;
  uint dst;
};

// composite_mask_line.comp: a 1-D filter along `axis` (0: x, 1: y), pixels outside the crop
// counting as 0. op 0: minimum over [i + lo, i + hi]; op 1: sum of weights[k] * m(i + lo + k)
// for k in [0, hi - lo] (weights: floats at staging word `weights`). op 2: the fade to the
// border, m *= clamp(d / fade_px, 0, 1) with d the distance to the nearest crop edge.
struct MaskLinePushConstants {
  uint side;
  uint src;
  uint dst;
  uint axis;
  int lo;
  int hi;
  uint weights;
  uint op;
  float fade_px;
  uint padding0;
  uint padding1;
  uint padding2;
};

// composite_mask_table.comp: level k of a sparse table along x: work[dst + i] =
// op(src(x), src(x + half)) (op 0: min, 1: max), for x + half < side (else src(x)).
struct MaskTablePushConstants {
  uint side;
  uint src;
  uint dst;
  uint half_width;
  uint op;
  uint padding0;
  uint padding1;
  uint padding2;
};

// composite_mask_morph.comp: grey-level erosion (op 0) or dilation (op 1) with OpenCV's
// elliptical structuring element of radius r: row dy in [-r, r] spans x +- half_widths[dy + r]
// (ints at staging word `half_widths`); pixels outside count as 0. Rows are read from the
// sparse table: level 0 at `src`, level k >= 1 at table + (k - 1) * side * side.
struct MaskMorphPushConstants {
  uint side;
  uint src;
  uint table;
  uint dst;
  int radius;
  uint half_widths;
  uint op;
  uint levels;
};

// composite_warp.comp: for each pixel of the region (roi_w x roi_h), the crop position by
// OpenCV's fixed-point warpAffine mapping (1/32 px): X = (x0[y] + adelta[x]) >> 5, ints at
// staging word `coords` in the order adelta[roi_w], bdelta[roi_w], x0[roi_h], y0[roi_h]; the
// face (BGR floats at staging word `face`) and mask (work float `mask`) bilinearly sampled, 0
// outside the crop, into work[dst + 4 * i] = (b, g, r, m).
struct WarpPushConstants {
  uint side;
  uint face;
  uint mask;
  uint coords;
  uint dst;
  uint roi_w;
  uint roi_h;
  uint padding0;
};

// composite_stats.comp: per row of the region, the mask-weighted sums of the warped face and of
// out_image (L*a*b* for mode 1, RGB for mode 2), MIRAGE_STATS_FLOATS floats per row at work
// `partials`. composite_stats_finish.comp: one invocation sums `count` rows and writes the
// colour transform to work `params`: [0] apply (0/1), [1..3] gain, [4..6] offset.
struct StatsPushConstants {
  uint warped;
  uint roi_x;
  uint roi_y;
  uint roi_w;
  uint roi_h;
  uint mode;
  uint partials;
  uint count;
  uint params;
  uint padding0;
  uint padding1;
  uint padding2;
};

// composite_blend.comp: out = frame * (1 - a*m) + face' * 255 * (a*m), rounded, over the region,
// where face' is the warped face after the colour transform at work `params` (mode 0: none),
// clamped to [0, 1], plus detail_amount * high / 255 with `high` the frame's high-pass at work
// `detail` (3 floats per region pixel; read only when detail_amount > 0).
struct BlendPushConstants {
  uint warped;
  uint roi_x;
  uint roi_y;
  uint roi_w;
  uint roi_h;
  uint params;
  uint mode;
  float opacity;
  uint detail;
  float detail_amount;
  uint padding0;
  uint padding1;
};

// The two Gaussians of out_image over a face's region: the unsharp mask after the blend, and
// the detail (high-pass) before it.
// composite_sharpen_rows.comp: the horizontal Gaussian (2 * radius + 1 taps, floats at staging
// word `weights`, replicated frame border) of out_image rows [row0, row0 + rows) over columns
// [roi_x, roi_x + roi_w), into work `rows_buffer` (3 floats per pixel).
// composite_sharpen.comp: the vertical pass over the region, rounded to 8 bits, then
// out += a*k * amount * (out - blur), rounded (k from the warped mask m and core).
// composite_detail.comp: the vertical pass over the region, rounded to 8 bits, then
// high = out - blur into work `detail` (3 floats per pixel, RGB) where a*m > 0.
struct SharpenPushConstants {
  uint roi_x;
  uint roi_y;
  uint roi_w;
  uint roi_h;
  uint row0;
  uint rows;
  uint rows_buffer;
  uint weights;
  int radius;
  uint frame_w;
  uint frame_h;
  uint warped;
  float amount;
  float opacity;
  uint detail;
  float core;  // sharpen_core: the weight is a * clamp((m - core) / (1 - core), 0, 1)
};

#ifdef __cplusplus
static_assert(sizeof(FrameCopyPushConstants) == 32);
static_assert(sizeof(MaskInitPushConstants) == 16);
static_assert(sizeof(MaskLinePushConstants) == 48);
static_assert(sizeof(MaskTablePushConstants) == 32);
static_assert(sizeof(MaskMorphPushConstants) == 32);
static_assert(sizeof(WarpPushConstants) == 32);
static_assert(sizeof(StatsPushConstants) == 48);
static_assert(sizeof(BlendPushConstants) == 48);
static_assert(sizeof(SharpenPushConstants) == 64);
}  // namespace mirage::shaders
#endif

#endif  // MIRAGE_SHADERS_SHARED_TYPES_H
