#include "engine/media/video_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <opencv2/videoio.hpp>

#include "tests/core/temp_dir.h"
#include "tests/support/ffprobe.h"

namespace mirage::media {
namespace {

namespace fs = std::filesystem;


cv::Mat frame(int i, int width = 64, int height = 48) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(30, 60, 90));
  image(cv::Rect(i % (width - 8), 8, 8, 8)).setTo(cv::Scalar(255, 255, 255));
  return image;
}

bool no_leftovers(const fs::path& folder, const fs::path& keep = {}) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path() != keep) return false;
  }
  return true;
}

class VideoWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ffmpeg_available()) GTEST_SKIP() << "ffmpeg is not installed";
  }
  TempDir dir_;
};

TEST_F(VideoWriterTest, WritesH264WithFrameRateCountAndTags) {
  const fs::path out = dir_.path() / "clip.mp4";
  VideoWriterOptions o{.output = out, .width = 64, .height = 48, .fps = 24000.0 / 1001.0};
  o.metadata = {{"comment", "synthetic: made with Mirage"}};
  auto writer = VideoWriter::open(o);
  ASSERT_TRUE(writer) << writer.error().message;
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(writer->write(frame(i)));
  EXPECT_FALSE(fs::exists(out)) << "the output appears only at finish()";
  ASSERT_TRUE(writer->finish());
  ASSERT_TRUE(fs::exists(out));
  EXPECT_TRUE(no_leftovers(dir_.path(), out));
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames"), "12");
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -show_entries stream=codec_name"), "h264");
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -show_entries stream=r_frame_rate"), "24000/1001");
  EXPECT_EQ(test::ffprobe(out, "-show_entries format_tags=comment"), "synthetic: made with Mirage");
  EXPECT_EQ(test::ffprobe(out, "-select_streams a -show_entries stream=index"), "");
}

TEST_F(VideoWriterTest, KeepsTheSourceAudio) {
  const fs::path source = dir_.path() / "source.mkv";
  test::command_output("ffmpeg -v error -f lavfi -i testsrc=size=64x48:rate=25 -f lavfi -i sine=frequency=440 "
      "-t 2 -c:v mpeg4 -c:a aac '" + source.string() + "'");
  ASSERT_TRUE(fs::exists(source));
  const fs::path out = dir_.path() / "clip.mkv";
  auto writer = VideoWriter::open({.output = out, .width = 64, .height = 48, .fps = 25, .audio_from = source,
                                   .audio_start_s = 0.5, .audio_duration_s = 1.0});
  ASSERT_TRUE(writer) << writer.error().message;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(writer->write(frame(i)));
  ASSERT_TRUE(writer->finish());
  EXPECT_EQ(test::ffprobe(out, "-select_streams a:0 -show_entries stream=codec_name"), "aac");
  const double duration = std::stod(test::ffprobe(out, "-show_entries format=duration"));
  EXPECT_NEAR(duration, 1.0, 0.15);
}

TEST_F(VideoWriterTest, RefusesAnExistingOutputWithoutOverwrite) {
  const fs::path out = dir_.path() / "clip.mp4";
  { std::FILE* f = std::fopen(out.c_str(), "w"); std::fputs("keep me", f); std::fclose(f); }
  auto writer = VideoWriter::open({.output = out, .width = 64, .height = 48});
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kIo);
  EXPECT_NE(writer.error().message.find("--overwrite"), std::string::npos);
  EXPECT_EQ(fs::file_size(out), 7u);

  auto replacing = VideoWriter::open({.output = out, .width = 64, .height = 48, .overwrite = true});
  ASSERT_TRUE(replacing);
  ASSERT_TRUE(replacing->write(frame(0)));
  EXPECT_EQ(fs::file_size(out), 7u) << "the old file stays until finish()";
  ASSERT_TRUE(replacing->finish());
  EXPECT_GT(fs::file_size(out), 7u);
}

TEST_F(VideoWriterTest, AbortAndFailureLeaveNothing) {
  const fs::path out = dir_.path() / "clip.mp4";
  {
    auto writer = VideoWriter::open({.output = out, .width = 64, .height = 48});
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->write(frame(0)));
  }  // destroyed unfinished
  EXPECT_TRUE(no_leftovers(dir_.path()));

  auto bad = VideoWriter::open({.output = out, .width = 64, .height = 48, .preset = "no-such-preset"});
  ASSERT_TRUE(bad);
  Status status = bad->write(frame(0));
  for (int i = 1; i < 200 && status; ++i) status = bad->write(frame(i));
  if (status) status = bad->finish();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kIo);
  EXPECT_TRUE(no_leftovers(dir_.path()));

  auto wrong = VideoWriter::open({.output = out, .width = 64, .height = 48});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->write(frame(0, 32, 32)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong->finish().error().code, ErrorCode::kInvalidArgument);  // no frames
  EXPECT_TRUE(no_leftovers(dir_.path()));
}

TEST_F(VideoWriterTest, PadsOddSizesAndRejectsBadOptions) {
  const fs::path out = dir_.path() / "odd.mp4";
  auto writer = VideoWriter::open({.output = out, .width = 63, .height = 47});
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(frame(0, 63, 47)));
  ASSERT_TRUE(writer->finish());
  EXPECT_EQ(test::ffprobe(out, "-select_streams v:0 -show_entries stream=width"), "64");
  EXPECT_FALSE(VideoWriter::open({.output = dir_.path() / "x.mp4", .width = 0, .height = 4}));
  EXPECT_FALSE(VideoWriter::open({.output = dir_.path() / "x.mp4", .width = 4, .height = 4, .fps = 0}));
  EXPECT_EQ(VideoWriter::open({.output = dir_.path() / "no" / "x.mp4", .width = 4, .height = 4}).error().code,
            ErrorCode::kIo);
}

}  // namespace
}  // namespace mirage::media
