#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/imgproc.hpp>

#include "engine/core/file_io.h"
#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/face_set.h"
#include "engine/face/landmarks.h"
#include "engine/face/masks.h"
#include "engine/face/sort.h"
#include "engine/face/tracking.h"
#include "tests/core/temp_dir.h"

namespace mirage::face {
namespace {

namespace fs = std::filesystem;

cv::Matx23d similarity(double angle_deg, double scale, double tx, double ty) {
  const double a = angle_deg * CV_PI / 180.0;
  return {scale * std::cos(a), -scale * std::sin(a), tx, scale * std::sin(a), scale * std::cos(a), ty};
}

// The mean face placed in a 720x528 frame as a face about 150 px wide, turned by 12 degrees.
Landmarks synthetic_frame_landmarks(double noise_px = 0.0, unsigned seed = 1) {
  Landmarks points = map_points(similarity(12, 150, 300, 180), mean_face());
  std::mt19937 random(seed);
  std::normal_distribution<float> noise(0.f, static_cast<float>(noise_px));
  if (noise_px > 0) {
    for (cv::Point2f& p : points) p += cv::Point2f(noise(random), noise(random));
  }
  return points;
}

FaceRecord sample_record(int frame) {
  FaceRecord r;
  r.source = "clips/take 1.avi";
  r.frame = frame;
  r.time_s = frame / 24.0;
  r.box = cv::Rect2f(10.5f, 20.25f, 150, 150);
  r.landmarks = synthetic_frame_landmarks();
  r.face_to_frame = similarity(3, 0.7, 12, 34);
  r.score = 1.25;
  r.blur = 42.5;
  r.track = 2;
  r.identity = 1;
  return r;
}

TEST(Umeyama, RecoversAKnownSimilarity) {
  const cv::Matx23d truth = similarity(-23, 1.7, 40, -12);
  const Landmarks& from = mean_face();
  const Landmarks to = map_points(truth, from);
  const cv::Matx23d found = umeyama(from, to);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(found(i / 3, i % 3), truth(i / 3, i % 3), 1e-4);
}

TEST(Umeyama, NeverReflects) {
  const Landmarks& from = mean_face();
  Landmarks flipped;
  for (int i = 0; i < kLandmarkCount; ++i) flipped[i] = cv::Point2f(-from[i].x, from[i].y);
  const cv::Matx23d m = umeyama(from, flipped);
  EXPECT_GT(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0), 0.0);
}

TEST(MeanFace, IsSymmetricAndFillsTheUnitFaceBox) {
  const Landmarks& face = mean_face();
  const cv::Rect2f box = bounding_box(face);
  EXPECT_NEAR(std::max(box.width, box.height), 1.0f, 1e-3f);
  const Landmarks mirrored = mirror(face, 0.5f);
  for (int i = 0; i < kLandmarkCount; ++i) EXPECT_NEAR(cv::norm(mirrored[i] - face[i]), 0.0, 2e-3) << i;
  EXPECT_LT(face[36].y, face[48].y);  // eyes above the mouth
  EXPECT_LT(face[36].x, face[45].x);
}

TEST(Template, ParserRejectsBrokenText) {
  EXPECT_FALSE(parse_template("0 0\n1 1\n"));
  EXPECT_FALSE(parse_template("zero one\n"));
  std::string text = "# comment\n";
  for (int i = 0; i < kLandmarkCount; ++i) text += "0.5 0.25\n";
  EXPECT_TRUE(parse_template(text));
}

TEST(Align, AlignedLandmarksLieOnTheTemplate) {
  const cv::Mat frame(528, 720, CV_8UC3, cv::Scalar(30, 60, 90));
  const AlignOptions options{.size = 256, .coverage = 0.6};
  const AlignedFace aligned = align_face(frame, synthetic_frame_landmarks(0.5), options);
  EXPECT_EQ(aligned.image.size(), cv::Size(256, 256));
  const Landmarks target = template_in_crop(options);
  for (int i = 17; i < kLandmarkCount; ++i) EXPECT_LT(cv::norm(aligned.landmarks[i] - target[i]), 3.0) << i;
  // face_to_frame undoes frame_to_face.
  const cv::Point2f p(123.f, 45.f);
  EXPECT_NEAR(cv::norm(map_point(aligned.face_to_frame, map_point(aligned.frame_to_face, p)) - p), 0.0, 1e-3);
}

TEST(Align, ResidualSeparatesFacesFromNonsense) {
  EXPECT_LT(alignment_residual(synthetic_frame_landmarks(1.0)), 0.03);
  Landmarks scrambled = synthetic_frame_landmarks();
  std::mt19937 random(7);
  std::shuffle(scrambled.begin() + 17, scrambled.end(), random);
  EXPECT_GT(alignment_residual(scrambled), 0.15);
}

TEST(Align, YawIsNearZeroForTheMeanFaceAndSignedForATurnedOne) {
  EXPECT_NEAR(estimate_yaw_degrees(synthetic_frame_landmarks()), 0.0, 1.0);
  Landmarks turned = synthetic_frame_landmarks();
  for (int i = 0; i <= 8; ++i) turned[i].x += 25;  // the near half of the jaw swings in
  EXPECT_GT(std::abs(estimate_yaw_degrees(turned)), 5.0);
}

TEST(Masks, ExtendedCoversComponentsAndTheForehead) {
  const Landmarks crop = template_in_crop({});
  const cv::Mat components = landmark_mask(crop, 256, MaskKind::kComponents);
  const cv::Mat extended = landmark_mask(crop, 256, MaskKind::kExtended);
  ASSERT_EQ(components.type(), CV_8UC1);
  EXPECT_GT(cv::countNonZero(components), 256 * 256 / 10);
  cv::Mat outside;
  cv::subtract(components, extended, outside);
  EXPECT_LT(cv::countNonZero(outside), 50);  // extended contains components (up to edge pixels)
  EXPECT_GT(cv::countNonZero(extended), cv::countNonZero(components) * 1.1);
  const int forehead_y = static_cast<int>(crop[19].y) - 15;
  EXPECT_EQ(components.at<uchar>(forehead_y, 128), 0);
  EXPECT_EQ(extended.at<uchar>(forehead_y, 128), 255);
}

TEST(Masks, BrowsTakesInTheWholeBrowButNotTheForehead) {
  const Landmarks crop = template_in_crop({});
  const cv::Mat components = landmark_mask(crop, 256, MaskKind::kComponents);
  const cv::Mat brows = landmark_mask(crop, 256, MaskKind::kBrows);
  const cv::Mat extended = landmark_mask(crop, 256, MaskKind::kExtended);
  cv::Mat outside;
  cv::subtract(components, brows, outside);
  EXPECT_LT(cv::countNonZero(outside), 50);  // brows contains components (up to edge pixels)
  EXPECT_GT(cv::countNonZero(brows), cv::countNonZero(components));
  EXPECT_LT(cv::countNonZero(brows), cv::countNonZero(extended));
  // Above each brow's middle point (19 and 24) by a third of its height over the upper lid (37,
  // 44): in the brow, so inside "brows", but cut off by "components". Twice that up is forehead.
  for (const auto& [brow, lid] : {std::pair{19, 37}, std::pair{24, 44}}) {
    const cv::Point2f up = (crop[brow] - crop[lid]) * (1.0f / 3.0f);
    const cv::Point in_brow = crop[brow] + up, forehead = crop[brow] + up * 2.0f;
    EXPECT_EQ(components.at<uchar>(in_brow), 0) << brow;
    EXPECT_EQ(brows.at<uchar>(in_brow), 255) << brow;
    EXPECT_EQ(brows.at<uchar>(forehead), 0) << brow;
    EXPECT_EQ(extended.at<uchar>(forehead), 255) << brow;
  }
}

TEST(Masks, EyeAndMouthRegionsSitInsideTheFace) {
  const Landmarks crop = template_in_crop({});
  const cv::Mat eyes = region_mask(crop, 256, FaceRegion::kEyes);
  const cv::Mat mouth = region_mask(crop, 256, FaceRegion::kMouth);
  EXPECT_EQ(eyes.at<uchar>(cvRound(crop[37].y + 1), cvRound((crop[37].x + crop[38].x) / 2)), 255);
  EXPECT_EQ(mouth.at<uchar>(cvRound(crop[66].y), cvRound(crop[66].x)), 255);
  EXPECT_EQ(eyes.at<uchar>(cvRound(crop[66].y), cvRound(crop[66].x)), 0);
  cv::Mat both;
  cv::bitwise_and(eyes, mouth, both);
  EXPECT_EQ(cv::countNonZero(both), 0);
  for (MaskKind kind : {MaskKind::kComponents, MaskKind::kBrows, MaskKind::kExtended}) {
    EXPECT_EQ(parse_mask_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_mask_kind("xseg"));
}

TEST(FaceSet, MetadataRoundTrips) {
  TempDir dir;
  auto set = FaceSet::open_or_create(dir.path() / "faces");
  ASSERT_TRUE(set) << set.error().message;
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(1, 2, 3));
  ASSERT_TRUE(set->add(image, sample_record(7)));
  ASSERT_TRUE(set->add(image, sample_record(7)));  // same frame: a second face, a new file
  ASSERT_TRUE(set->save());
  auto loaded = FaceSet::load(dir.path() / "faces");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->faces().size(), 2u);
  const FaceRecord& a = loaded->faces()[0];
  const FaceRecord expected = sample_record(7);
  EXPECT_EQ(a.file, "take_1_000007.png");
  EXPECT_EQ(loaded->faces()[1].file, "take_1_000007-1.png");
  EXPECT_EQ(a.source, expected.source);
  EXPECT_EQ(a.frame, 7);
  EXPECT_DOUBLE_EQ(a.time_s, expected.time_s);
  EXPECT_EQ(a.box, expected.box);
  for (int i = 0; i < kLandmarkCount; ++i) EXPECT_EQ(a.landmarks[i], expected.landmarks[i]);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(a.face_to_frame(i / 3, i % 3), expected.face_to_frame(i / 3, i % 3));
  EXPECT_EQ(a.track, 2);
  EXPECT_EQ(a.identity, 1);
  EXPECT_DOUBLE_EQ(a.score, 1.25);
  EXPECT_TRUE(fs::exists(dir.path() / "faces" / a.file));
}

