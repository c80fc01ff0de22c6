#include "engine/swap/compositor.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace mirage::swap {
namespace {

constexpr int kSide = 128;

CompositeOptions plain() {
  CompositeOptions o;
  o.feather_px = 0;
  o.border_fade = 0;
  o.colour = ColourTransfer::kNone;
  o.sharpen_amount = 0;  // on by default; plain is the blend alone
  o.erode_px = 0;        // the default grows the mask; plain is the hull as drawn
  o.erode_bottom_px = 0;
  return o;
}

FaceLayer square_layer(cv::Rect square, cv::Matx23d to_frame = {1, 0, 0, 0, 1, 0}) {
  FaceLayer layer;
  layer.face = cv::Mat(kSide, kSide, CV_32FC3, cv::Scalar(0.2, 0.5, 0.8));
  layer.hull_mask = cv::Mat::zeros(kSide, kSide, CV_8UC1);
  layer.hull_mask(square).setTo(255);
  layer.face_to_frame = to_frame;
  return layer;
}

cv::Rect support(const cv::Mat& mask, float threshold = 0.5f) {
  cv::Mat on = mask > threshold;
  return cv::boundingRect(on);
}

TEST(Mask, ErodeAndDilateMoveASquaresEdges) {
  const FaceLayer layer = square_layer({30, 30, 60, 60});
  CompositeOptions o = plain();
  EXPECT_EQ(support(prepare_mask(layer, o)), cv::Rect(30, 30, 60, 60));
  o.erode_px = 10;
  const cv::Mat eroded = prepare_mask(layer, o);
  EXPECT_EQ(support(eroded), cv::Rect(40, 40, 40, 40));
  EXPECT_EQ(cv::countNonZero(eroded), 40 * 40);
  o.erode_px = -5;
  EXPECT_EQ(support(prepare_mask(layer, o)), cv::Rect(25, 25, 70, 70));
}

TEST(Mask, TheDefaultGrowsTheMaskOnEverySideButTheChin) {
  const FaceLayer layer = square_layer({30, 30, 60, 60});
  CompositeOptions o;  // the defaults, with a hard edge to measure
  o.feather_px = 0;
  o.border_fade = 0;
  const int grow = static_cast<int>(-o.erode_px);
  ASSERT_GT(grow, 0);
  ASSERT_EQ(o.erode_bottom_px, grow);
  // Left, top and right move out by the growth; the bottom edge stays where the hull put it.
  EXPECT_EQ(support(prepare_mask(layer, o)), cv::Rect(30 - grow, 30 - grow, 60 + 2 * grow, 60 + grow));
}

TEST(Mask, PerSideErosionMovesOnlyThatSide) {
  const FaceLayer layer = square_layer({30, 30, 60, 60});
  CompositeOptions o = plain();
  o.erode_top_px = 7;
  EXPECT_EQ(support(prepare_mask(layer, o)), cv::Rect(30, 37, 60, 53));
  o = plain();
  o.erode_bottom_px = 4;
  o.erode_left_px = 3;
  o.erode_right_px = 5;
  EXPECT_EQ(support(prepare_mask(layer, o)), cv::Rect(33, 30, 52, 56));
}

TEST(Mask, FeatherIsASymmetricRampAcrossAStraightEdge) {
  FaceLayer layer = square_layer({0, 0, 64, kSide});  // left half on
  CompositeOptions o = plain();
  o.feather_px = 10;
  const cv::Mat m = prepare_mask(layer, o);
  const int y = kSide / 2;
  EXPECT_NEAR(m.at<float>(y, 63) + m.at<float>(y, 64), 1.0f, 1e-4f);  // symmetric about the edge
  EXPECT_NEAR(m.at<float>(y, 63), 0.5f + 0.5f * (m.at<float>(y, 63) - m.at<float>(y, 64)), 1e-4f);
  for (int x = 40; x < 90; ++x) EXPECT_GE(m.at<float>(y, x), m.at<float>(y, x + 1) - 1e-6f);
  EXPECT_NEAR(m.at<float>(y, 40), 1.0f, 1e-3f);
  EXPECT_NEAR(m.at<float>(y, 90), 0.0f, 1e-3f);
  EXPECT_GT(m.at<float>(y, 58), 0.8f);
  EXPECT_LT(m.at<float>(y, 58), 0.99f);
}

TEST(Mask, FadesToZeroAtTheCropBorder) {
  FaceLayer layer = square_layer({0, 0, kSide, kSide});
  CompositeOptions o = plain();
  o.border_fade = 0.1;
  const cv::Mat m = prepare_mask(layer, o);
  for (int i = 0; i < kSide; ++i) {
    EXPECT_EQ(m.at<float>(0, i), 0.0f);
    EXPECT_EQ(m.at<float>(kSide - 1, i), 0.0f);
    EXPECT_EQ(m.at<float>(i, 0), 0.0f);
    EXPECT_EQ(m.at<float>(i, kSide - 1), 0.0f);
  }
  EXPECT_EQ(m.at<float>(kSide / 2, kSide / 2), 1.0f);
  EXPECT_NEAR(m.at<float>(kSide / 2, 6), 6 / (0.1 * kSide), 1e-5);
}

TEST(Mask, LearnedMaskMultipliesTheHull) {
  FaceLayer layer = square_layer({0, 0, 64, kSide});
  layer.learned_mask = cv::Mat(kSide, kSide, CV_32FC1, cv::Scalar(0.5f));
  const cv::Mat m = prepare_mask(layer, plain());
  EXPECT_FLOAT_EQ(m.at<float>(10, 10), 0.5f);
  EXPECT_FLOAT_EQ(m.at<float>(10, 100), 0.0f);
}

TEST(Placement, ScaleAndOffsetActAboutTheCropCentre) {
  CompositeOptions o = plain();
  o.face_scale = 0.5;
  o.offset_x = 0.25;
  const cv::Matx23d m = placed_face_to_frame(cv::Matx23d(2, 0, 100, 0, 2, 50), kSide, o);
  const double c = (kSide - 1) / 2.0;
  // The crop centre lands where the crop centre + offset would have without scaling.
  EXPECT_NEAR(m(0, 0) * c + m(0, 2), 2 * (c + 0.25 * kSide) + 100, 1e-9);
  EXPECT_NEAR(m(1, 1) * c + m(1, 2), 2 * c + 50, 1e-9);
  EXPECT_NEAR(m(0, 0), 1.0, 1e-12);
}

cv::Mat test_frame() {
  cv::Mat frame(200, 240, CV_8UC3);
  cv::randu(frame, cv::Scalar::all(0), cv::Scalar::all(255));
  return frame;
}

TEST(Composite, OpacityZeroLeavesTheFrameUnchanged) {
  const cv::Mat frame = test_frame();
  cv::Mat out = frame.clone();
  FaceLayer layer = square_layer({0, 0, kSide, kSide}, {1, 0, 40, 0, 1, 30});
  CompositeOptions o;  // defaults: feather, fade, RCT
  o.opacity = 0;
  o.sharpen_amount = 1.5;
  composite(out, layer, o);
  EXPECT_EQ(cv::norm(out, frame, cv::NORM_INF), 0.0);
}

TEST(Composite, OpacityOneWithAFullMaskGivesTheWarpedFace) {
  const cv::Mat frame = test_frame();
  cv::Mat out = frame.clone();
  FaceLayer layer = square_layer({0, 0, kSide, kSide}, {1, 0, 40, 0, 1, 30});
  cv::randu(layer.face, cv::Scalar::all(0), cv::Scalar::all(1));
  const CompositeResult r = composite(out, layer, plain());
  cv::Mat face8;
  layer.face.convertTo(face8, CV_8U, 255.0);
  EXPECT_LE(cv::norm(out(cv::Rect(40, 30, kSide, kSide)), face8, cv::NORM_INF), 1.0);
  // Outside the face the frame is untouched.
  cv::Mat outside_mask(frame.size(), CV_8U, cv::Scalar(255));
  outside_mask(cv::Rect(40, 30, kSide, kSide)).setTo(0);
  EXPECT_EQ(cv::norm(out, frame, cv::NORM_INF, outside_mask), 0.0);
  EXPECT_TRUE((r.region & cv::Rect(40, 30, kSide, kSide)) == cv::Rect(40, 30, kSide, kSide));
}

TEST(Composite, HalfOpacityIsTheMidpoint) {
  cv::Mat frame(160, 160, CV_8UC3, cv::Scalar(100, 100, 100));
  FaceLayer layer = square_layer({0, 0, kSide, kSide}, {1, 0, 16, 0, 1, 16});
  layer.face.setTo(cv::Scalar(1.0, 1.0, 1.0));
  CompositeOptions o = plain();
  o.opacity = 0.5;
  composite(frame, layer, o);
  EXPECT_EQ(frame.at<cv::Vec3b>(80, 80), cv::Vec3b(178, 178, 178));  // 100*0.5 + 255*0.5 = 177.5
  EXPECT_EQ(frame.at<cv::Vec3b>(4, 4), cv::Vec3b(100, 100, 100));
}

TEST(Composite, OffFrameFaceChangesNothing) {
  cv::Mat frame = test_frame();
  const cv::Mat before = frame.clone();
  const CompositeResult r = composite(frame, square_layer({0, 0, kSide, kSide}, {1, 0, 1000, 0, 1, 0}), plain());
  EXPECT_TRUE(r.region.empty());
  EXPECT_EQ(cv::norm(frame, before, cv::NORM_INF), 0.0);
}

TEST(Colour, RctMovesTheLabMeanAndStdToTheTarget) {
  cv::Mat face(64, 64, CV_32FC3), target(64, 64, CV_32FC3);
  cv::RNG rng(7);
  rng.fill(face, cv::RNG::NORMAL, cv::Scalar(0.45, 0.5, 0.55), cv::Scalar(0.05, 0.05, 0.05));
  rng.fill(target, cv::RNG::NORMAL, cv::Scalar(0.35, 0.45, 0.6), cv::Scalar(0.08, 0.06, 0.07));
  cv::min(cv::max(face, 0.0), 1.0, face);
  cv::min(cv::max(target, 0.0), 1.0, target);
  cv::Mat weights(64, 64, CV_32FC1, cv::Scalar(1.0f));
  weights(cv::Rect(0, 0, 64, 16)).setTo(0.0f);  // statistics only where the weights are
  const cv::Mat out = transfer_colour(face, target, weights, ColourTransfer::kRct);
  cv::Mat out_lab, target_lab;
  cv::cvtColor(out, out_lab, cv::COLOR_BGR2Lab);
  cv::cvtColor(target, target_lab, cv::COLOR_BGR2Lab);
  cv::Scalar mo, so, mt, st;
  weighted_mean_std(out_lab, weights, mo, so);
  weighted_mean_std(target_lab, weights, mt, st);
  // Lab units (L in [0, 100]); the small remainder is the clip to [0, 1] of out-of-gamut pixels.
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(mo[c], mt[c], 0.25) << "channel " << c;
    EXPECT_NEAR(so[c], st[c], 0.25) << "channel " << c;
  }
}

