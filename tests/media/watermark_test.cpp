#include "engine/media/watermark.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include <opencv2/imgproc.hpp>

#include "engine/media/bch.h"
#include "engine/media/frame_source.h"
#include "engine/media/process.h"
#include "engine/media/video_writer.h"
#include "engine/media/watermark_benchmark.h"
#include "tests/core/temp_dir.h"

namespace mirage::media {
namespace {

// A textured, moving test picture: blurred noise panning, with a few bright shapes.
std::vector<cv::Mat> textured_clip(int frames, cv::Size size, unsigned seed) {
  cv::Mat world(size.height + 64, size.width + 64 + 4 * frames, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(world, cv::RNG::NORMAL, 128, 90);
  cv::GaussianBlur(world, world, {0, 0}, 2.5);
  std::vector<cv::Mat> clip;
  for (int i = 0; i < frames; ++i) {
    cv::Mat f;
    world(cv::Rect(4 * i, i % 7, size.width, size.height)).convertTo(f, CV_8U);
    cv::circle(f, {size.width / 3 + 2 * i, size.height / 2}, size.height / 6, cv::Scalar(230, 220, 210), -1);
    clip.push_back(f);
  }
  return clip;
}

// Any 11 wrong bits are put right; 12 or more are refused, never read as another payload; a word
// that decodes but fails the checks (another version, another marker) is refused.
TEST(WatermarkPayload, CorrectsElevenWrongBitsAndRefusesMore) {
  const WatermarkPayload p{.day = 1067, .model = 0xabc123};
  const WatermarkWord word = encode_payload(p);
  int corrected = -1;
  ASSERT_EQ(decode_payload(word, &corrected), p);
  EXPECT_EQ(corrected, 0);
  std::mt19937 rng(5);
  std::vector<int> positions(kWatermarkBits);
  std::iota(positions.begin(), positions.end(), 0);
  for (int trial = 0; trial < 300; ++trial) {
    const int wrong = 1 + trial % 16;  // 1 ... 16
    std::shuffle(positions.begin(), positions.end(), rng);
    WatermarkWord received = word;
    for (int i = 0; i < wrong; ++i) received.flip(positions[i]);
    const std::optional<WatermarkPayload> read = decode_payload(received, &corrected);
    if (wrong <= 11) {
      ASSERT_EQ(read, p) << wrong << " wrong bits";
      EXPECT_EQ(corrected, wrong);
    } else {
      EXPECT_FALSE(read) << wrong << " wrong bits read as a payload";
    }
  }
  EXPECT_FALSE(decode_payload(WatermarkWord()));
  EXPECT_FALSE(decode_payload(WatermarkWord().set()));
  // The BCH code alone accepts any codeword; the payload's checks refuse one whose marker, version
  // or CRC is wrong (here: the codeword of the same payload written with another version).
  bch127::Data other;
  const WatermarkWord v2 = encode_payload(p);
  for (int i = 0; i < bch127::kData; ++i) other[i] = v2[bch127::kLength - bch127::kData + i];
  other.flip(bch127::kData - 12);  // the version's lowest bit (the CRC no longer matches either)
  EXPECT_FALSE(decode_payload(bch127::encode(other)));
}

// Soft decisions: 11 confident wrong bits plus 5 wrong bits that are the least reliable still read
// (16 in all); the same 16 wrong bits all confident do not; nor does a word of the wrong length.
TEST(WatermarkPayload, SoftDecodingReadsPastElevenWhenTheExtraBitsAreTheLeastSure) {
  const WatermarkPayload p{.day = 1070, .model = 0x5a17e5};
  const WatermarkWord word = encode_payload(p);
  std::vector<double> soft(kWatermarkBits);
  for (int g = 0; g < kWatermarkBits; ++g) soft[g] = word[g] ? 3.0 : -3.0;
  std::mt19937 rng(8);
  std::vector<int> positions(kWatermarkBits);
  std::iota(positions.begin(), positions.end(), 0);
  std::shuffle(positions.begin(), positions.end(), rng);
  std::vector<double> confident = soft;
  for (int i = 0; i < 16; ++i) {
    const int g = positions[i];
    soft[g] = i < 11 ? -soft[g] : -0.01 * soft[g];  // the last 5 wrong, but barely
    confident[g] = -confident[g];
  }
  int corrected = 0;
  EXPECT_EQ(decode_soft(soft, &corrected), p);
  EXPECT_EQ(corrected, 16);
  EXPECT_FALSE(decode_soft(confident));
  EXPECT_FALSE(decode_soft(std::vector<double>(72, 1.0)));
}

TEST(WatermarkPayload, DaysAndModelTags) {
  using namespace std::chrono;
  EXPECT_EQ(watermark_day(sys_days{year{2024} / January / 1}), 0);
  const std::uint16_t day = watermark_day(sys_days{year{2026} / December / 3} + hours{23});
  EXPECT_EQ(watermark_date(day), "2026-12-03");
  EXPECT_EQ(model_tag("3fa2c1deadbeef"), 0x3fa2c1U);
  EXPECT_EQ(model_tag_hex(0x3fa2c1), "3fa2c1");
  EXPECT_EQ(model_tag("zz"), 0U);
}

TEST(WatermarkThresholds, MeetTheFalseAlarmBudget) {
  // 32 Chase trials x 2^40 payloads x the 11-bit ball of 127 (2^51.12) over 2^127, plus version
  // 1's 2^-32.
  EXPECT_NEAR(watermark_payload_false_alarm(), 32 * 1.5850e-11 + 2.3283e-10, 1e-12);
  EXPECT_LE(watermark_payload_false_alarm(), kWatermarkFalseAlarm);
}

// The grid is an exact area average of the luma, whatever the frame's size: OpenCV's INTER_AREA
// on the float luma is the reference (scale factors whole, fractional, below and above 2).
TEST(WatermarkGrid, IsTheAreaAverageOfTheLuma) {
  cv::RNG rng(3);
  for (const cv::Size size : {cv::Size(720, 528), cv::Size(360, 264), cv::Size(1080, 792), cv::Size(128, 128),
                              cv::Size(64, 64), cv::Size(97, 65), cv::Size(1920, 1080)}) {
    cv::Mat frame(size, CV_8UC3);
    rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
    cv::Mat grey, luma, expected;
    cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
    grey.convertTo(luma, CV_32F);
    cv::resize(luma, expected, {64, 64}, 0, 0, cv::INTER_AREA);
    const cv::Mat grid = watermark_grid(frame);
    ASSERT_EQ(grid.size(), cv::Size(64, 64));
    ASSERT_EQ(grid.type(), CV_32FC1);
    EXPECT_LT(cv::norm(grid, expected, cv::NORM_INF), 1e-3) << size;
    EXPECT_LT(cv::norm(watermark_grid(grey), expected, cv::NORM_INF), 1e-3) << size << " grey";
  }
  const cv::Mat small(40, 30, CV_8UC1, cv::Scalar(77));  // smaller than the grid: interpolated up
  const cv::Mat up = watermark_grid(small);
  ASSERT_EQ(up.size(), cv::Size(64, 64));
  EXPECT_NEAR(cv::mean(up)[0], 77.0, 1e-3);
}

TEST(Watermark, EmbeddedFramesDecodeAndStayClose) {
  const WatermarkPayload p{.day = 1067, .model = 0x5a17e5};
  const WatermarkEmbedder mark(p);
  WatermarkDetector marked, plain;
  double worst_psnr = 1e9;
  for (const cv::Mat& f : textured_clip(24, {320, 240}, 7)) {
    cv::Mat m = f.clone();
    mark.embed(m);
    worst_psnr = std::min(worst_psnr, cv::PSNR(f, m));
    marked.add(m);
    plain.add(f);
  }
  const WatermarkReading r = marked.reading();
  EXPECT_EQ(r.frames, 24);
  EXPECT_TRUE(r.found) << "agreement " << r.bit_agreement;
  ASSERT_TRUE(r.payload);
  EXPECT_EQ(*r.payload, p);
  EXPECT_GE(worst_psnr, 42.0);
  const WatermarkReading none = plain.reading();
  EXPECT_FALSE(none.found) << "agreement " << none.bit_agreement;
}

// Clips marked before the word was coded (version 1: 72 groups under another key) still read, as
// version 1; the current detector's word for them is noise, so nothing else is found.
TEST(Watermark, ReadsVersionOneMarks) {
  const WatermarkPayload old{.version = 1, .day = 1000, .model = 0x123abc};
  const WatermarkEmbedder mark(old);
  WatermarkDetector reader;
  for (const cv::Mat& f : textured_clip(24, {320, 240}, 9)) {
    cv::Mat m = f.clone();
    mark.embed(m);
    reader.add(m);
  }
  const WatermarkReading r = reader.reading();
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.payload->version, 1);
  EXPECT_EQ(*r.payload, old);
  EXPECT_FALSE(decode_payload(r.bits)) << "the version-2 word of a version-1 clip decoded";
}

WatermarkReading detect_file(const std::filesystem::path& path) {
  auto source = FrameSource::open(path);
  EXPECT_TRUE(source) << source.error().message;
  WatermarkDetector detector;
  while (source) {
    auto frame = source->next();
    if (!frame || !*frame) break;
    detector.add((*frame)->image);
  }
  return detector.reading();
}

void write_clip(const std::filesystem::path& path, const std::vector<cv::Mat>& frames) {
  auto writer = VideoWriter::open({.output = path, .width = frames[0].cols, .height = frames[0].rows, .fps = 24});
  ASSERT_TRUE(writer) << writer.error().message;
  for (const cv::Mat& f : frames) ASSERT_TRUE(writer->write(f));
  ASSERT_TRUE(writer->finish());
}

void reencode(const std::filesystem::path& in, const std::filesystem::path& out, std::vector<std::string> filters) {
  std::vector<std::string> a = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", in.string()};
  a.insert(a.end(), filters.begin(), filters.end());
  a.insert(a.end(), {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", out.string()});
  auto r = run_program(a);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code, 0) << r->output;
}

// The first `seconds` of a clip.
WatermarkReading detect_seconds(const std::filesystem::path& path, double seconds) {
  auto source = FrameSource::open(path);
  EXPECT_TRUE(source) << source.error().message;
  WatermarkDetector detector;
  while (source) {
    auto frame = source->next();
    if (!frame || !*frame || (*frame)->timestamp_s >= seconds - 1e-9) break;
    detector.add((*frame)->image);
  }
  return detector.reading();
}

// Every attack of the list, through ffmpeg as `mirage bench watermark` runs them, on 4 s of
// a generated clip: the payload reads exactly from the first 2 s of each result.
TEST(Watermark, ReadsAfterEachAttackOfTheList) {
  if (!ffmpeg_available()) GTEST_SKIP() << "no ffmpeg";
  const TempDir dir;
  const WatermarkPayload p{.day = 1070, .model = 0x0b5e55};
  const WatermarkEmbedder mark(p);
  std::vector<cv::Mat> marked = textured_clip(96, {640, 480}, 21);
  for (cv::Mat& f : marked) mark.embed(f);
  write_clip(dir.path() / "marked.mp4", marked);
  int n = 0;
  for (const WatermarkAttack& attack : watermark_attacks(4.0)) {
    if (attack.harsher) continue;
    std::filesystem::path attacked = dir.path() / "marked.mp4";
    if (!attack.before.empty() || !attack.after.empty()) {
      attacked = dir.path() / ("attack" + std::to_string(n++) + ".mp4");
      ASSERT_TRUE(apply_watermark_attack(dir.path() / "marked.mp4", attacked, attack)) << attack.name;
    }
    const WatermarkReading r = detect_seconds(attacked, 2.0);
    EXPECT_GE(r.frames, 29) << attack.name;
    EXPECT_EQ(r.payload, p) << attack.name << ": " << (r.bits ^ encode_payload(p)).count() << " bits wrong";
  }
  EXPECT_EQ(n, 10);
}

// Through real encodes: the clip as written, a crf 23 re-encode scaled to 150 % in greyscale at
// 12 fps, must decode; the same clip unmarked, and flat and noise clips, must not.
TEST(Watermark, SurvivesReencodingScalingGreyscaleAndFrameDropsAndNeverFiresOnUnmarkedClips) {
  if (!ffmpeg_available()) GTEST_SKIP() << "no ffmpeg";
  const TempDir dir;
  const WatermarkPayload p{.day = 1067, .model = 0x0ddba1};
  const WatermarkEmbedder mark(p);
  std::vector<cv::Mat> plain = textured_clip(48, {320, 240}, 11), marked;
  for (const cv::Mat& f : plain) {
    marked.push_back(f.clone());
    mark.embed(marked.back());
  }
  write_clip(dir.path() / "marked.mp4", marked);
  write_clip(dir.path() / "plain.mp4", plain);
  reencode(dir.path() / "marked.mp4", dir.path() / "attacked.mp4",
           {"-vf", "scale=480:360,format=gray,format=yuv420p,fps=12", "-crf", "23"});
  for (const char* name : {"marked.mp4", "attacked.mp4"}) {
    const WatermarkReading r = detect_file(dir.path() / name);
    EXPECT_TRUE(r.found) << name << ": weakest bit t " << r.weakest_bit_t;
    EXPECT_EQ(r.payload, p) << name;
  }
  std::vector<cv::Mat> flat(24, cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(128)));
  std::vector<cv::Mat> noise;
  cv::RNG rng(3);
  for (int i = 0; i < 24; ++i) {
    noise.emplace_back(240, 320, CV_8UC3);
    rng.fill(noise.back(), cv::RNG::UNIFORM, 0, 256);
  }
  write_clip(dir.path() / "flat.mp4", flat);
  write_clip(dir.path() / "noise.mp4", noise);
  for (const char* name : {"plain.mp4", "flat.mp4", "noise.mp4"}) {
    const WatermarkReading r = detect_file(dir.path() / name);
    EXPECT_FALSE(r.found) << name;
    EXPECT_FALSE(r.payload) << name;
  }
}

}  // namespace
}  // namespace mirage::media