TEST(FaceSet, AppendingKeepsEarlierFacesAndNeverOverwritesAFile) {
  TempDir dir;
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(9, 9, 9));
  {
    auto set = FaceSet::open_or_create(dir.path());
    ASSERT_TRUE(set);
    ASSERT_TRUE(set->add(image, sample_record(1)));
    ASSERT_TRUE(set->save());
  }
  // A stranger's file that happens to have the next face's name.
  ASSERT_TRUE(write_file_atomic(dir.path() / "take_1_000002.png", "keep me"));
  auto set = FaceSet::open_or_create(dir.path());
  ASSERT_TRUE(set);
  ASSERT_EQ(set->faces().size(), 1u);
  ASSERT_TRUE(set->add(image, sample_record(2)));
  ASSERT_TRUE(set->save());
  EXPECT_EQ(*read_file(dir.path() / "take_1_000002.png"), "keep me");
  auto loaded = FaceSet::load(dir.path());
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->faces().size(), 2u);
  EXPECT_EQ(loaded->faces()[0].file, "take_1_000001.png");
  EXPECT_EQ(loaded->faces()[1].file, "take_1_000002-1.png");
}

TEST(FaceSet, CorruptMetadataIsReportedAndLeftUntouched) {
  TempDir dir;
  const std::string broken = "{\"format\": \"mirage.faceset\", \"version\": 1, \"faces\": [ {\"file\": ";
  ASSERT_TRUE(write_file_atomic(dir.path() / "faceset.json", broken));
  auto set = FaceSet::open_or_create(dir.path());
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(set.error().message.find("faceset.json"), std::string::npos);
  EXPECT_EQ(*read_file(dir.path() / "faceset.json"), broken);
}

