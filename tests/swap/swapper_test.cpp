#include "engine/swap/swapper.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "engine/face/align.h"
#include "engine/swap/metrics.h"
#include "engine/swap/model_swapper.h"
#include "engine/swap/copying_swapper.h"

namespace mirage::swap {
namespace {

face::Landmarks face_in_frame() {
  // The mean face placed in a 320x240 frame: a 120 px face box at (100, 60).
  face::Landmarks points = face::mean_face();
  for (auto& p : points) p = cv::Point2f(100 + 120 * p.x, 60 + 120 * p.y);
  return points;
}

TEST(FrameSwapper, ACopyingModelGivesBackTheFrame) {
  cv::Mat frame(240, 320, CV_8UC3);
  cv::randu(frame, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(frame, frame, {0, 0}, 4);  // smooth enough to survive the resampling
  const CopyingSwapper model(128);
  SwapperOptions options;
  options.composite.colour = ColourTransfer::kNone;
  const FrameSwapper swapper(model, options);
  std::vector<float> inputs;
  const PreparedFace face = swapper.prepare(frame, face_in_frame(), inputs);
  ASSERT_EQ(inputs.size(), 128u * 128 * 3);
  EXPECT_GT(cv::countNonZero(face.hull), 1000);
  auto out = model.swap(inputs, 1, 1);
  cv::Mat swapped = frame.clone();
  swapper.composite(swapped, std::span(&face, 1), *out);
  EXPECT_GT(psnr(swapped, frame), 38.0);
  EXPECT_GT(cv::norm(swapped, frame, cv::NORM_INF), 0.0) << "the face was composited";
}

TEST(FrameSwapper, TheCompositeCropCoversTheFace) {
  const CopyingSwapper model(128);
  const FrameSwapper swapper(model, {});
  std::vector<float> inputs;
  const cv::Mat frame(240, 320, CV_8UC3, cv::Scalar::all(90));
  const PreparedFace face = swapper.prepare(frame, face_in_frame(), inputs);
  // The crop's centre lies inside the face box, and every landmark maps inside the crop.
  const cv::Point2f centre = face::map_point(face.composite_to_frame, {127.5f, 127.5f});
  EXPECT_TRUE(cv::Rect2f(100, 60, 120, 120).contains(centre));
  const face::Landmarks in_crop = face::map_points(face::invert(face.composite_to_frame), face_in_frame());
  for (const auto& p : in_crop) EXPECT_TRUE(cv::Rect2f(0, 0, 256, 256).contains(p));
}

TEST(Label, DarkensTheBottomRightCornerOnly) {
  cv::Mat frame(528, 720, CV_8UC3, cv::Scalar::all(200));
  draw_synthetic_label(frame);
  EXPECT_EQ(frame.at<cv::Vec3b>(10, 10), cv::Vec3b(200, 200, 200));
  cv::Mat grey;
  cv::cvtColor(frame(cv::Rect(520, 468, 200, 60)), grey, cv::COLOR_BGR2GRAY);
  EXPECT_GT(cv::countNonZero(grey < 100), 1500) << "a dark box of about 130 x 30 px";
  cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(grey(cv::Rect(0, 0, 720, 460)) != 200), 0);
  cv::Mat tiny(20, 30, CV_8UC3, cv::Scalar::all(200));
  draw_synthetic_label(tiny);  // never out of bounds
}

TEST(ModelSwapper, AMissingModelIsOneClearError) {
  auto model = make_model_swapper("/nonexistent/model", "cpu");
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(model.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace mirage::swap
