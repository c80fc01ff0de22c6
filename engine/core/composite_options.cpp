#include "engine/core/composite_options.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mirage {
namespace {

constexpr std::array kParams = {
    CompositeParam{"erode", "Erode", "erode (> 0) or dilate (< 0) the mask, crop px", -400, 400, -8,
                   &CompositeOptions::erode_px},
    CompositeParam{"feather", "Feather", "mask edge blur (Gaussian, sigma = feather / 2), crop px",
                   0, 400, 12, &CompositeOptions::feather_px},
    CompositeParam{"border-fade", "Border fade",
                   "share of the crop side over which the mask fades out", 0, 0.5, 0.08,
                   &CompositeOptions::border_fade},
    CompositeParam{"erode-top", "Erode top", "per-side erosion, crop px", 0, 400, 0,
                   &CompositeOptions::erode_top_px},
    CompositeParam{"erode-bottom", "Erode bottom", "per-side erosion, crop px", 0, 400, 8,
                   &CompositeOptions::erode_bottom_px},
    CompositeParam{"erode-left", "Erode left", "per-side erosion, crop px", 0, 400, 0,
                   &CompositeOptions::erode_left_px},
    CompositeParam{"erode-right", "Erode right", "per-side erosion, crop px", 0, 400, 0,
                   &CompositeOptions::erode_right_px},
    CompositeParam{"face-scale", "Face scale", "face scale about the crop centre", 0.5, 1.5, 1,
                   &CompositeOptions::face_scale},
    CompositeParam{"offset-x", "Offset x", "face shift, share of the crop side", -0.5, 0.5, 0,
                   &CompositeOptions::offset_x},
    CompositeParam{"offset-y", "Offset y", "face shift, share of the crop side", -0.5, 0.5, 0,
                   &CompositeOptions::offset_y},
    CompositeParam{"opacity", "Opacity", "how much of the swapped face shows", 0, 1, 1,
                   &CompositeOptions::opacity},
    CompositeParam{"detail", "Detail",
                   "how much of the frame's own finest detail (its high-pass) shows through the face",
                   0, 1, 0, &CompositeOptions::detail},
    CompositeParam{"detail-radius", "Detail radius",
                   "the detail's scale (Gaussian sigma of the high-pass), crop px", 0.25, 8, 0.75,
                   &CompositeOptions::detail_radius_px},
    CompositeParam{"sharpen", "Sharpen", "unsharp-mask amount (0: off)", 0, 5, 2,
                   &CompositeOptions::sharpen_amount},
    CompositeParam{"sharpen-radius", "Sharpen radius",
                   "unsharp-mask radius (Gaussian sigma), frame px", 0.01, 50, 2,
                   &CompositeOptions::sharpen_radius_px},
    CompositeParam{"sharpen-core", "Sharpen core",
                   "sharpen only where the mask is above this (0: all of the face; 0.5: not the blended edge)",
                   0, 0.95, 0.5, &CompositeOptions::sharpen_core},
};

constexpr std::array<std::string_view, 4> kColourNames = {"none", "rct", "mean", "hist"};
constexpr std::array<std::string_view, 2> kBlendNames = {"alpha", "seamless"};

}  // namespace

std::string_view to_string(ColourTransfer mode) {
  return kColourNames.at(static_cast<std::size_t>(mode));
}

Result<ColourTransfer> parse_colour_transfer(std::string_view text) {
  for (std::size_t i = 0; i < kColourNames.size(); ++i) {
    if (text == kColourNames[i]) return static_cast<ColourTransfer>(i);
  }
  return fail(ErrorCode::kInvalidArgument, "unknown colour transfer '{}' (none, rct, mean or hist)",
              text);
}

std::string_view to_string(BlendMode mode) { return kBlendNames.at(static_cast<std::size_t>(mode)); }

