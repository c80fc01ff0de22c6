// End to end: `eval` numbers on a clip that was not swapped at all (the output is the source),
// on one where every face was replaced by a real face of the other person (a paste made here),
// and the landmark numbers on re-encoded, moved and shaking copies. Face sets A (the woman,
// source frames 1-97) and B (the man, 98-153) come from extracting frames 60-129 of
// data/Megamind.avi. Skips (77) without the clip, ffmpeg or the
// judge's model (data/face-api; tools/setup installs all three).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/media/frame_source.h"
#include "engine/media/video_writer.h"
#include "engine/swap/copying_swapper.h"
#include "engine/swap/evaluate.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

fs::path judge_model() {
  return mirage::test::source_dir() / "data" / "face-api" / "face_recognition_model-weights_manifest.json";
}

// Frames 60-129 of the sample clip, losslessly, and its faces sorted into A and B.
class EvaluateClip : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(mirage::test::megamind_clip()) || !media::ffmpeg_available() || !fs::exists(judge_model())) {
      GTEST_SKIP() << "needs data/Megamind.avi, data/face-api (tools/setup) and ffmpeg";
    }
    std::system(("ffmpeg -v error -i '" + mirage::test::megamind_clip().string() +
                 "' -vf trim=start_frame=60:end_frame=130,setpts=PTS-STARTPTS -an -c:v ffv1 '" + clip().string() + "'").c_str());
    ASSERT_TRUE(fs::exists(clip()));
    auto extracted = face::extract_faces({.input = clip(), .output = dir_.path() / "all"});
    ASSERT_TRUE(extracted) << extracted.error().message;
    auto all = face::FaceSet::load(dir_.path() / "all");
    ASSERT_TRUE(all);
    auto a = face::FaceSet::open_or_create(faces(0));
    auto b = face::FaceSet::open_or_create(faces(1));
    ASSERT_TRUE(a && b);
    for (const face::FaceRecord& r : all->faces()) {
      const cv::Mat image = cv::imread((dir_.path() / "all" / r.file).string());
      ASSERT_TRUE((identity(r) == 0 ? *a : *b).add(image, r));
      records_.push_back(r);
    }
    ASSERT_TRUE(a->save() && b->save());
    ASSERT_GE(a->faces().size(), 20u);
    ASSERT_GE(b->faces().size(), 20u);
  }

  // The clip again, each frame through `change` (frame index, 8-bit BGR image), as H.264 at crf 10.
  void write_changed(const fs::path& path, const std::function<cv::Mat(std::int64_t, const cv::Mat&)>& change) const {
    auto writer = media::VideoWriter::open({.output = path, .width = 720, .height = 528, .fps = 23.976, .crf = 10});
    ASSERT_TRUE(writer) << writer.error().message;
    auto source = media::FrameSource::open(clip());
    ASSERT_TRUE(source);
    for (std::int64_t index = 0;; ++index) {
      auto frame = source->next();
      ASSERT_TRUE(frame);
      if (!*frame) break;
      ASSERT_TRUE(writer->write(change(index, (*frame)->image)));
    }
    ASSERT_TRUE(writer->finish());
  }

  static int identity(const face::FaceRecord& r) { return r.frame < 38 ? 0 : 1; }  // source frame 98 is clip frame 38
  fs::path clip() const { return dir_.path() / "clip.mkv"; }
  fs::path faces(int identity) const { return dir_.path() / (identity == 0 ? "a" : "b"); }
  EvalOptions options(const fs::path& output, int target) const {
    return {.source = clip(), .output = output, .faces_a = faces(0), .faces_b = faces(1), .target = target,
            .judge_model = judge_model()};
  }

  TempDir dir_;
  std::vector<face::FaceRecord> records_;
};

