// The compositing options: their one definition. The CPU compositor (engine/swap), the GPU
// compositor (engine/render), the command line's flags and the studio's sliders all read the
// table below, so a name, a range or a default is written once.
//
//   mirage::CompositeOptions options;                       // the defaults of the table
//   for (const CompositeParam& p : composite_params()) {    // one flag or slider each
//     add_flag(std::string("--") + std::string(p.key), p.default_value, p.help);
//     options.*p.field = value_from_user;
//   }
//   if (auto s = validate(options); !s) ...;                // names the first bad option
//
// Units: the "crop" is the square face image handed to the compositor (side S); pixel options
// of the mask, the placement and the detail are crop pixels, the sharpening radius is frame
// pixels. The maths of each option is stated in engine/swap/compositor.h (the CPU reference).
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "engine/core/config.h"
#include "engine/core/error.h"

namespace mirage {

enum class ColourTransfer {
  kNone,
  kRct,        // Reinhard: per channel of L*a*b*, (x - mean_face) * std_target / std_face + mean_target
  kMean,       // per BGR channel: x - mean_face + mean_target (FS "avg-color")
  kHistogram,  // per BGR channel: weighted 256-bin histogram matching (CDF to CDF); CPU only
};
enum class BlendMode { kAlpha, kSeamless };  // kSeamless (Poisson clone) is CPU only

std::string_view to_string(ColourTransfer mode);
Result<ColourTransfer> parse_colour_transfer(std::string_view text);  // none|rct|mean|hist
std::string_view to_string(BlendMode mode);
Result<BlendMode> parse_blend_mode(std::string_view text);  // alpha|seamless

// Default member values equal the table's defaults (a unit test holds them together).
struct CompositeOptions {
  // The mask (learned x the source's landmark hull) is grown by 8 crop px on every side but the
  // chin's: the per-side erosion runs first, so the bottom edge ends where it began. The hull is
  // the source's face, so without growth the target's wider brow, temples and cheeks are cut off
  // and the source's outline (Hal's glasses' rims on Roxanne) shows past the swap. Growth raised
  // identity transfer 3-7 points on four models and put the source's outline under the swap, for
  // NME +0.002-0.004 (more of the target's jaw line shows); growing the chin too smeared it into
  // the neck (docs/results/swap_quality.md).
  double erode_px = -8.0;        // > 0 erodes, < 0 dilates the mask (crop pixels)
  double feather_px = 12.0;      // Gaussian feather of the mask edge (crop pixels, sigma = f/2)
  double border_fade = 0.08;     // share of the crop side over which the mask fades to 0
  double erode_top_px = 0.0;     // per-side erosion (crop pixels), before the erode/dilate
  double erode_bottom_px = 8.0;
  double erode_left_px = 0.0;
  double erode_right_px = 0.0;
  double face_scale = 1.0;       // about the crop centre
  double offset_x = 0.0;         // a share of the crop side
  double offset_y = 0.0;
  ColourTransfer colour = ColourTransfer::kRct;
  BlendMode blend = BlendMode::kAlpha;
  double opacity = 1.0;
  double detail = 0.0;             // share of the frame's high-pass laid over the face
  double detail_radius_px = 0.75;  // its Gaussian sigma, crop pixels
  // Unsharp mask. On by default: a 64 px model face drawn over a 300 px one is soft at the scale of
  // a few frame pixels. 1.5 at sigma 2 over the whole mask raised the eval's detail ratio 1.8-2x;
  // 2 gave more but a halo along the chin, where face and frame meet. Kept off that edge (core
  // 0.5), 2 gives 0.60 against 1.5's 0.50 on the 20-minute demo model with the chin as clean as at
  // 1.5; identity transfer 1.5-2.3 points lower on three models, about what two conversions of
  // one model differ by (docs/results/swap_quality.md).
  double sharpen_amount = 2.0;     // unsharp-mask gain
  double sharpen_radius_px = 2.0;  // Gaussian sigma in frame pixels
  // Where the unsharp mask acts: its weight is clamp((m - core) / (1 - core), 0, 1) of the mask m,
  // so 0 sharpens wherever the face shows and 0.5 leaves the blended edge (the seam, the chin's
  // contour, where face and frame disagree) as it is.
  double sharpen_core = 0.5;

  bool operator==(const CompositeOptions&) const = default;
};

// One numeric option: its key (the flag is "--<key>", the JSON field and the slider id are
// "<key>"), a label for the UI, a line of help, its closed range and its default.
struct CompositeParam {
  std::string_view key;
  std::string_view label;
  std::string_view help;
  double min_value;
  double max_value;
  double default_value;
  double CompositeOptions::*field;
};

// The numeric options in the order a UI lists them.
std::span<const CompositeParam> composite_params();
// The entry whose key is `key`, or nullptr.
const CompositeParam* find_composite_param(std::string_view key);

// The two choice options (keys "colour" and "blend") with their choices, for flags and combos.
struct CompositeChoice {
  std::string_view key;
  std::string_view label;
  std::string_view help;
  std::span<const std::string_view> choices;  // in enum order
};
const CompositeChoice& colour_choice();
const CompositeChoice& blend_choice();

// Every option as a JSON object keyed by the table's keys (project.json's "composite", the
// provenance record's settings).
Json composite_options_json(const CompositeOptions& options);

// kInvalidArgument naming the first option out of its range ("erode must be in [-400, 400] px
// (got nan)"); NaN and infinities are out of every range.
Status validate(const CompositeOptions& options);

// The placement geometry both compositors share (step 2 of engine/swap/compositor.h).
// A 2x3 affine matrix, row-major: (x, y) -> (m[0] x + m[1] y + m[2], m[3] x + m[4] y + m[5]).
using Affine2x3 = std::array<double, 6>;

// crop pixels -> frame pixels with face_scale and the offsets applied: face_to_frame o T,
// T(p) = c + face_scale * (p - c) + offset * side, c = ((side - 1) / 2, (side - 1) / 2).
Affine2x3 placed_face_to_frame(const Affine2x3& face_to_frame, int side,
                               const CompositeOptions& options);

// The detail's Gaussian sigma in frame pixels for a face placed with `placed` (crop -> frame):
// detail_radius_px times the placement's scale, sqrt(|det|) of its linear part.
double detail_sigma_px(const Affine2x3& placed, const CompositeOptions& options);
// How far a Gaussian of `sigma` reaches: its kernel has 2 * reach + 1 taps, reach = ceil(3 sigma).
int blur_reach_px(double sigma);

// A rectangle of frame pixels, [x, x + width) x [y, y + height).
struct PixelRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool empty() const { return width <= 0 || height <= 0; }
};

// The frame pixels a crop of `side` pixels covers once warped with `crop_to_frame` (its
// corners at -0.5 and side - 0.5, floor/ceil, one pixel of margin), clipped to the frame.
// Empty when the face lies outside the frame.
PixelRect warped_bounds(const Affine2x3& crop_to_frame, int side, int frame_width,
                        int frame_height);

}  // namespace mirage
