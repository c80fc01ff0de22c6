#include "engine/swap/face_pixels.h"

#include <gtest/gtest.h>

#include <vector>

namespace mirage::swap {
namespace {

TEST(FacePixels, RoundTripsBgrThroughNhwcRgb) {
  cv::Mat face(4, 4, CV_8UC3);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) face.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 10, y * 20, 255);
  }
  std::vector<float> batch(2 * 4 * 4 * 3, -1.0f);
  write_model_input(face, std::span(batch).subspan(4 * 4 * 3, 4 * 4 * 3));
  EXPECT_EQ(batch[0], -1.0f);  // face 0 untouched
  const std::size_t pixel = 4 * 4 * 3 + (2 * 4 + 3) * 3;  // face 1, y = 2, x = 3
  EXPECT_FLOAT_EQ(batch[pixel + 0], 1.0f);                // R = the BGR image's channel 2
  EXPECT_FLOAT_EQ(batch[pixel + 1], 40 / 255.0f);
  EXPECT_FLOAT_EQ(batch[pixel + 2], 30 / 255.0f);
  const cv::Mat back = read_model_face(batch, 1, 4);
  ASSERT_EQ(back.type(), CV_32FC3);
  cv::Mat back8;
  back.convertTo(back8, CV_8U, 255.0);
  EXPECT_EQ(cv::norm(back8, face, cv::NORM_INF), 0.0);
}

TEST(FacePixels, MasksAreIndexedAndClamped) {
  std::vector<float> masks(2 * 3 * 3, 0.25f);
  masks[9 + 4] = 1.5f;
  masks[9 + 5] = -0.5f;
  const cv::Mat m = read_model_mask(masks, 1, 3);
  EXPECT_FLOAT_EQ(m.at<float>(1, 1), 1.0f);
  EXPECT_FLOAT_EQ(m.at<float>(1, 2), 0.0f);
  EXPECT_FLOAT_EQ(m.at<float>(0, 0), 0.25f);
}

}  // namespace
}  // namespace mirage::swap