TEST_F(EvaluateClip, AClipWithoutSwapHasNoIdentityTransferFullDetailAndEveryFace) {
  const CopyingSwapper model(64);
  EvalOptions o = options(clip(), 1);
  o.model = &model;
  auto report = evaluate_clip(o);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->frames, 70);
  EXPECT_GE(report->frames_compared, 60);
  // The judge on real faces: 5 or more held-out faces each, told apart, one person ~0.3 wide.
  EXPECT_TRUE(report->means_from_held_out);
  EXPECT_GE(report->real_faces[0], 5);
  EXPECT_GE(report->real_faces[1], 5);
  EXPECT_GE(report->judge_accuracy, 0.9);
  EXPECT_GT(report->real_spread, 0.1);
  EXPECT_LT(report->real_spread, 0.45);
  // Converted "to B", so the woman's faces count as swapped; but nothing was.
  EXPECT_GE(report->from[0].faces, 25);
  EXPECT_EQ(report->from[1].faces, 0);
  EXPECT_EQ(report->overall.faces, report->from[0].faces);
  EXPECT_LE(report->overall.transfer, 0.05);
  EXPECT_LT(report->overall.distance_to_source, report->overall.distance_to_target);
  EXPECT_GE(report->overall.detectable, report->overall.faces / 2);
  EXPECT_DOUBLE_EQ(report->overall.faces_found, 1.0);
  EXPECT_NEAR(report->overall.detail, 1.0, 1e-9);
  EXPECT_NEAR(report->expression_error, 0.0, 1e-6);
  EXPECT_NEAR(report->jitter_excess, 0.0, 1e-6);
  EXPECT_GT(report->jitter_source, 0.0);
  EXPECT_GT(report->reconstruction_faces, 0);
  EXPECT_GT(report->reconstruction_psnr, 40.0);    // a copying model reconstructs (almost) exactly
  EXPECT_GT(report->reconstruction_ssim, 0.99);
  EXPECT_GT(report->seconds, 0.0);

  EvalOptions bad = o;
  bad.faces_b = dir_.path() / "missing";
  EXPECT_EQ(evaluate_clip(bad).error().code, ErrorCode::kNotFound);
  bad = o;
  bad.judge_model = dir_.path() / "no-model" / "face_recognition_model-weights_manifest.json";
  auto no_judge = evaluate_clip(bad);
  ASSERT_FALSE(no_judge);
  EXPECT_NE(no_judge.error().message.find("tools/setup"), std::string::npos) << no_judge.error().message;
}