TEST(Colour, MeanAndHistogramModesMoveTheMeans) {
  cv::Mat face(32, 32, CV_32FC3), target(32, 32, CV_32FC3);
  cv::RNG rng(3);
  rng.fill(face, cv::RNG::UNIFORM, cv::Scalar::all(0.2), cv::Scalar::all(0.4));
  rng.fill(target, cv::RNG::UNIFORM, cv::Scalar::all(0.5), cv::Scalar::all(0.8));
  const cv::Mat weights(32, 32, CV_32FC1, cv::Scalar(1.0f));
  cv::Scalar mt, st, m, s;
  weighted_mean_std(target, weights, mt, st);
  for (ColourTransfer mode : {ColourTransfer::kMean, ColourTransfer::kHistogram}) {
    weighted_mean_std(transfer_colour(face, target, weights, mode), weights, m, s);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(m[c], mt[c], 0.01) << to_string(mode);
  }
  weighted_mean_std(transfer_colour(face, target, weights, ColourTransfer::kHistogram), weights, m, s);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(s[c], st[c], 0.01);
}

TEST(Sharpen, LeavesFlatRegionsAndUnmaskedPixelsAlone) {
  cv::Mat image(64, 64, CV_8UC3, cv::Scalar(90, 120, 150));
  image(cv::Rect(32, 0, 32, 64)).setTo(cv::Scalar(30, 40, 50));
  const cv::Mat before = image.clone();
  cv::Mat mask(64, 64, CV_32FC1, cv::Scalar(1.0f));
  mask(cv::Rect(0, 0, 64, 8)).setTo(0.0f);
  sharpen(image, mask, 1.5, 1.0);
  // Far from the edge nothing changes; at the edge the contrast grows; masked-off rows stay.
  EXPECT_EQ(image.at<cv::Vec3b>(30, 10), before.at<cv::Vec3b>(30, 10));
  EXPECT_EQ(image.at<cv::Vec3b>(30, 50), before.at<cv::Vec3b>(30, 50));
  EXPECT_GT(image.at<cv::Vec3b>(30, 31)[0], before.at<cv::Vec3b>(30, 31)[0]);
  EXPECT_LT(image.at<cv::Vec3b>(30, 32)[0], before.at<cv::Vec3b>(30, 32)[0]);
  EXPECT_EQ(cv::norm(image(cv::Rect(0, 0, 64, 8)), before(cv::Rect(0, 0, 64, 8)), cv::NORM_INF), 0.0);
}

