#include "engine/train/face_set_data.h"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "engine/face/align.h"
#include "engine/face/face_set.h"
#include "engine/face/masks.h"
#include "tests/core/temp_dir.h"

namespace mirage::train {
namespace {

// A face set of `count` 64 px crops, the mean face's landmarks in each (face_to_frame is the
// identity, so frame and crop coordinates agree). Face i is a flat BGR colour (i, 100, 200).
std::filesystem::path make_set(const std::filesystem::path& folder, int count) {
  auto set = face::FaceSet::open_or_create(folder);
  EXPECT_TRUE(set.has_value());
  face::AlignOptions align;
  align.size = 64;
  const face::Landmarks landmarks = face::template_in_crop(align);
  for (int i = 0; i < count; ++i) {
    face::FaceRecord record;
    record.source = "test.mp4";
    record.frame = i;
    record.size = 64;
    record.landmarks = landmarks;
    const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(i, 100, 200));
    EXPECT_TRUE(set->add(image, record).has_value());
  }
  EXPECT_TRUE(set->save().has_value());
  return folder;
}

TEST(FaceSetData, LoadsRgbMasksAndHoldsOutEveryNth) {
  TempDir dir;
  const auto folder = make_set(dir.path() / "a", 10);
  auto split = load_face_bank(folder, 5);
  ASSERT_TRUE(split.has_value()) << split.error().message;
  ASSERT_EQ(split->train.size(), 8u);
  ASSERT_EQ(split->held_out.size(), 2u);
  // Faces 4 and 9 are held out: their blue channel (BGR (i, 100, 200)) says which they are.
  EXPECT_EQ(split->held_out[0].rgb[2], 4);
  EXPECT_EQ(split->held_out[1].rgb[2], 9);
  const TrainFace& face = split->train[0];
  EXPECT_EQ(face.size, 64);
  ASSERT_EQ(face.rgb.size(), 64u * 64u * 3u);
  EXPECT_EQ(face.rgb[0], 200);  // R of BGR (0, 100, 200)
  EXPECT_EQ(face.rgb[1], 100);
  EXPECT_EQ(face.rgb[2], 0);
  const auto count = [](const std::vector<std::uint8_t>& mask) {
    return std::count_if(mask.begin(), mask.end(), [](std::uint8_t v) { return v > 127; });
  };
  ASSERT_EQ(face.hull.size(), 64u * 64u);
  // The landmark hull covers a good part of the crop; eyes and mouth are small parts inside it.
  EXPECT_GT(count(face.hull), 64 * 64 / 5);
  EXPECT_GT(count(face.eyes), 10);
  EXPECT_GT(count(face.mouth), 10);
  EXPECT_LT(count(face.eyes) + count(face.mouth), count(face.hull));
  // The hull the model learns its mask from takes in the whole brow (face::MaskKind::kBrows).
  face::AlignOptions align;
  align.size = 64;
  const cv::Mat brows = face::landmark_mask(face::template_in_crop(align), 64, face::MaskKind::kBrows);
  EXPECT_EQ(face.hull, std::vector<std::uint8_t>(brows.datastart, brows.dataend));
  EXPECT_EQ(load_face_bank(folder, 0)->train.size(), 10u);
}

TEST(HeadTurn, IsZeroFrontalSignedByTheNoseAndBlindToSimilarities) {
  const face::Landmarks frontal = face::mean_face();
  EXPECT_NEAR(head_turn(frontal), 0.0f, 0.05f);
  face::Landmarks turned = frontal;
  const cv::Point2f jaw = frontal[16] - frontal[0];
  turned[30] += 0.2f * jaw;  // the nose tip a fifth of the jaw's width towards point 16
  EXPECT_NEAR(head_turn(turned), head_turn(frontal) + 0.4f, 1e-4f);
  // Rotated, scaled and moved: the same turn.
  const double a = 0.4;
  const cv::Matx23d similarity(1.7 * std::cos(a), -1.7 * std::sin(a), 30, 1.7 * std::sin(a), 1.7 * std::cos(a), -12);
  EXPECT_NEAR(head_turn(face::map_points(similarity, turned)), head_turn(turned), 1e-4f);
  // Mirrored (x -> -x with the points renumbered left for right): the opposite turn.
  face::Landmarks mirrored = turned;
  for (cv::Point2f& p : mirrored) p.x = -p.x;
  std::swap(mirrored[0], mirrored[16]);
  EXPECT_NEAR(head_turn(mirrored), -head_turn(turned), 1e-4f);
}

TEST(FaceSetData, EachFaceCarriesItsHeadTurn) {
  TempDir dir;
  auto split = load_face_bank(make_set(dir.path() / "a", 2), 0);
  ASSERT_TRUE(split.has_value()) << split.error().message;
  face::AlignOptions align;
  align.size = 64;
  EXPECT_FLOAT_EQ(split->train[0].yaw, head_turn(face::template_in_crop(align)));
}

TEST(FaceSetData, BadSetsAreRefusedWithTheReason) {
  TempDir dir;
  auto missing = load_face_bank(dir.path() / "nothing", 0);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto empty = face::FaceSet::open_or_create(dir.path() / "empty");
  ASSERT_TRUE(empty && empty->save());
  auto none = load_face_bank(dir.path() / "empty", 0);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(none.error().message.find("no faces"), std::string::npos);

  const auto folder = make_set(dir.path() / "b", 3);
  auto set = face::FaceSet::load(folder);
  ASSERT_TRUE(set.has_value());
  const auto second = folder / set->faces()[1].file;
  ASSERT_TRUE(cv::imwrite(second.string(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(1, 2, 3))));
  auto resized = load_face_bank(folder, 0);
  ASSERT_FALSE(resized.has_value());
  EXPECT_EQ(resized.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(resized.error().message.find("32x32"), std::string::npos) << resized.error().message;

  std::filesystem::remove(second);
  auto gone = load_face_bank(folder, 0);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(gone.error().message.find(second.filename().string()), std::string::npos);
}

}  // namespace
}  // namespace mirage::train
