#include "engine/swap/compositor.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include "engine/core/check.h"

namespace mirage::swap {
namespace {

int whole_pixels(double px) { return static_cast<int>(std::lround(std::abs(px))); }

// Grey-level erosion of a float mask with `kernel`, pixels outside counting as 0.
void erode_with_zero_border(cv::Mat& mask, const cv::Mat& kernel, cv::Point anchor) {
  cv::erode(mask, mask, kernel, anchor, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
}

void erode_sides(cv::Mat& mask, const CompositeOptions& o) {
  const int top = whole_pixels(o.erode_top_px), bottom = whole_pixels(o.erode_bottom_px);
  const int left = whole_pixels(o.erode_left_px), right = whole_pixels(o.erode_right_px);
  if (top > 0) erode_with_zero_border(mask, cv::Mat::ones(top + 1, 1, CV_8U), {0, top});
  if (bottom > 0) erode_with_zero_border(mask, cv::Mat::ones(bottom + 1, 1, CV_8U), {0, 0});
  if (left > 0) erode_with_zero_border(mask, cv::Mat::ones(1, left + 1, CV_8U), {left, 0});
  if (right > 0) erode_with_zero_border(mask, cv::Mat::ones(1, right + 1, CV_8U), {0, 0});
}

void fade_to_border(cv::Mat& mask, double border_fade) {
  const int side = mask.cols;
  const double width = border_fade * side;
  for (int y = 0; y < side; ++y) {
    float* row = mask.ptr<float>(y);
    for (int x = 0; x < side; ++x) {
      const int d = std::min({x, y, side - 1 - x, side - 1 - y});
      row[x] *= static_cast<float>(std::clamp(d / width, 0.0, 1.0));
    }
  }
}

Affine2x3 to_affine(const cv::Matx23d& m) { return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)}; }

// The frame pixels a crop of `side` pixels covers once warped with `m`, clipped to the frame.
cv::Rect warped_bounds(const cv::Matx23d& m, int side, cv::Size frame) {
  const PixelRect r = mirage::warped_bounds(to_affine(m), side, frame.width, frame.height);
  return {r.x, r.y, r.width, r.height};
}

cv::Mat rct(const cv::Mat& face, const cv::Mat& target, const cv::Mat& weights) {
  cv::Mat face_lab, target_lab;
  cv::cvtColor(face, face_lab, cv::COLOR_BGR2Lab);
  cv::cvtColor(target, target_lab, cv::COLOR_BGR2Lab);
  cv::Scalar mean_f, std_f, mean_t, std_t;
  weighted_mean_std(face_lab, weights, mean_f, std_f);
  weighted_mean_std(target_lab, weights, mean_t, std_t);
  std::array<cv::Mat, 3> channels;
  cv::split(face_lab, channels.data());
  for (int c = 0; c < 3; ++c) {
    const double gain = std_t[c] / std::max(std_f[c], 1e-3);
    channels[c].convertTo(channels[c], CV_32F, gain, mean_t[c] - mean_f[c] * gain);
  }
  cv::merge(channels.data(), 3, face_lab);
  cv::Mat out;
  cv::cvtColor(face_lab, out, cv::COLOR_Lab2BGR);
  return out;
}

cv::Mat mean_shift(const cv::Mat& face, const cv::Mat& target, const cv::Mat& weights) {
  cv::Scalar mean_f, std_f, mean_t, std_t;
  weighted_mean_std(face, weights, mean_f, std_f);
  weighted_mean_std(target, weights, mean_t, std_t);
  cv::Mat out;
  cv::add(face, mean_t - mean_f, out);
  return out;
}

// Weighted 256-bin histograms per channel, matched CDF to CDF.
cv::Mat histogram_match(const cv::Mat& face, const cv::Mat& target, const cv::Mat& weights) {
  auto bin = [](float v) { return std::clamp(static_cast<int>(std::lround(v * 255.0f)), 0, 255); };
  std::array<std::array<double, 256>, 3> hist_f{}, hist_t{};
  for (int y = 0; y < face.rows; ++y) {
    const auto* f = face.ptr<cv::Vec3f>(y);
    const auto* t = target.ptr<cv::Vec3f>(y);
    const float* w = weights.ptr<float>(y);
    for (int x = 0; x < face.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        hist_f[c][bin(f[x][c])] += w[x];
        hist_t[c][bin(t[x][c])] += w[x];
      }
    }
  }
  std::array<std::array<float, 256>, 3> lut{};
  for (int c = 0; c < 3; ++c) {
    double total_f = 0, total_t = 0;
    for (int i = 0; i < 256; ++i) total_f += hist_f[c][i], total_t += hist_t[c][i];
    double cdf_f = 0, cdf_t = 0;
    int j = 0;
    cdf_t = hist_t[c][0] / total_t;
    for (int i = 0; i < 256; ++i) {
      cdf_f += hist_f[c][i] / total_f;
      while (j < 255 && cdf_t < cdf_f - 1e-12) cdf_t += hist_t[c][++j] / total_t;
      lut[c][i] = static_cast<float>(j) / 255.0f;
    }
  }
  cv::Mat out(face.size(), CV_32FC3);
  for (int y = 0; y < face.rows; ++y) {
    const auto* f = face.ptr<cv::Vec3f>(y);
    auto* o = out.ptr<cv::Vec3f>(y);
    for (int x = 0; x < face.cols; ++x) {
      for (int c = 0; c < 3; ++c) o[x][c] = lut[c][bin(f[x][c])];
    }
  }
  return out;
}

