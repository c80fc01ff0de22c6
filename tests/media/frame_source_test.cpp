#include "engine/media/frame_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "engine/media/frame_prefetcher.h"
#include "tests/core/temp_dir.h"

namespace mirage::media {
namespace {

namespace fs = std::filesystem;

cv::Mat numbered_image(int n) {
  cv::Mat image(96, 128, CV_8UC3, cv::Scalar(20, 40, 60));
  cv::rectangle(image, cv::Rect(4 * n % 100, 10, 20, 20), cv::Scalar(255, 255, 255), cv::FILLED);
  return image;
}

fs::path write_video(const fs::path& path, int frames, double fps = 25.0) {
  cv::VideoWriter writer(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(128, 96));
  EXPECT_TRUE(writer.isOpened());
  for (int i = 0; i < frames; ++i) writer.write(numbered_image(i));
  return path;
}

struct Drained {
  std::vector<Frame> frames;
  std::vector<Error> errors;
};

template <class Source>
Drained drain(Source& source) {
  Drained out;
  for (int guard = 0; guard < 10000; ++guard) {
    auto frame = source.next();
    if (!frame) {
      out.errors.push_back(frame.error());
      continue;
    }
    if (!*frame) break;
    out.frames.push_back(std::move(**frame));
  }
  return out;
}

TEST(FrameSource, ReadsEveryFrameOfAVideoWithIndexAndTimestamp) {
  TempDir dir;
  const fs::path video = write_video(dir.path() / "clip.avi", 20);
  auto source = FrameSource::open(video);
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ(source->kind(), SourceKind::kVideo);
  EXPECT_EQ(source->expected_frames(), 20);
  EXPECT_NEAR(source->fps(), 25.0, 0.01);
  const Drained got = drain(*source);
  ASSERT_EQ(got.frames.size(), 20u);
  EXPECT_TRUE(got.errors.empty());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(got.frames[i].index, i);
    EXPECT_NEAR(got.frames[i].timestamp_s, i / 25.0, 1e-9);
    EXPECT_EQ(got.frames[i].image.type(), CV_8UC3);
  }
  EXPECT_EQ(source->stats().frames_read, 20);
  EXPECT_EQ(source->stats().decode_errors, 0);
}

TEST(FrameSource, MissingPathIsNotFound) {
  TempDir dir;
  auto source = FrameSource::open(dir.path() / "nope.avi");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code, ErrorCode::kNotFound);
  EXPECT_NE(source.error().message.find("nope.avi"), std::string::npos);
}

TEST(FrameSource, AFileThatIsNeitherVideoNorImageIsUnsupported) {
  TempDir dir;
  std::ofstream(dir.path() / "notes.avi") << "this is not a video, just some text\n";
  auto source = FrameSource::open(dir.path() / "notes.avi");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code, ErrorCode::kUnsupported);
}

TEST(FrameSource, ReadsASingleImage) {
  TempDir dir;
  cv::imwrite((dir.path() / "one.png").string(), numbered_image(1));
  auto source = FrameSource::open(dir.path() / "one.png");
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ(source->kind(), SourceKind::kImage);
  const Drained got = drain(*source);
  ASSERT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(got.frames[0].image.size(), cv::Size(128, 96));
}

TEST(FrameSource, FolderSkipsNonImagesAndBrokenImagesWithOneErrorEach) {
  TempDir dir;
  cv::imwrite((dir.path() / "a.png").string(), numbered_image(1));
  cv::imwrite((dir.path() / "c.jpg").string(), numbered_image(2));
  cv::Mat grey;
  cv::cvtColor(numbered_image(3), grey, cv::COLOR_BGR2GRAY);
  cv::imwrite((dir.path() / "d.png").string(), grey);
  std::ofstream(dir.path() / "b.txt") << "notes";
  std::ofstream(dir.path() / "broken.png") << "not really a png";
  auto source = FrameSource::open(dir.path());
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ(source->kind(), SourceKind::kImageFolder);
  const Drained got = drain(*source);
  ASSERT_EQ(got.frames.size(), 3u);
  EXPECT_EQ(got.frames[0].path.filename(), "a.png");
  EXPECT_EQ(got.frames[2].path.filename(), "d.png");
  EXPECT_EQ(got.frames[2].image.channels(), 3);  // grey is converted to BGR
  ASSERT_EQ(got.errors.size(), 2u);
  EXPECT_NE(got.errors[0].message.find("b.txt"), std::string::npos);
  EXPECT_NE(got.errors[1].message.find("broken.png"), std::string::npos);
  EXPECT_EQ(source->stats().decode_errors, 2);
}