TEST(Composite, SharpeningAFlatFaceChangesNothingAndSeamlessRuns) {
  cv::Mat frame(200, 200, CV_8UC3, cv::Scalar(80, 90, 100));
  FaceLayer layer = square_layer({20, 20, 88, 88}, {1, 0, 30, 0, 1, 30});
  layer.face.setTo(cv::Scalar(80 / 255.0, 90 / 255.0, 100 / 255.0));
  CompositeOptions o;
  o.colour = ColourTransfer::kNone;
  o.sharpen_amount = 2.0;
  const cv::Mat before = frame.clone();
  composite(frame, layer, o);
  EXPECT_LE(cv::norm(frame, before, cv::NORM_INF), 1.0);
  o.blend = BlendMode::kSeamless;
  o.colour = ColourTransfer::kRct;
  const CompositeResult r = composite(frame, layer, o);
  EXPECT_FALSE(r.region.empty());
  EXPECT_LE(cv::norm(frame, before, cv::NORM_INF), 2.0);
}

TEST(Sharpen, TheCoreWeightIsTheMaskAtZeroAndLeavesTheBlendedEdge) {
  cv::Mat mask(1, 5, CV_32FC1);
  const float m[] = {0.0f, 0.3f, 0.5f, 0.75f, 1.0f};
  for (int x = 0; x < 5; ++x) mask.at<float>(0, x) = m[x];
  const cv::Mat plain_weight = sharpen_weight(mask, 0.8, 0.0);
  const cv::Mat expected = mask * 0.8f;  // the weight before the core existed
  EXPECT_EQ(cv::norm(plain_weight, expected, cv::NORM_INF), 0.0);
  const cv::Mat core = sharpen_weight(mask, 1.0, 0.5);
  EXPECT_EQ(core.at<float>(0, 1), 0.0f);
  EXPECT_EQ(core.at<float>(0, 2), 0.0f);
  EXPECT_NEAR(core.at<float>(0, 3), 0.5f, 1e-6);
  EXPECT_EQ(core.at<float>(0, 4), 1.0f);
}