TEST(FaceSet, ForeignOrMalformedMetadataIsCorruptAndNewerIsUnsupported) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "faceset.json", R"({"name": "someone else's file"})"));
  auto foreign = FaceSet::load(dir.path());
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(foreign.error().message.find("not a Mirage face set"), std::string::npos);

  Json doc{{"format", "mirage.faceset"}, {"version", 1}, {"faces", Json::array({to_json(sample_record(3))})}};
  doc["faces"][0]["landmarks"].erase(5);
  ASSERT_TRUE(save_json(dir.path() / "faceset.json", doc));
  auto malformed = FaceSet::load(dir.path());
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(malformed.error().message.find("faces[0]: landmarks"), std::string::npos) << malformed.error().message;

  // Past float's range (found by tests/fuzz/faceset_fuzz.cpp): it would load, save as null and
  // then never load again.
  for (const char* field : {"box", "landmarks"}) {
    doc = Json{{"format", "mirage.faceset"}, {"version", 1}, {"faces", Json::array({to_json(sample_record(3))})}};
    doc["faces"][0]["file"] = "take_1_000003.png";
    if (std::string(field) == "box") doc["faces"][0]["box"][2] = 1e300;
    else doc["faces"][0]["landmarks"][7][1] = -1e39;
    ASSERT_TRUE(save_json(dir.path() / "faceset.json", doc));
    auto huge = FaceSet::load(dir.path());
    ASSERT_FALSE(huge) << field;
    EXPECT_NE(huge.error().message.find(std::string("faces[0]: ") + field), std::string::npos) << huge.error().message;
  }

  doc = Json{{"format", "mirage.faceset"}, {"version", 99}, {"faces", Json::array()}};
  ASSERT_TRUE(save_json(dir.path() / "faceset.json", doc));
  auto newer = FaceSet::load(dir.path());
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kUnsupported);
}