// Seamless clone of `face` (ROI-sized, float) into `frame` at `roi`; empty when it cannot run
// (a region touching the frame border, or too small), and the caller blends the plain face.
cv::Mat seamless_face(const cv::Mat& frame, const cv::Mat& face, const cv::Mat& mask, cv::Rect roi) {
  cv::Mat region = mask > 0.5f;
  const cv::Rect inside = cv::boundingRect(region);
  if (inside.width < 3 || inside.height < 3) return {};
  const cv::Rect in_frame = inside + roi.tl();
  if (in_frame.x < 1 || in_frame.y < 1 || in_frame.br().x > frame.cols - 1 || in_frame.br().y > frame.rows - 1) {
    return {};
  }
  cv::Mat face8;
  face.convertTo(face8, CV_8U, 255.0);
  const cv::Point centre = roi.tl() + cv::Point(inside.x + inside.width / 2, inside.y + inside.height / 2);
  try {
    cv::Mat cloned;
    cv::seamlessClone(face8, frame, region, centre, cloned, cv::NORMAL_CLONE);
    cv::Mat out;
    cloned(roi).convertTo(out, CV_32F, 1.0 / 255.0);
    return out;
  } catch (const cv::Exception&) {
    return {};
  }
}

}  // namespace

cv::Mat prepare_mask(const FaceLayer& layer, const CompositeOptions& o) {
  const int side = layer.face.cols;
  cv::Mat mask(side, side, CV_32F, cv::Scalar(1.0f));
  if (!layer.learned_mask.empty()) {
    MIRAGE_CHECK(layer.learned_mask.type() == CV_32FC1 && layer.learned_mask.size() == layer.face.size());
    mask = layer.learned_mask.clone();
  }
  if (!layer.hull_mask.empty()) {
    MIRAGE_CHECK(layer.hull_mask.size() == layer.face.size());
    MIRAGE_CHECK(layer.hull_mask.type() == CV_8UC1 || layer.hull_mask.type() == CV_32FC1);
    cv::Mat hull;
    layer.hull_mask.convertTo(hull, CV_32F, layer.hull_mask.depth() == CV_8U ? 1.0 / 255.0 : 1.0);
    cv::multiply(mask, hull, mask);
  }
  erode_sides(mask, o);
  if (const int r = whole_pixels(o.erode_px); r > 0) {
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1});
    if (o.erode_px > 0) {
      erode_with_zero_border(mask, kernel, {-1, -1});
    } else {
      cv::dilate(mask, mask, kernel, {-1, -1}, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    }
  }
  if (o.feather_px > 0) {
    const int taps = 2 * static_cast<int>(std::ceil(o.feather_px)) + 1;
    cv::GaussianBlur(mask, mask, {taps, taps}, o.feather_px / 2, o.feather_px / 2, cv::BORDER_CONSTANT);
  }
  if (o.border_fade > 0) fade_to_border(mask, o.border_fade);
  return mask;
}