Result<BlendMode> parse_blend_mode(std::string_view text) {
  for (std::size_t i = 0; i < kBlendNames.size(); ++i) {
    if (text == kBlendNames[i]) return static_cast<BlendMode>(i);
  }
  return fail(ErrorCode::kInvalidArgument, "unknown blend mode '{}' (alpha or seamless)", text);
}

std::span<const CompositeParam> composite_params() { return kParams; }

const CompositeParam* find_composite_param(std::string_view key) {
  for (const CompositeParam& p : kParams) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

const CompositeChoice& colour_choice() {
  static const CompositeChoice choice{
      "colour", "Colour", "colour transfer to the frame under the mask: none, rct, mean or hist",
      kColourNames};
  return choice;
}

const CompositeChoice& blend_choice() {
  static const CompositeChoice choice{"blend", "Blend", "alpha or seamless (Poisson clone, CPU only)",
                                      kBlendNames};
  return choice;
}

Json composite_options_json(const CompositeOptions& c) {
  Json j = Json::object();
  for (const CompositeParam& p : composite_params()) j[std::string(p.key)] = c.*p.field;
  j[std::string(colour_choice().key)] = std::string(to_string(c.colour));
  j[std::string(blend_choice().key)] = std::string(to_string(c.blend));
  return j;
}

Status validate(const CompositeOptions& options) {
  for (const CompositeParam& p : kParams) {
    const double v = options.*p.field;
    // NaN fails both comparisons, so it is out of every range.
    if (!(v >= p.min_value && v <= p.max_value)) {
      return fail(ErrorCode::kInvalidArgument, "{} must be in [{}, {}] (got {})", p.key, p.min_value,
                  p.max_value, v);
    }
  }
  if (static_cast<std::size_t>(options.colour) >= kColourNames.size() ||
      static_cast<std::size_t>(options.blend) >= kBlendNames.size()) {
    return fail(ErrorCode::kInvalidArgument, "unknown colour transfer or blend mode");
  }
  return ok();
}

Affine2x3 placed_face_to_frame(const Affine2x3& f, int side, const CompositeOptions& o) {
  const double c = (side - 1) / 2.0;
  const double s = o.face_scale;
  const double tx = c - s * c + o.offset_x * side;
  const double ty = c - s * c + o.offset_y * side;
  // f o T with T = [s 0 tx; 0 s ty].
  return {f[0] * s, f[1] * s, f[0] * tx + f[1] * ty + f[2],
          f[3] * s, f[4] * s, f[3] * tx + f[4] * ty + f[5]};
}

double detail_sigma_px(const Affine2x3& m, const CompositeOptions& o) {
  return o.detail_radius_px * std::sqrt(std::abs(m[0] * m[4] - m[1] * m[3]));
}

int blur_reach_px(double sigma) { return static_cast<int>(std::ceil(3 * sigma)); }

PixelRect warped_bounds(const Affine2x3& m, int side, int frame_width, int frame_height) {
  const double lo = -0.5, hi = side - 0.5;
  const std::array<std::array<double, 2>, 4> corners = {{{lo, lo}, {hi, lo}, {lo, hi}, {hi, hi}}};
  double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
  for (const auto& [cx, cy] : corners) {
    const double x = m[0] * cx + m[1] * cy + m[2];
    const double y = m[3] * cx + m[4] * cy + m[5];
    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return {};
  // Clamp before converting, so a face far outside cannot overflow an int.
  const auto clip = [](double v, int limit) {
    return static_cast<int>(std::clamp(v, -1.0, static_cast<double>(limit) + 1.0));
  };
  const int left = std::max(clip(std::floor(x0), frame_width), 0);
  const int top = std::max(clip(std::floor(y0), frame_height), 0);
  const int right = std::min(clip(std::ceil(x1) + 1, frame_width), frame_width);
  const int bottom = std::min(clip(std::ceil(y1) + 1, frame_height), frame_height);
  if (right <= left || bottom <= top) return {};
  return {left, top, right - left, bottom - top};
}

}  // namespace mirage
