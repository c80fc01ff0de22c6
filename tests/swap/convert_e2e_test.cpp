// End to end: a short clip cut from data/Megamind.avi (its frame 0 is black, and six grey frames
// are added at the end: frames without a face) converted with a stand-in model that inverts
// the face's colours. Skips (77) when data/Megamind.avi or ffmpeg is missing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "engine/core/sha256.h"
#include "engine/media/provenance.h"
#include "engine/media/video_writer.h"
#include "engine/swap/convert.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"
#include "tests/support/ffprobe.h"

namespace mirage::swap {
namespace {

namespace fs = std::filesystem;

// A stand-in model: the face with inverted colours, a full mask. Fails from call `fail_at` on.
class InvertingSwapper final : public FaceSwapper {
 public:
  explicit InvertingSwapper(int fail_at = -1) : fail_at_(fail_at) {}
  int resolution() const override { return 64; }
  int identities() const override { return 2; }
  std::string preset() const override { return "test-invert"; }
  cv::Matx23d model_to_aligned(int resolution, int aligned_side) const override {
    const double side = 0.75 * aligned_side, scale = side / resolution;
    const double shift = 0.5 * scale - 0.5 + (aligned_side - side) / 2;
    return {scale, 0, shift, 0, scale, shift};
  }
  Result<SwappedFaces> swap(std::span<const float> faces, int count, int to) const override {
    if (fail_at_ >= 0 && calls_++ >= fail_at_) return fail(ErrorCode::kDevice, "out of memory (test)");
    SwappedFaces out;
    for (float v : faces) out.rgb.push_back(to == 1 ? 1.0f - v : v);
    out.mask.assign(static_cast<std::size_t>(count) * 64 * 64, 1.0f);
    return out;
  }

 private:
  int fail_at_;
  mutable std::atomic<int> calls_{0};
};

double psnr(const cv::Mat& a, const cv::Mat& b) { return cv::PSNR(a, b); }

class Convert : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(test::megamind_clip()) || !media::ffmpeg_available()) return;
    dir_ = new TempDir;
    clip_ = dir_->path() / "clip.mkv";
    test::command_output("ffmpeg -v error -i '" + test::megamind_clip().string() + "' "
        "-vf trim=end_frame=36,tpad=stop=6:stop_mode=add:color=gray -t 1.8 -c:v ffv1 -c:a aac '" + clip_.string() + "'");
  }
  static void TearDownTestSuite() { delete dir_; }
  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "needs data/Megamind.avi (tools/setup) and ffmpeg";
    ASSERT_TRUE(fs::exists(clip_));
  }
  static bool only(const fs::path& folder, std::initializer_list<fs::path> names) {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
      if (entry.path().filename() == "clip.mkv") continue;
      bool expected = false;
      for (const fs::path& name : names) expected = expected || entry.path() == name;
      if (!expected) return false;
      ++n;
    }
    return n == names.size();
  }
  static TempDir* dir_;
  static fs::path clip_;
};
TempDir* Convert::dir_ = nullptr;
fs::path Convert::clip_;

TEST_F(Convert, WritesALabelledClipWithAudioAndPassesFaceLessFramesThrough) {
  const fs::path out = dir_->path() / "out.mp4";
  InvertingSwapper model;
  ConvertOptions options{.input = clip_, .output = out, .to = 1, .label = false};
  std::int64_t progress_calls = 0;
  auto summary = convert_video(options, model, {.on_progress = [&](const ConvertProgress&) { ++progress_calls; }});
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->frames_written, 42);
  EXPECT_EQ(progress_calls, 42);
  EXPECT_GE(summary->frames_without_faces, 7);  // black frame 0 and the 6 grey ones
  EXPECT_GE(summary->frames_with_faces, 30);
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames"), "42");
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -show_entries stream=r_frame_rate"), "24000/1001");
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -show_entries stream=codec_name"), "h264");
  EXPECT_EQ(test::ffprobe(out, "-select_streams a:0 -show_entries stream=codec_name"), "aac");
  EXPECT_EQ(test::ffprobe(out, "-show_entries format_tags=comment"), synthetic_tag("test-invert"));
  EXPECT_EQ(test::ffprobe(out, "-show_entries format_tags=mirage_synthetic"), "1");
  EXPECT_TRUE(only(dir_->path(), {out, media::provenance_path(out)}));

  // The invisible watermark and the provenance record are on by default.
  auto verdict = media::verify_clip(out);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_TRUE(verdict->marked);
  EXPECT_TRUE(verdict->watermark.found) << verdict->line;
  ASSERT_TRUE(verdict->watermark.payload);
  EXPECT_EQ(verdict->watermark.payload->day, media::watermark_day(std::chrono::system_clock::now()));
  EXPECT_EQ(verdict->watermark.payload->model, 0U) << "a stand-in model has no weights to hash";
  EXPECT_TRUE(verdict->metadata_tag);
  EXPECT_EQ(verdict->record, media::RecordState::kMatches) << verdict->line;
  const Json& record = verdict->record_json;
  EXPECT_EQ(record["source"]["sha256"], *sha256_file(clip_));
  EXPECT_EQ(record["settings"]["to"], "b");
  EXPECT_EQ(record["settings"]["label"], false);
  EXPECT_EQ(record["settings"]["frames"], 42);
  EXPECT_EQ(record["watermark"]["model_tag"], "000000");
  EXPECT_TRUE(record["model"]["checkpoint"].is_null());

  cv::VideoCapture a(clip_.string()), b(out.string());
  cv::Mat fa, fb;
  int unchanged = 0, changed = 0;
  for (int i = 0; a.read(fa) && b.read(fb); ++i) {
    const double p = psnr(fa, fb);
    if (i == 0 || i >= 36) {
      EXPECT_GT(p, 33.0) << "frame " << i << " has no face and must pass through (H.264 4:2:0 loss only)";
      ++unchanged;
    } else if (p < 30.0) {
      ++changed;
    }
  }
  EXPECT_EQ(unchanged, 7);
  EXPECT_GE(changed, 30);
  fs::remove(out);
  fs::remove(media::provenance_path(out));
}

