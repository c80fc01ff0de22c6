#include "engine/train/random_warp.h"

#include <algorithm>
#include <cmath>

#include "engine/core/check.h"
#include "engine/model/model_crop.h"

namespace mirage::train {

Point2 apply(const Affine& m, Point2 p) {
  return {m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5]};
}

Affine invert(const Affine& m) {
  const double det = m[0] * m[4] - m[1] * m[3];
  MIRAGE_CHECK(det != 0.0);
  const double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
}

Affine compose(const Affine& o, const Affine& i) {
  return {o[0] * i[0] + o[1] * i[3], o[0] * i[1] + o[1] * i[4], o[0] * i[2] + o[1] * i[5] + o[2],
          o[3] * i[0] + o[4] * i[3], o[3] * i[1] + o[4] * i[4], o[3] * i[2] + o[4] * i[5] + o[5]};
}

Affine umeyama(std::span<const Point2> from, std::span<const Point2> to) {
  MIRAGE_CHECK(from.size() == to.size() && from.size() >= 2);
  const double n = static_cast<double>(from.size());
  Point2 mf, mt;
  for (std::size_t k = 0; k < from.size(); ++k) {
    mf.x += from[k].x / n; mf.y += from[k].y / n;
    mt.x += to[k].x / n;   mt.y += to[k].y / n;
  }
  // For 2-D similarities the least-squares solution has a closed form: with centred points,
  // a = sum(x.x' + y.y') / sum|p|^2 and b = sum(x.y' - y.x') / sum|p|^2 (rotation*scale).
  double dot = 0, cross = 0, norm = 0;
  for (std::size_t k = 0; k < from.size(); ++k) {
    const double fx = from[k].x - mf.x, fy = from[k].y - mf.y;
    const double tx = to[k].x - mt.x, ty = to[k].y - mt.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    norm += fx * fx + fy * fy;
  }
  if (norm == 0.0) return {1, 0, mt.x - mf.x, 0, 1, mt.y - mf.y};
  const double a = dot / norm, b = cross / norm;
  return {a, -b, mt.x - (a * mf.x - b * mf.y), b, a, mt.y - (b * mf.x + a * mf.y)};
}

WarpRegion model_region(int resolution, int aligned_size, const model::ModelCrop& crop) {
  const auto m = model::model_to_aligned(resolution, aligned_size, crop);
  return {m[2], m[5], m[0] * resolution, resolution};
}

WarpField random_warp(const WarpRegion& region, double sigma, std::mt19937_64& rng) {
  const int r = region.resolution;
  MIRAGE_CHECK(r >= 4 && sigma >= 0);
  WarpField field;
  field.resolution = r;
  std::normal_distribution<double> noise(0.0, 1.0);
  std::array<Point2, 25> lattice{};
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      Point2& p = field.points[static_cast<std::size_t>(i * 5 + j)];
      p.x = region.x0 + region.side * j / 4.0;
      p.y = region.y0 + region.side * i / 4.0;
      if (sigma > 0) {
        p.x += sigma * noise(rng);
        p.y += sigma * noise(rng);
      }
      lattice[static_cast<std::size_t>(i * 5 + j)] = {r * j / 4.0, r * i / 4.0};
    }
  }
  field.map_x.resize(static_cast<std::size_t>(r) * r);
  field.map_y.resize(field.map_x.size());
  const double cell = r / 4.0;
  for (int y = 0; y < r; ++y) {
    const double ty = y / cell;
    const int i = std::min(static_cast<int>(ty), 3);
    const double fy = ty - i;
    for (int x = 0; x < r; ++x) {
      const double tx = x / cell;
      const int j = std::min(static_cast<int>(tx), 3);
      const double fx = tx - j;
      const auto at = [&](int ii, int jj) { return field.points[static_cast<std::size_t>(ii * 5 + jj)]; };
      const Point2 p00 = at(i, j), p01 = at(i, j + 1), p10 = at(i + 1, j), p11 = at(i + 1, j + 1);
      const std::size_t k = static_cast<std::size_t>(y) * r + x;
      field.map_x[k] = static_cast<float>((1 - fy) * ((1 - fx) * p00.x + fx * p01.x) +
                                          fy * ((1 - fx) * p10.x + fx * p11.x));
      field.map_y[k] = static_cast<float>((1 - fy) * ((1 - fx) * p00.y + fx * p01.y) +
                                          fy * ((1 - fx) * p10.y + fx * p11.y));
    }
  }
  field.target_to_source = invert(umeyama(field.points, lattice));
  return field;
}

void sample_bilinear(const std::uint8_t* image, int width, int height, int channels,
                     std::span<const float> xs, std::span<const float> ys, float* out) {
  MIRAGE_CHECK(xs.size() == ys.size() && channels >= 1 && channels <= 4);
  constexpr float kScale = 1.0f / 255.0f;
  const float max_x = static_cast<float>(width - 1);
  const float max_y = static_cast<float>(height - 1);
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const float x = std::clamp(xs[k], 0.0f, max_x);
    const float y = std::clamp(ys[k], 0.0f, max_y);
    const int x0 = std::min(static_cast<int>(x), width - 2 < 0 ? 0 : width - 2);
    const int y0 = std::min(static_cast<int>(y), height - 2 < 0 ? 0 : height - 2);
    const int x1 = std::min(x0 + 1, width - 1);
    const int y1 = std::min(y0 + 1, height - 1);
    const float fx = x - x0, fy = y - y0;
    const std::uint8_t* r0 = image + (static_cast<std::size_t>(y0) * width) * channels;
    const std::uint8_t* r1 = image + (static_cast<std::size_t>(y1) * width) * channels;
    for (int c = 0; c < channels; ++c) {
      const float top = r0[x0 * channels + c] + fx * (r0[x1 * channels + c] - r0[x0 * channels + c]);
      const float bottom = r1[x0 * channels + c] + fx * (r1[x1 * channels + c] - r1[x0 * channels + c]);
      out[k * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = (top + fy * (bottom - top)) * kScale;
    }
  }
}

}  // namespace mirage::train