cv::Matx23d placed_face_to_frame(const cv::Matx23d& face_to_frame, int crop_side, const CompositeOptions& o) {
  const Affine2x3 m = mirage::placed_face_to_frame(to_affine(face_to_frame), crop_side, o);
  return {m[0], m[1], m[2], m[3], m[4], m[5]};
}

void weighted_mean_std(const cv::Mat& image, const cv::Mat& weights, cv::Scalar& mean, cv::Scalar& stddev) {
  MIRAGE_CHECK(image.depth() == CV_32F && weights.type() == CV_32FC1 && image.size() == weights.size());
  const int channels = image.channels();
  std::array<double, 4> sum{}, sum_sq{};
  double total = 0;
  for (int y = 0; y < image.rows; ++y) {
    const float* p = image.ptr<float>(y);
    const float* w = weights.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      total += w[x];
      for (int c = 0; c < channels; ++c) {
        const double v = p[x * channels + c];
        sum[c] += w[x] * v;
        sum_sq[c] += w[x] * v * v;
      }
    }
  }
  mean = stddev = cv::Scalar();
  if (total <= 0) return;
  for (int c = 0; c < channels; ++c) {
    mean[c] = sum[c] / total;
    stddev[c] = std::sqrt(std::max(0.0, sum_sq[c] / total - mean[c] * mean[c]));
  }
}

cv::Mat transfer_colour(const cv::Mat& face, const cv::Mat& target, const cv::Mat& weights, ColourTransfer mode) {
  MIRAGE_CHECK(face.type() == CV_32FC3 && target.type() == CV_32FC3 && face.size() == target.size());
  cv::Mat out;
  switch (mode) {
    case ColourTransfer::kNone: out = face.clone(); break;
    case ColourTransfer::kRct: out = rct(face, target, weights); break;
    case ColourTransfer::kMean: out = mean_shift(face, target, weights); break;
    case ColourTransfer::kHistogram: out = histogram_match(face, target, weights); break;
  }
  cv::max(out, cv::Scalar::all(0.0), out);
  cv::min(out, cv::Scalar::all(1.0), out);
  return out;
}

void sharpen(cv::Mat& image, const cv::Mat& mask, double amount, double radius_px) {
  MIRAGE_CHECK(image.type() == CV_8UC3 && mask.type() == CV_32FC1 && mask.size() == image.size());
  if (amount <= 0) return;
  const int taps = 2 * blur_reach_px(radius_px) + 1;
  cv::Mat blurred;
  cv::GaussianBlur(image, blurred, {taps, taps}, radius_px, radius_px, cv::BORDER_REPLICATE);
  for (int y = 0; y < image.rows; ++y) {
    auto* p = image.ptr<cv::Vec3b>(y);
    const auto* b = blurred.ptr<cv::Vec3b>(y);
    const float* m = mask.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (m[x] <= 0) continue;
      for (int c = 0; c < 3; ++c) {
        const float v = p[x][c];
        p[x][c] = cv::saturate_cast<uchar>(v + m[x] * static_cast<float>(amount) * (v - b[x][c]));
      }
    }
  }
}

cv::Mat sharpen_weight(const cv::Mat& mask, double opacity, double core) {
  MIRAGE_CHECK(mask.type() == CV_32FC1 && core >= 0 && core < 1);
  cv::Mat weight(mask.size(), CV_32FC1);
  const auto a = static_cast<float>(opacity), c = static_cast<float>(core);
  for (int y = 0; y < mask.rows; ++y) {
    const float* m = mask.ptr<float>(y);
    float* w = weight.ptr<float>(y);
    for (int x = 0; x < mask.cols; ++x) w[x] = a * std::clamp((m[x] - c) / (1.0f - c), 0.0f, 1.0f);
  }
  return weight;
}