TEST(FrameSource, EmptyFolderIsUnsupported) {
  TempDir dir;
  auto source = FrameSource::open(dir.path());
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code, ErrorCode::kUnsupported);
}

TEST(FrameSource, VideoThatStopsDecodingPartWayKeepsEarlierFramesAndSaysSo) {
  TempDir dir;
  const fs::path whole = write_video(dir.path() / "whole.avi", 40);
  // Cut the file in the middle: the container still announces 40 frames.
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir.path() / "cut.avi", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto source = FrameSource::open(dir.path() / "cut.avi");
  ASSERT_TRUE(source) << source.error().message;
  const Drained got = drain(*source);
  EXPECT_GT(got.frames.size(), 5u);
  EXPECT_LT(got.frames.size(), 40u);
  ASSERT_EQ(source->expected_frames(), 40);  // the AVI header is at the front and survives the cut
  ASSERT_EQ(got.errors.size(), 1u);           // one line for the whole lost tail
  EXPECT_NE(got.errors.back().message.find("cut.avi"), std::string::npos);
  EXPECT_EQ(source->stats().decode_errors, 40 - static_cast<std::int64_t>(got.frames.size()));
}

TEST(FrameSource, CamerasAreNamedByIndexAndAMissingOneIsNotFound) {
  EXPECT_EQ(camera_index("camera:0"), 0);
  EXPECT_EQ(camera_index("/dev/video12"), 12);
  EXPECT_FALSE(camera_index("camera:"));
  EXPECT_FALSE(camera_index("camera:x1"));
  EXPECT_FALSE(camera_index("/dev/video0.mp4"));
  EXPECT_FALSE(camera_index("clip.mp4"));
  // No machine this runs on has /dev/video97.
  auto camera = FrameSource::open("camera:97");
  ASSERT_FALSE(camera);
  EXPECT_EQ(camera.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(camera.error().message, "no camera 97 (/dev/video97 does not exist)");
}

TEST(FrameSource, AVideoDeliveredAsACameraSkipsTheFramesNobodyReadInTime) {
  TempDir dir;
  const fs::path video = write_video(dir.path() / "clip.avi", 40, 100.0);  // 10 ms a frame
  auto live = FrameSource::open_live(video);
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_TRUE(live->live());
  EXPECT_EQ(live->kind(), SourceKind::kCamera);
  // Read at once: the first frame, whole.
  auto first = live->next();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((**first).index, 0);
  auto file = FrameSource::open(video);
  ASSERT_TRUE(file);
  EXPECT_EQ(cv::norm((**first).image, (**file->next()).image, cv::NORM_INF), 0) << "the same decoded frame as a file read";
  // A reader that comes back 20 frame periods later gets the newest frame, not the next one.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto later = live->next();
  ASSERT_TRUE(later && *later);
  EXPECT_GE((**later).index, 20);
  EXPECT_EQ(live->stats().frames_missed, (**later).index - 1);
  // Every frame arrives in order until the file ends, and then the source ends.
  const Drained rest = drain(*live);
  EXPECT_TRUE(rest.errors.empty());
  ASSERT_FALSE(rest.frames.empty());
  EXPECT_EQ(rest.frames.back().index, 39);
  for (std::size_t i = 1; i < rest.frames.size(); ++i) EXPECT_GT(rest.frames[i].index, rest.frames[i - 1].index);
  // A still image cannot stand in for a camera.
  cv::imwrite((dir.path() / "still.png").string(), numbered_image(1));
  auto still = FrameSource::open_live(dir.path() / "still.png");
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().code, ErrorCode::kUnsupported);
}

TEST(FramePrefetcher, DeliversTheSameFramesInOrder) {
  TempDir dir;
  const fs::path video = write_video(dir.path() / "clip.avi", 30);
  auto source = FrameSource::open(video);
  ASSERT_TRUE(source);
  FramePrefetcher frames(std::move(*source), 4);
  EXPECT_EQ(frames.expected_frames(), 30);
  const Drained got = drain(frames);
  ASSERT_EQ(got.frames.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(got.frames[i].index, i);
  EXPECT_EQ(frames.stats().frames_read, 30);
  auto after = frames.next();
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value());
}

TEST(FramePrefetcher, StopsPromptlyWhenDestroyedEarly) {
  TempDir dir;
  const fs::path video = write_video(dir.path() / "clip.avi", 30);
  auto source = FrameSource::open(video);
  ASSERT_TRUE(source);
  FramePrefetcher frames(std::move(*source), 2);
  auto first = frames.next();
  ASSERT_TRUE(first && first->has_value());
}  // the destructor joins the decode thread blocked on a full queue

}  // namespace
}  // namespace mirage::media