TEST_F(Convert, WatermarkAndRecordAreOffOnlyWhenAsked) {
  const fs::path out = dir_->path() / "plain.mp4";
  InvertingSwapper model;
  auto summary = convert_video({.input = clip_, .output = out, .watermark = false, .provenance = false}, model);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_TRUE(only(dir_->path(), {out}));
  auto verdict = media::verify_clip(out);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_FALSE(verdict->watermark.found);
  EXPECT_TRUE(verdict->metadata_tag) << "the metadata tag stays";
  EXPECT_TRUE(verdict->marked);
  fs::remove(out);
}

TEST_F(Convert, LabelIsOnByDefaultAndRangesCut) {
  const fs::path out = dir_->path() / "range.mkv";
  InvertingSwapper model;
  ConvertOptions options{.input = clip_, .output = out, .start_s = 1.0, .end_s = 1.5};
  auto summary = convert_video(options, model);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_NEAR(static_cast<double>(summary->frames_written), 0.5 * 24000.0 / 1001.0, 1.0);
  cv::VideoCapture b(out.string());
  cv::Mat frame;
  ASSERT_TRUE(b.read(frame));
  // The label's dark box in the bottom-right corner.
  const cv::Scalar corner = cv::mean(frame(cv::Rect(frame.cols - 20, frame.rows - 12, 8, 4)));
  const cv::Scalar centre = cv::mean(frame(cv::Rect(frame.cols / 2, frame.rows / 2, 8, 4)));
  EXPECT_LT(corner[0] + corner[1] + corner[2], 200.0) << "no dark label box";
  (void)centre;
  EXPECT_NEAR(std::stod(test::ffprobe(out, "-show_entries format=duration")), 0.5, 0.15);
  fs::remove(out);
  fs::remove(media::provenance_path(out));
}

TEST_F(Convert, SwapBothSendsEachFaceToTheOtherIdentity) {
  const fs::path out = dir_->path() / "both.mkv";
  InvertingSwapper model;  // identity 0 copies, identity 1 inverts
  ConvertOptions options{.input = clip_, .output = out, .to = kSwapBoth, .end_s = 0.5, .label = false};
  options.identity_of = [](const cv::Mat&) { return 1; };  // every face is B, so it becomes A
  auto summary = convert_video(options, model);
  ASSERT_TRUE(summary) << summary.error().message;
  cv::VideoCapture a(clip_.string()), b(out.string());
  cv::Mat fa, fb;
  for (int i = 0; a.read(fa) && b.read(fb); ++i) EXPECT_GT(psnr(fa, fb), 28.0) << "frame " << i;
  fs::remove(out);
  fs::remove(media::provenance_path(out));
  options.identity_of = nullptr;
  EXPECT_EQ(convert_video(options, model).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(Convert, BadInputFailsWithOneLineAndLeavesNoFile) {
  InvertingSwapper model;
  const fs::path out = dir_->path() / "bad.mp4";
  auto wrong_identity = convert_video({.input = clip_, .output = out, .to = 5}, model);
  ASSERT_FALSE(wrong_identity);
  EXPECT_EQ(wrong_identity.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong_identity.error().message.find("identity 5"), std::string::npos);

  const fs::path corrupt = dir_->path() / "corrupt.avi";
  { std::FILE* f = std::fopen(corrupt.c_str(), "w"); std::fputs("RIFF not really a video", f); std::fclose(f); }
  EXPECT_FALSE(convert_video({.input = corrupt, .output = out}, model));
  EXPECT_FALSE(convert_video({.input = dir_->path() / "missing.avi", .output = out}, model));
  fs::remove(corrupt);

  InvertingSwapper failing(5);
  auto failed = convert_video({.input = clip_, .output = out}, failing);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("out of memory"), std::string::npos);
  EXPECT_TRUE(only(dir_->path(), {})) << "no partial or temporary file may stay";

  { std::FILE* f = std::fopen(out.c_str(), "w"); std::fputs("keep", f); std::fclose(f); }
  auto exists = convert_video({.input = clip_, .output = out}, model);
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, ErrorCode::kIo);
  EXPECT_EQ(fs::file_size(out), 4u);
  fs::remove(out);
}

}  // namespace
}  // namespace mirage::swap
