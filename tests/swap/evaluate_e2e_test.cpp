// End to end: `eval` numbers on a clip that was not swapped at all (the output is the source).
// Face sets A (the woman, source frames 1-97) and B (the man, 98-153) come from extracting
// frames 60-129 of data/Megamind.avi. Skips (77) when the clip or ffmpeg is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/media/video_writer.h"
#include "engine/swap/evaluate.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"
#include "engine/swap/copying_swapper.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

TEST(Evaluate, AClipWithoutSwapHasNoIdentityTransferAndNoExtraJitter) {
  if (!fs::exists(mirage::test::megamind_clip()) || !media::ffmpeg_available()) GTEST_SKIP() << "needs data/Megamind.avi and ffmpeg";
  TempDir dir;
  const fs::path clip = dir.path() / "clip.mkv";
  std::system(("ffmpeg -v error -i '" + mirage::test::megamind_clip().string() + "' -vf trim=start_frame=60:end_frame=130,setpts=PTS-STARTPTS "
               "-an -c:v ffv1 '" + clip.string() + "'").c_str());
  ASSERT_TRUE(fs::exists(clip));
  auto extracted = face::extract_faces({.input = clip, .output = dir.path() / "all"});
  ASSERT_TRUE(extracted) << extracted.error().message;
  auto all = face::FaceSet::load(dir.path() / "all");
  ASSERT_TRUE(all);
  auto a = face::FaceSet::open_or_create(dir.path() / "a");
  auto b = face::FaceSet::open_or_create(dir.path() / "b");
  ASSERT_TRUE(a && b);
  for (const face::FaceRecord& r : all->faces()) {
    const cv::Mat image = cv::imread((dir.path() / "all" / r.file).string());
    ASSERT_TRUE((r.frame < 38 ? *a : *b).add(image, r));  // source frame 98 is clip frame 38
  }
  ASSERT_TRUE(a->save() && b->save());
  ASSERT_GE(a->faces().size(), 20u);
  ASSERT_GE(b->faces().size(), 20u);

  const CopyingSwapper model(64);
  EvalOptions options{.source = clip, .output = clip, .faces_a = dir.path() / "a", .faces_b = dir.path() / "b",
                      .target = 1, .model = &model};
  auto report = evaluate_clip(options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->frames, 70);
  EXPECT_GE(report->frames_compared, 60);
  EXPECT_GT(report->classifier_accuracy, 0.8);
  EXPECT_GE(report->identity_faces, 25);           // the woman's frames, converted "to B"
  EXPECT_LE(report->identity_transfer, 0.05);      // but nothing was swapped
  EXPECT_NEAR(report->expression_error, 0.0, 1e-6);
  EXPECT_NEAR(report->jitter_excess, 0.0, 1e-6);
  EXPECT_GT(report->jitter_source, 0.0);
  EXPECT_GT(report->reconstruction_faces, 0);
  EXPECT_GT(report->reconstruction_psnr, 40.0);    // a copying model reconstructs (almost) exactly
  EXPECT_GT(report->reconstruction_ssim, 0.99);

  EvalOptions bad = options;
  bad.faces_b = dir.path() / "missing";
  EXPECT_EQ(evaluate_clip(bad).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mirage::swap