TEST(FaceSet, AnOutputThatCannotBeAFolderIsReportedBeforeAnyWork) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "file", "x"));
  auto set = FaceSet::open_or_create(dir.path() / "file" / "faces");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, ErrorCode::kIo);
  auto also = FaceSet::open_or_create(dir.path() / "file");
  ASSERT_FALSE(also);
  EXPECT_EQ(also.error().code, ErrorCode::kIo);
}

TEST(BlurScore, SharpImagesScoreHigherThanBlurredOnes) {
  cv::Mat image(128, 128, CV_8UC3);
  cv::randu(image, 0, 255);
  cv::Mat blurred;
  cv::GaussianBlur(image, blurred, cv::Size(0, 0), 3.0);
  EXPECT_GT(face_blur_score(image), 10 * face_blur_score(blurred));
}

TEST(OneEuroFilter, PassesConstantsAndFollowsFastMotionBetterThanAFixedLowPass) {
  OneEuroFilter still(1.0, 0.0);
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(still.filter(5.0, i / 30.0), 5.0);
  // A fast ramp (300 units/s): the speed-adaptive filter lags far less than beta = 0.
  OneEuroFilter adaptive(1.0, 0.05), fixed(1.0, 0.0);
  double lag_adaptive = 0, lag_fixed = 0;
  for (int i = 0; i <= 30; ++i) {
    const double t = i / 30.0, x = 300.0 * t;
    lag_adaptive = x - adaptive.filter(x, t);
    lag_fixed = x - fixed.filter(x, t);
  }
  EXPECT_LT(lag_adaptive, 0.25 * lag_fixed);
  // Jitter at rest is reduced.
  OneEuroFilter jitter(1.0, 0.05);
  double worst = 0;
  for (int i = 0; i < 60; ++i) {
    const double y = jitter.filter(i % 2 == 0 ? 1.0 : -1.0, i / 30.0);
    if (i > 10) worst = std::max(worst, std::abs(y));
  }
  EXPECT_LT(worst, 0.6);
}

TEST(LandmarkPredictor, MissingModelSaysWhatToInstall) {
  auto predictor = LandmarkPredictor::load("/nonexistent/shape_predictor_68_face_landmarks.dat");
  ASSERT_FALSE(predictor);
  EXPECT_EQ(predictor.error().code, ErrorCode::kNotFound);
  EXPECT_NE(predictor.error().message.find("libdlib-data"), std::string::npos);
}

TEST(LandmarkPredictor, AFileThatIsNotAModelIsCorrupt) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "model.dat", "definitely not dlib"));
  auto predictor = LandmarkPredictor::load(dir.path() / "model.dat");
  ASSERT_FALSE(predictor);
  EXPECT_EQ(predictor.error().code, ErrorCode::kCorrupt);
}