void add_detail(const cv::Mat& frame, const cv::Rect& region, double sigma_px, double amount, cv::Mat& face) {
  MIRAGE_CHECK(frame.type() == CV_8UC3 && face.type() == CV_32FC3 && face.size() == region.size());
  if (amount <= 0 || !(sigma_px > 0)) return;
  const int taps = 2 * blur_reach_px(sigma_px) + 1;
  // On a ROI, OpenCV's filters read the frame's pixels around it and replicate only the frame's
  // own border.
  cv::Mat low;
  cv::GaussianBlur(frame(region), low, {taps, taps}, sigma_px, sigma_px, cv::BORDER_REPLICATE);
  const auto gain = static_cast<float>(amount / 255.0);
  for (int y = 0; y < region.height; ++y) {
    const auto* f = frame.ptr<cv::Vec3b>(region.y + y) + region.x;
    const auto* l = low.ptr<cv::Vec3b>(y);
    auto* out = face.ptr<cv::Vec3f>(y);
    for (int x = 0; x < region.width; ++x) {
      for (int c = 0; c < 3; ++c) out[x][c] += gain * (static_cast<float>(f[x][c]) - static_cast<float>(l[x][c]));
    }
  }
}

double detail_sigma_px(const cv::Matx23d& m, const CompositeOptions& options) {
  return mirage::detail_sigma_px(to_affine(m), options);
}

CompositeResult composite(cv::Mat& frame, const FaceLayer& layer, const CompositeOptions& options) {
  MIRAGE_CHECK(validate(options).has_value());
  MIRAGE_CHECK(frame.type() == CV_8UC3);
  MIRAGE_CHECK(layer.face.type() == CV_32FC3 && layer.face.rows == layer.face.cols && layer.face.cols >= 8);
  const int side = layer.face.cols;
  CompositeResult result;

  const cv::Mat crop_mask = prepare_mask(layer, options);
  const cv::Matx23d to_frame = placed_face_to_frame(layer.face_to_frame, side, options);
  const cv::Rect roi = warped_bounds(to_frame, side, frame.size());
  if (roi.empty()) return result;
  cv::Matx23d to_roi = to_frame;
  to_roi(0, 2) -= roi.x;
  to_roi(1, 2) -= roi.y;
  cv::Mat face, mask;
  cv::warpAffine(layer.face, face, to_roi, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::warpAffine(crop_mask, mask, to_roi, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  result.region = roi;
  result.mask = mask;

  cv::Mat original;
  frame(roi).convertTo(original, CV_32F, 1.0 / 255.0);
  if (options.colour != ColourTransfer::kNone && cv::sum(mask)[0] >= 1.0) {
    face = transfer_colour(face, original, mask, options.colour);
  }
  if (options.detail > 0) add_detail(frame, roi, detail_sigma_px(to_frame, options), options.detail, face);
  if (options.blend == BlendMode::kSeamless) {
    if (cv::Mat cloned = seamless_face(frame, face, mask, roi); !cloned.empty()) face = cloned;
  }

  const auto a = static_cast<float>(options.opacity);
  cv::Mat out = frame(roi);
  for (int y = 0; y < roi.height; ++y) {
    auto* o = out.ptr<cv::Vec3b>(y);
    const auto* f = face.ptr<cv::Vec3f>(y);
    const float* m = mask.ptr<float>(y);
    for (int x = 0; x < roi.width; ++x) {
      const float w = a * m[x];
      if (w <= 0) continue;
      for (int c = 0; c < 3; ++c) {
        o[x][c] = cv::saturate_cast<uchar>(o[x][c] * (1.0f - w) + f[x][c] * 255.0f * w);
      }
    }
  }
  if (options.sharpen_amount > 0 && a > 0) {
    sharpen(out, sharpen_weight(mask, a, options.sharpen_core), options.sharpen_amount, options.sharpen_radius_px);
  }
  return result;
}

}  // namespace mirage::swap
