#include "engine/swap/metrics.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/core/check.h"

namespace mirage::swap {
namespace {

cv::Point2d eye_centre(const face::Landmarks& p, int first) {
  cv::Point2d c(0, 0);
  for (int i = first; i < first + 6; ++i) c += cv::Point2d(p[i].x, p[i].y);
  return c / 6.0;
}

}  // namespace


double psnr(const cv::Mat& a, const cv::Mat& b) {
  MIRAGE_CHECK(a.size() == b.size() && a.type() == b.type());
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / static_cast<double>(a.total() * a.channels());
  return mse <= 1e-10 ? 100.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

namespace {

// SSIM of one channel (CV_64F).
double ssim_channel(const cv::Mat& a, const cv::Mat& b) {
  constexpr double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  auto blur = [](const cv::Mat& m) {
    cv::Mat out;
    cv::GaussianBlur(m, out, {11, 11}, 1.5, 1.5, cv::BORDER_REFLECT);
    return out;
  };
  const cv::Mat mu_a = blur(a), mu_b = blur(b);
  const cv::Mat mu_aa = mu_a.mul(mu_a), mu_bb = mu_b.mul(mu_b), mu_ab = mu_a.mul(mu_b);
  const cv::Mat s_aa = blur(a.mul(a)) - mu_aa, s_bb = blur(b.mul(b)) - mu_bb, s_ab = blur(a.mul(b)) - mu_ab;
  const cv::Mat num = (2 * mu_ab + c1).mul(2 * s_ab + c2);
  const cv::Mat den = (mu_aa + mu_bb + c1).mul(s_aa + s_bb + c2);
  cv::Mat map;
  cv::divide(num, den, map);
  return cv::mean(map)[0];
}

}  // namespace

double ssim(const cv::Mat& a8, const cv::Mat& b8) {
  MIRAGE_CHECK(a8.size() == b8.size() && a8.type() == b8.type());
  std::vector<cv::Mat> a, b;
  cv::split(a8, a);
  cv::split(b8, b);
  double sum = 0;
  for (std::size_t c = 0; c < a.size(); ++c) {
    cv::Mat ac, bc;
    a[c].convertTo(ac, CV_64F);
    b[c].convertTo(bc, CV_64F);
    sum += ssim_channel(ac, bc);
  }
  return sum / static_cast<double>(a.size());
}

double inter_ocular_distance(const face::Landmarks& p) { return cv::norm(eye_centre(p, 36) - eye_centre(p, 42)); }

namespace {

// Mean distance of points [first, end) of a and b, over b's inter-ocular distance.
double mean_point_error(const face::Landmarks& a, const face::Landmarks& b, int first, int end) {
  double sum = 0;
  for (int i = first; i < end; ++i) sum += cv::norm(a[i] - b[i]);
  return sum / (end - first) / std::max(1e-6, inter_ocular_distance(b));
}

}  // namespace

double landmark_error(const face::Landmarks& a, const face::Landmarks& b) {
  return mean_point_error(a, b, 0, face::kLandmarkCount);
}

std::array<double, kFaceParts> landmark_error_by_part(const face::Landmarks& a, const face::Landmarks& b) {
  static constexpr std::array<int, kFaceParts + 1> kFirst{0, 17, 27, 36, 48, face::kLandmarkCount};
  std::array<double, kFaceParts> error{};
  for (int part = 0; part < kFaceParts; ++part) error[part] = mean_point_error(a, b, kFirst[part], kFirst[part + 1]);
  return error;
}

double landmark_jitter(const std::vector<std::optional<face::Landmarks>>& track) {
  double sum = 0;
  int pairs = 0;
  for (std::size_t t = 1; t < track.size(); ++t) {
    if (!track[t] || !track[t - 1]) continue;
    sum += landmark_error(*track[t], *track[t - 1]);
    ++pairs;
  }
  return pairs > 0 ? sum / pairs : 0.0;
}

double excess_jitter(const std::vector<std::optional<face::Landmarks>>& a,
                     const std::vector<std::optional<face::Landmarks>>& b) {
  double sum = 0;
  int pairs = 0;
  for (std::size_t t = 1; t < std::min(a.size(), b.size()); ++t) {
    if (!a[t] || !a[t - 1] || !b[t] || !b[t - 1]) continue;
    double d = 0;
    for (int i = 0; i < face::kLandmarkCount; ++i) {
      d += cv::norm(((*a[t])[i] - (*a[t - 1])[i]) - ((*b[t])[i] - (*b[t - 1])[i]));
    }
    sum += d / face::kLandmarkCount / std::max(1e-6, inter_ocular_distance(*b[t]));
    ++pairs;
  }
  return pairs > 0 ? sum / pairs : 0.0;
}

cv::Rect inner_face(const face::Landmarks& p, cv::Size image) {
  float top = p[17].y;
  for (int i = 18; i <= 26; ++i) top = std::min(top, p[i].y);
  const cv::Rect2f region(cv::Point2f(std::min(p[36].x, p[45].x), top), cv::Point2f(std::max(p[36].x, p[45].x), p[57].y));
  return cv::Rect(region) & cv::Rect(0, 0, image.width, image.height);
}

double inner_face_detail(const cv::Mat& image_bgr8, const face::Landmarks& points) {
  const cv::Rect region = inner_face(points, image_bgr8.size());
  if (region.width < 3 || region.height < 3) return 0.0;
  cv::Mat grey, laplacian;
  cv::cvtColor(image_bgr8(region), grey, cv::COLOR_BGR2GRAY);
  cv::Laplacian(grey, laplacian, CV_32F);
  cv::Scalar mean, deviation;
  cv::meanStdDev(laplacian, mean, deviation);
  return deviation[0] * deviation[0];
}

}  // namespace mirage::swap