TEST(Composite, SharpenCoreLeavesTheFeatheredEdgeUnsharpenedAndTheInsideAsBefore) {
  // A textured face with a feathered square mask: the core option must leave every pixel where
  // the mask is <= core exactly as the unsharpened composite, and the fully-masked inside
  // exactly as the plain sharpened one.
  cv::Mat frame(200, 200, CV_8UC3);
  cv::randu(frame, cv::Scalar::all(40), cv::Scalar::all(200));
  FaceLayer layer = square_layer({14, 14, 100, 100}, {1, 0, 30, 0, 1, 30});
  cv::randu(layer.face, cv::Scalar::all(0.1), cv::Scalar::all(0.9));
  CompositeOptions o = plain();
  o.feather_px = 16;
  cv::Mat unsharpened = frame.clone();
  const CompositeResult r = composite(unsharpened, layer, o);
  o.sharpen_amount = 2;
  o.sharpen_radius_px = 1.5;
  o.sharpen_core = 0;
  cv::Mat everywhere = frame.clone(), cored = frame.clone();
  composite(everywhere, layer, o);
  o.sharpen_core = 0.5;
  composite(cored, layer, o);
  cv::Mat edge = r.mask <= 0.5f, inside = r.mask >= 0.999f;
  ASSERT_GT(cv::countNonZero(edge & (r.mask > 0.05f)), 1000) << "the feather must give an edge to test";
  ASSERT_GT(cv::countNonZero(inside), 1000);
  EXPECT_EQ(cv::norm(cored(r.region), unsharpened(r.region), cv::NORM_INF, edge), 0.0);
  EXPECT_GT(cv::norm(everywhere(r.region), unsharpened(r.region), cv::NORM_INF, edge & (r.mask > 0.2f)), 0.0)
      << "without a core the edge is sharpened";
  EXPECT_LE(cv::norm(cored(r.region), everywhere(r.region), cv::NORM_INF, inside), 1.0);
  EXPECT_GT(cv::norm(cored(r.region), unsharpened(r.region), cv::NORM_INF, inside), 10.0);
}