TEST(Detector, FindsNothingInABlankFrameAndParsesNames) {
  auto hog = make_detector({});
  ASSERT_TRUE(hog);
  EXPECT_TRUE((*hog)->detect(cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128))).empty());
  EXPECT_TRUE((*hog)->detect(cv::Mat()).empty());
  DetectorOptions cascade_options;
  cascade_options.kind = DetectorKind::kCascade;
  auto cascade = make_detector(cascade_options);
  ASSERT_TRUE(cascade) << cascade.error().message;
  EXPECT_TRUE((*cascade)->detect(cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128))).empty());
  EXPECT_EQ(*parse_detector_kind("cascade"), DetectorKind::kCascade);
  EXPECT_FALSE(parse_detector_kind("mtcnn"));
  DetectorOptions bad;
  bad.scale = 0;
  EXPECT_FALSE(make_detector(bad));
  DetectorOptions missing;
  missing.kind = DetectorKind::kCascade;
  missing.cascade_file = "/nonexistent/cascade.xml";
  auto none = make_detector(missing);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mirage::face

namespace mirage::face {
namespace {

TEST(Identity, ClusteringFindsTwoSeparatedGroupsAndNumbersTheLargestFirst) {
  cv::Mat features(70, 16, CV_32F);
  cv::RNG rng(3);
  for (int i = 0; i < features.rows; ++i) {
    for (int j = 0; j < features.cols; ++j) {
      features.at<float>(i, j) = static_cast<float>(rng.gaussian(0.1) + (i < 40 ? (j < 8 ? 1.0 : 0.0) : (j < 8 ? 0.0 : 1.0)));
    }
  }
  const Clustering c = cluster_features(features, 0, 5);
  EXPECT_EQ(c.clusters, 2);
  EXPECT_GT(c.silhouette, 0.5);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(c.labels[i], 0);
  for (int i = 40; i < 70; ++i) EXPECT_EQ(c.labels[i], 1);
  EXPECT_EQ(cluster_features(features.rowRange(0, 1), 0, 5).clusters, 1);
}

TEST(Identity, OneTwoOrThreeFacesGetALabelEach) {
  // Two faces once left every label unset, and sorting a two-face set read past the end.
  cv::Mat features(3, 16, CV_32F);
  cv::randu(features, 0, 1);
  for (int rows = 1; rows <= 3; ++rows) {
    const Clustering c = cluster_features(features.rowRange(0, rows), 0, 5);
    ASSERT_EQ(static_cast<int>(c.labels.size()), rows) << rows << " faces";
    EXPECT_GE(c.clusters, 1);
    for (const int label : c.labels) EXPECT_LT(label, c.clusters);
  }
  EXPECT_EQ(cluster_features(features.rowRange(0, 2), 0, 5).clusters, 1);
}

TEST(Identity, FeaturesAreFiniteAndTellDifferentFacesApart) {
  cv::Mat a(256, 256, CV_8UC3), b(256, 256, CV_8UC3);
  cv::randu(a, 0, 255);
  cv::GaussianBlur(a, a, cv::Size(0, 0), 2);
  b.setTo(cv::Scalar(30, 90, 200));
  const cv::Mat f = identity_features({a, a, b});
  ASSERT_EQ(f.rows, 3);
  EXPECT_TRUE(cv::checkRange(f));
  EXPECT_NEAR(cv::norm(f.row(0), f.row(1)), 0.0, 1e-6);
  EXPECT_GT(cv::norm(f.row(0), f.row(2)), 0.5);
}

TEST(Sort, BlurFilterMovesBlurredFacesAsideAndOrdersTheRest) {
  TempDir dir;
  auto set = FaceSet::open_or_create(dir.path());
  ASSERT_TRUE(set);
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(5, 5, 5));
  for (int i = 0; i < 4; ++i) {
    FaceRecord r = sample_record(i);
    ASSERT_TRUE(set->add(image, r));
    set->faces().back().blur = 10.0 * i;
  }
  ASSERT_TRUE(set->save());
  SortOptions options;
  options.key = SortKey::kBlur;
  options.min_blur = 15;
  auto report = sort_face_set(*set, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rejected, 2);
  auto kept = FaceSet::load(dir.path());
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->faces().size(), 2u);
  EXPECT_DOUBLE_EQ(kept->faces()[0].blur, 30.0);
  auto rejected = FaceSet::load(dir.path() / "rejected");
  ASSERT_TRUE(rejected);
  ASSERT_EQ(rejected->faces().size(), 2u);
  for (const FaceRecord& f : rejected->faces()) EXPECT_TRUE(fs::exists(dir.path() / "rejected" / f.file));
  EXPECT_FALSE(parse_sort_key("age"));
}

}  // namespace
}  // namespace mirage::face
