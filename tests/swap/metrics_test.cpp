#include "engine/swap/metrics.h"
#include "engine/swap/identity_classifier.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"

namespace mirage::swap {
namespace {

TEST(Metrics, PsnrOfKnownError) {
  const cv::Mat a(32, 32, CV_8UC3, cv::Scalar::all(100));
  const cv::Mat b(32, 32, CV_8UC3, cv::Scalar::all(101));
  EXPECT_DOUBLE_EQ(psnr(a, a), 100.0);
  EXPECT_NEAR(psnr(a, b), 10 * std::log10(255.0 * 255.0), 1e-9);  // MSE 1
}

TEST(Metrics, SsimIsOneForIdenticalAndLowerForNoise) {
  cv::Mat a(64, 64, CV_8UC3);
  cv::randu(a, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(a, a, {5, 5}, 2);
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-9);
  cv::Mat noise(64, 64, CV_8UC3), b;
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(20));
  cv::add(a, noise, b, cv::noArray(), CV_8U);
  const double s = ssim(a, b);
  EXPECT_LT(s, 0.95);
  EXPECT_GT(s, 0.0);
}

TEST(Metrics, InnerFaceDetailSeesOnlyTheInnerFaceAndDropsWithBlur) {
  const face::Landmarks points = face::template_in_crop({.size = 256, .coverage = 0.6});
  const cv::Rect inner = inner_face(points, {256, 256});
  EXPECT_NEAR(inner.x, points[36].x, 1.0);
  EXPECT_NEAR(inner.br().x, points[45].x, 1.0);
  EXPECT_NEAR(inner.br().y, points[57].y, 1.0);
  EXPECT_LT(inner.y, points[19].y + 1.0f);
  // Texture inside the inner face, flat grey elsewhere.
  cv::Mat face(256, 256, CV_8UC3, cv::Scalar::all(128));
  cv::Mat texture(inner.size(), CV_8UC3);
  cv::randu(texture, cv::Scalar::all(0), cv::Scalar::all(255));
  texture.copyTo(face(inner));
  const double sharp = inner_face_detail(face, points);
  EXPECT_GT(sharp, 1000.0);
  cv::Mat blurred = face.clone();
  cv::GaussianBlur(face(inner), blurred(inner), {0, 0}, 2.0);
  EXPECT_LT(inner_face_detail(blurred, points), 0.1 * sharp);
  // Detail outside the inner face does not count.
  cv::Mat outside(256, 256, CV_8UC3, cv::Scalar::all(128));
  cv::randu(outside(cv::Rect(0, 0, 256, inner.y)), cv::Scalar::all(0), cv::Scalar::all(255));
  EXPECT_NEAR(inner_face_detail(outside, points), 0.0, 1e-9);
  EXPECT_EQ(inner_face_detail(face, face::Landmarks{}), 0.0);  // an empty region
}

TEST(Metrics, LandmarkErrorAndJitterAreInInterOcularUnits) {
  const face::Landmarks base = face::template_in_crop({.size = 256, .coverage = 0.6});
  const double iod = inter_ocular_distance(base);
  EXPECT_GT(iod, 30.0);
  face::Landmarks shifted = base;
  for (auto& p : shifted) p += cv::Point2f(static_cast<float>(0.1 * iod), 0);
  EXPECT_NEAR(landmark_error(shifted, base), 0.1, 1e-5);
  for (const double part : landmark_error_by_part(shifted, base)) EXPECT_NEAR(part, 0.1, 1e-5);
  // An open mouth: the 20 mouth points move down by 0.2 IOD; only the mouth's part sees it, and
  // the whole face's error is the mouth's share of the points.
  face::Landmarks open = base;
  for (int i = 48; i < face::kLandmarkCount; ++i) open[i] += cv::Point2f(0, static_cast<float>(0.2 * iod));
  const auto parts = landmark_error_by_part(open, base);
  EXPECT_STREQ(kFacePartNames[4], "mouth");
  EXPECT_NEAR(parts[4], 0.2, 1e-5);
  for (int part = 0; part < 4; ++part) EXPECT_NEAR(parts[part], 0.0, 1e-9) << kFacePartNames[part];
  EXPECT_NEAR(landmark_error(open, base), 0.2 * 20 / 68, 1e-5);

  std::vector<std::optional<face::Landmarks>> still(5, base), moving;
  for (int t = 0; t < 5; ++t) {
    face::Landmarks p = base;
    for (auto& q : p) q += cv::Point2f(static_cast<float>(0.05 * iod * t), 0);
    moving.push_back(p);
  }
  EXPECT_DOUBLE_EQ(landmark_jitter(still), 0.0);
  EXPECT_NEAR(landmark_jitter(moving), 0.05, 1e-5);
  EXPECT_NEAR(excess_jitter(moving, moving), 0.0, 1e-9);
  EXPECT_NEAR(excess_jitter(moving, still), 0.05, 1e-5);
  moving[2].reset();  // pairs with a missing face are skipped
  EXPECT_NEAR(landmark_jitter(moving), 0.05, 1e-5);
}

cv::Mat pattern(bool stripes, int seed) {
  cv::Mat face(96, 96, CV_8UC3, cv::Scalar::all(128));
  cv::RNG rng(seed);
  for (int i = 0; i < 96; i += 8) {
    const int shift = rng.uniform(0, 3);
    if (stripes) {
      face(cv::Rect(0, std::min(90, i + shift), 96, 4)).setTo(cv::Scalar::all(30));
    } else {
      for (int j = 0; j < 96; j += 16) face(cv::Rect((j + i + shift) % 90, i, 6, 6)).setTo(cv::Scalar::all(230));
    }
  }
  cv::Mat noise(96, 96, CV_8UC3);
  rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(8));
  cv::add(face, noise, face, cv::noArray(), CV_8U);
  return face;
}

TEST(Metrics, IdentityClassifierSeparatesTwoTextures) {
  std::vector<std::vector<cv::Mat>> train(2), test(2);
  for (int i = 0; i < 12; ++i) {
    train[0].push_back(pattern(true, i));
    train[1].push_back(pattern(false, i));
    test[0].push_back(pattern(true, 100 + i));
    test[1].push_back(pattern(false, 100 + i));
  }
  auto classifier = IdentityClassifier::train(train);
  ASSERT_TRUE(classifier);
  EXPECT_GE(classifier->accuracy(test), 0.9);
  EXPECT_FALSE(IdentityClassifier::train({train[0]}));
  EXPECT_FALSE(IdentityClassifier::train({train[0], {}}));
}

}  // namespace
}  // namespace mirage::swap