TEST(Detail, AddsTheFramesHighPassAndNothingOnAFlatFrame) {
  cv::Mat frame(96, 96, CV_8UC3, cv::Scalar(90, 120, 150));
  const cv::Rect region(16, 16, 64, 64);
  cv::Mat face(region.size(), CV_32FC3, cv::Scalar(0.3f, 0.4f, 0.5f));
  const cv::Mat before = face.clone();
  add_detail(frame, region, 1.0, 1.0, face);
  EXPECT_EQ(cv::norm(face, before, cv::NORM_INF), 0.0) << "a flat frame has no detail";

  // A one-pixel checkerboard is almost all high-pass: a dark pixel goes down, a light one up,
  // by about the amount times its distance from the local mean (/255).
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) frame.at<cv::Vec3b>(y, x) = cv::Vec3b::all((x + y) % 2 ? 160 : 100);
  }
  add_detail(frame, region, 1.0, 0.5, face);
  const cv::Vec3f light = face.at<cv::Vec3f>(1, 0), dark = face.at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(light[0] - before.at<cv::Vec3f>(1, 0)[0], 0.5 * 30 / 255.0, 0.5 * 8 / 255.0);
  EXPECT_NEAR(dark[0] - before.at<cv::Vec3f>(0, 0)[0], -0.5 * 30 / 255.0, 0.5 * 8 / 255.0);
  // A wide blur keeps less of the pattern in the low-pass than a narrow one: more detail.
  cv::Mat narrow = before.clone(), wide = before.clone();
  add_detail(frame, region, 0.4, 1.0, narrow);
  add_detail(frame, region, 2.0, 1.0, wide);
  EXPECT_GT(cv::norm(wide, before), cv::norm(narrow, before));
}

TEST(Composite, DetailShowsTheFramesTextureThroughAFlatFace) {
  // A textured frame (noise) under a flat face: without detail the face is flat; with it the
  // face carries the frame's texture, correlated with it; detail 0 is the old compositing.
  cv::Mat frame(200, 200, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(frame, cv::RNG::NORMAL, cv::Scalar::all(128), cv::Scalar::all(25));
  FaceLayer layer = square_layer({20, 20, 88, 88}, {1, 0, 30, 0, 1, 30});
  CompositeOptions o = plain();
  const cv::Rect inside(60, 60, 60, 60);
  cv::Mat flat = frame.clone(), textured = frame.clone();
  composite(flat, layer, o);
  cv::Scalar mean, stddev;
  cv::meanStdDev(flat(inside), mean, stddev);
  EXPECT_LT(stddev[0], 0.6);
  o.detail = 1.0;
  o.detail_radius_px = 1.0;
  composite(textured, layer, o);
  cv::meanStdDev(textured(inside), mean, stddev);
  EXPECT_GT(stddev[0], 10.0);
  cv::Mat a, b, correlation;
  cv::extractChannel(textured(inside), a, 0);
  cv::extractChannel(frame(inside), b, 0);
  a.convertTo(a, CV_32F);
  b.convertTo(b, CV_32F);
  cv::matchTemplate(a, b, correlation, cv::TM_CCOEFF_NORMED);
  EXPECT_GT(correlation.at<float>(0, 0), 0.7);
  // Opacity 0 leaves the frame exactly, detail or not.
  o.opacity = 0;
  cv::Mat untouched = frame.clone();
  composite(untouched, layer, o);
  EXPECT_EQ(cv::norm(untouched, frame, cv::NORM_INF), 0.0);
}

TEST(Options, DetailSigmaFollowsTheFacesScaleInTheFrame) {
  CompositeOptions o;
  o.detail_radius_px = 0.75;
  EXPECT_DOUBLE_EQ(detail_sigma_px(Affine2x3{1, 0, 5, 0, 1, 7}, o), 0.75);
  EXPECT_NEAR(detail_sigma_px(Affine2x3{0, -2, 5, 2, 0, 7}, o), 1.5, 1e-12);  // rotated, twice the size
  EXPECT_EQ(blur_reach_px(1.0), 3);
  EXPECT_EQ(blur_reach_px(1.01), 4);
}

TEST(Options, ValidateNamesTheBadOption) {
  CompositeOptions o;
  EXPECT_TRUE(validate(o));
  o.opacity = 1.5;
  EXPECT_NE(validate(o).error().message.find("opacity"), std::string::npos);
  o = {};
  o.face_scale = 3;
  EXPECT_FALSE(validate(o));
  EXPECT_EQ(*parse_colour_transfer("hist"), ColourTransfer::kHistogram);
  EXPECT_FALSE(parse_colour_transfer("lct"));
  EXPECT_EQ(*parse_blend_mode("seamless"), BlendMode::kSeamless);
}

}  // namespace
}  // namespace mirage::swap
