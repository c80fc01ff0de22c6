#include "engine/render/compositor_kernels.h"

#include <cmath>

#include "engine/core/check.h"

namespace mirage::render {

std::vector<float> gaussian_kernel(int taps, double sigma) {
  MIRAGE_CHECK(taps >= 1 && taps % 2 == 1 && sigma > 0);
  std::vector<double> weights(static_cast<std::size_t>(taps));
  const double scale = -0.5 / (sigma * sigma);
  double sum = 0;
  for (int i = 0; i < taps; ++i) {
    const double x = i - (taps - 1) * 0.5;
    weights[static_cast<std::size_t>(i)] = std::exp(scale * x * x);
    sum += weights[static_cast<std::size_t>(i)];
  }
  std::vector<float> kernel;
  kernel.reserve(weights.size());
  for (const double w : weights) kernel.push_back(static_cast<float>(w / sum));
  return kernel;
}

std::vector<int> ellipse_half_widths(int radius) {
  MIRAGE_CHECK(radius >= 1);
  const double inverse_r2 = 1.0 / (static_cast<double>(radius) * radius);
  std::vector<int> half_widths;
  for (int dy = -radius; dy <= radius; ++dy) {
    const double dx = radius * std::sqrt((radius * radius - dy * dy) * inverse_r2);
    half_widths.push_back(static_cast<int>(std::lrint(dx)));
  }
  return half_widths;
}

std::optional<WarpCoordinates> warp_coordinates(const Affine2x3& forward, int width, int height) {
  MIRAGE_CHECK(width > 0 && height > 0);
  // cv::warpAffine's own inversion, step for step.
  double m[6] = {forward[0], forward[1], forward[2], forward[3], forward[4], forward[5]};
  double d = m[0] * m[4] - m[1] * m[3];
  if (!std::isfinite(d) || d == 0) return std::nullopt;
  d = 1.0 / d;
  const double a11 = m[4] * d, a22 = m[0] * d;
  m[0] = a11;
  m[1] *= -d;
  m[3] *= -d;
  m[4] = a22;
  const double b1 = -m[0] * m[2] - m[1] * m[5];
  const double b2 = -m[3] * m[2] - m[4] * m[5];
  m[2] = b1;
  m[5] = b2;
  for (const double v : m) {
    if (!std::isfinite(v)) return std::nullopt;
  }

  constexpr double kScale = 1 << 10;     // AB_BITS = 10
  constexpr std::int32_t kRoundDelta = 16;  // AB_SCALE / INTER_TAB_SIZE / 2
  // Positions must stay well inside OpenCV's int (and short, for the pixel part).
  constexpr double kLimit = 32000.0 * kScale;
  WarpCoordinates c;
  auto fixed = [&](double v, std::int32_t& out) {
    if (!(std::abs(v) < kLimit)) return false;
    out = static_cast<std::int32_t>(std::lrint(v));
    return true;
  };
  c.adelta.resize(static_cast<std::size_t>(width));
  c.bdelta.resize(static_cast<std::size_t>(width));
  for (int x = 0; x < width; ++x) {
    if (!fixed(m[0] * x * kScale, c.adelta[static_cast<std::size_t>(x)]) ||
        !fixed(m[3] * x * kScale, c.bdelta[static_cast<std::size_t>(x)])) {
      return std::nullopt;
    }
  }
  c.x0.resize(static_cast<std::size_t>(height));
  c.y0.resize(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    std::int32_t x0 = 0, y0 = 0;
    if (!fixed((m[1] * y + m[2]) * kScale, x0) || !fixed((m[4] * y + m[5]) * kScale, y0)) {
      return std::nullopt;
    }
    c.x0[static_cast<std::size_t>(y)] = x0 + kRoundDelta;
    c.y0[static_cast<std::size_t>(y)] = y0 + kRoundDelta;
  }
  return c;
}

}  // namespace mirage::render