TEST_F(EvaluateClip, FacesReplacedByTheOtherPersonCountAsTransferred) {
  // Each face of the clip replaced by a real face of the other identity, warped into its place
  // (the donor's aligned crop onto this face's crop) under a feathered ellipse.
  std::array<std::vector<cv::Mat>, 2> donors;
  for (const face::FaceRecord& r : records_) donors[identity(r)].push_back(cv::imread((dir_.path() / "all" / r.file).string()));
  cv::Mat mask(256, 256, CV_32F, cv::Scalar(0));
  cv::ellipse(mask, {128, 120}, {92, 112}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  cv::GaussianBlur(mask, mask, {0, 0}, 8);
  const fs::path pasted = dir_.path() / "pasted.mkv";
  std::array<std::size_t, 2> next{};
  write_changed(pasted, [&](std::int64_t index, const cv::Mat& frame) {
    cv::Mat image;
    frame.convertTo(image, CV_32FC3);
    for (const face::FaceRecord& r : records_) {
      if (r.frame != index) continue;
      const std::vector<cv::Mat>& pool = donors[1 - identity(r)];
      const cv::Mat& donor = pool[next[1 - identity(r)]++ % pool.size()];
      cv::Mat face, weight;
      cv::warpAffine(donor, face, cv::Mat(r.face_to_frame), image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      cv::warpAffine(mask * 1.0, weight, cv::Mat(r.face_to_frame), image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
      face.convertTo(face, CV_32FC3);
      cv::Mat weight3;
      cv::merge(std::vector<cv::Mat>{weight, weight, weight}, weight3);
      image = image.mul(cv::Scalar::all(1.0) - weight3) + face.mul(weight3);
    }
    cv::Mat image8;
    image.convertTo(image8, CV_8UC3);
    return image8;
  });
  ASSERT_FALSE(HasFatalFailure());

  auto report = evaluate_clip(options(pasted, -1));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_GE(report->from[0].faces, 25);
  EXPECT_GE(report->from[1].faces, 25);
  EXPECT_GE(report->from[0].transfer, 0.9);
  EXPECT_GE(report->from[1].transfer, 0.9);
  EXPECT_GE(report->overall.transfer, 0.9);
  EXPECT_LT(report->overall.distance_to_target, report->overall.distance_to_source);
  EXPECT_GE(report->overall.faces_found, 0.8);  // a real face, pasted: still a face
}

TEST_F(EvaluateClip, LandmarkNumbersMeasureTheFacesNotTheFitter) {
  // Both clips' landmarks are fitted where the tracker fitted the source's, averaged over boxes
  // around it: a near-lossless re-encode scores about nothing (the judge's floor), a face moved
  // by a steady 5 px scores that offset as expression error but no jitter, and one that shakes
  // by +-3 px scores jitter.
  auto shifted = [](const cv::Mat& frame, double dx) {
    cv::Mat moved;
    const cv::Matx23d shift(1, 0, dx, 0, 1, 0);
    cv::warpAffine(frame, moved, shift, frame.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return moved;
  };
  const fs::path same = dir_.path() / "same.mkv";
  const fs::path steady = dir_.path() / "steady.mkv";
  const fs::path shaking = dir_.path() / "shaking.mkv";
  write_changed(same, [](std::int64_t, const cv::Mat& frame) { return frame.clone(); });
  write_changed(steady, [&](std::int64_t, const cv::Mat& frame) { return shifted(frame, 5.0); });
  write_changed(shaking, [&](std::int64_t index, const cv::Mat& frame) { return shifted(frame, index % 2 ? 3.0 : -3.0); });
  ASSERT_FALSE(HasFatalFailure());

  auto floor = evaluate_clip(options(same, 1));
  auto moved = evaluate_clip(options(steady, 1));
  auto shaken = evaluate_clip(options(shaking, 1));
  ASSERT_TRUE(floor && moved && shaken);
  EXPECT_GE(floor->frames_compared, 60);
  EXPECT_EQ(moved->frames_compared, floor->frames_compared);  // the output's faces need no tracking
  std::printf("NME / jitter excess: re-encode %.4f / %.4f, moved 5 px %.4f / %.4f, shaking +-3 px %.4f / %.4f\n",
              floor->expression_error, floor->jitter_excess, moved->expression_error, moved->jitter_excess,
              shaken->expression_error, shaken->jitter_excess);
  // Measured 0.011 / 0.015. One fit per frame in the same box gave 0.028 / 0.039, and a tracker
  // of the output's own (the judge before) 0.038 / 0.049 on a crf 18 re-encode of all of
  // Megamind: the fitter's noise, not the faces.
  EXPECT_LT(floor->expression_error, 0.02);
  EXPECT_LT(floor->jitter_excess, 0.025);
  EXPECT_GT(moved->expression_error, floor->expression_error + 0.02);
  for (int part = 0; part < kFaceParts; ++part) {  // a rigid move shows in every part
    EXPECT_GT(moved->expression_by_part[part], floor->expression_by_part[part] + 0.02) << kFacePartNames[part];
  }
  EXPECT_LT(moved->jitter_excess, floor->jitter_excess + 0.01);
  EXPECT_GT(shaken->jitter_excess, floor->jitter_excess + 0.03);
  EXPECT_GT(shaken->jitter_excess, 1.5 * shaken->expression_error);  // 6 px between frames, 3 px off
}

}  // namespace
}  // namespace mirage::swap
