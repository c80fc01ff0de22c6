// The live player and the live recorder on real Megamind frames: a settings change shows on the
// next frame exactly as the CPU compositor makes it (and as a mask overlay on request); a video
// delivered as a camera is shown as it arrives, cannot be sought, and is recorded as shown.
#include "engine/workspace/player.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "engine/core/config.h"
#include "engine/core/file_io.h"
#include "engine/face/detect.h"
#include "engine/face/extract.h"
#include "engine/face/landmarks.h"
#include "engine/face/tracking.h"
#include "engine/media/frame_source.h"
#include "engine/media/provenance.h"
#include "engine/model/checkpoint.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/weight_snapshot.h"
#include "engine/swap/face_routing.h"
#include "engine/swap/model_swapper.h"
#include "engine/workspace/workspace.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

cv::Mat bgr_of(const Image& rgba) {
  const cv::Mat view(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.bytes().data()));
  cv::Mat bgr;
  cv::cvtColor(view, bgr, cv::COLOR_RGBA2BGR);
  return bgr;
}

// The compositor issue's tolerance: PSNR >= 45 dB and no channel off by more than 3/255 on
// 99.9 % of the pixels (here over the whole frame).
void expect_same_picture(const cv::Mat& got, const cv::Mat& want) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_GE(cv::PSNR(got, want), 45.0);
  cv::Mat diff;
  cv::absdiff(got, want, diff);
  cv::Mat over = diff.reshape(1) > 3;
  EXPECT_LE(cv::countNonZero(over), static_cast<int>(0.001 * static_cast<double>(diff.total() * 3)));
}

// Ticks until `done` holds; false after `limit`.
template <class Done>
bool wait_for(Done done, std::chrono::seconds limit, Workspace* ws = nullptr) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (ws) ws->tick();
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class PlayerE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(test::megamind_clip())) GTEST_SKIP() << "data/Megamind.avi is missing (tools/setup)";
    // One second of the sample (faces in most frames), its faces as both sets, a lite model
    // trained a few steps on them.
    clip_ = dir_.path() / "short.mkv";
    const std::string cut = "ffmpeg -v error -i '" + test::megamind_clip().string() +
                            "' -vf trim=start_frame=100:end_frame=148,setpts=PTS-STARTPTS -an -c:v ffv1 '" +
                            clip_.string() + "'";
    ASSERT_EQ(std::system(cut.c_str()), 0);
    project_ = dir_.path() / "p";
    auto extracted = face::extract_faces({.input = clip_, .output = project_ / "faces" / "a"});
    ASSERT_TRUE(extracted) << extracted.error().message;
    fs::copy(project_ / "faces" / "a", project_ / "faces" / "b", fs::copy_options::recursive);
    ProjectSettings settings;
    settings.source = clip_;
    settings.train.batch = 2;
    settings.player.label = false;
    ASSERT_TRUE(Project::create(project_, settings));
    auto ws = Workspace::open(project_, {.open_player = false});
    ASSERT_TRUE(ws);
    ASSERT_TRUE((*ws)->start_training({.adjust = [](train::TrainerOptions& o) { o.max_steps = 3; }}));
    ASSERT_TRUE(wait_for([&] { return (*ws)->training().ended; }, 300s, ws->get()));
    ASSERT_TRUE((*ws)->finish_training());
  }

  TempDir dir_;
  fs::path clip_, project_;
};

TEST_F(PlayerE2e, ASettingChangeShowsOnTheNextFrameAsTheCpuCompositorMakesIt) {
  // A still frame, looped: every pass tracks it afresh, so its faces are what a fresh tracker finds.
  auto frames = media::FrameSource::open(clip_);
  ASSERT_TRUE(frames);
  cv::Mat still;
  for (int i = 0; i <= 10; ++i) still = (**frames->next()).image;
  const fs::path still_path = dir_.path() / "still.png";
  ASSERT_TRUE(cv::imwrite(still_path.string(), still));

  auto model = swap::LiveSwapper::load(project_ / "model", "cpu");
  ASSERT_TRUE(model) << model.error().message;
  std::shared_ptr<swap::LiveSwapper> shared(std::move(*model));
  PlayerSettings settings;
  settings.label = false;
  settings.mode = PlayMode::kEveryFrame;
  auto player = Player::open({.source = still_path, .settings = settings});
  ASSERT_TRUE(player) << player.error().message;
  (*player)->set_model(shared);
  (*player)->play();
  std::shared_ptr<const PlayerFrame> frame;
  ASSERT_TRUE(wait_for([&] { return (frame = (*player)->take_frame()) && frame->swapped_faces; }, 60s));
  (*player)->pause();
  // The frame the player was making when it paused still comes; then nothing until a change.
  const std::uint64_t shown = (*player)->stats().shown;
  std::this_thread::sleep_for(300ms);
  if (auto last = (*player)->take_frame()) frame = std::move(last);
  ASSERT_LE((*player)->stats().shown, shown + 1);
  ASSERT_TRUE(frame->swapped_faces);

  // What the CPU compositor makes of this frame with `options`.
  face::DetectorOptions detector_options;
  detector_options.scale = face::detection_scale(face::DetectorKind::kHog, 100);
  detector_options.min_face_px = 80;
  auto detector = face::make_detector(detector_options);
  auto predictor = face::LandmarkPredictor::load();
  ASSERT_TRUE(detector && predictor);
  face::FaceTracker tracker(**detector, *predictor, {});
  const std::vector<face::TrackedFace> tracked = tracker.update(still, 0.0);
  ASSERT_FALSE(tracked.empty());
  const auto expected = [&](const CompositeOptions& options) {
    const swap::FrameSwapper swapper(*shared, {.composite = options});
    std::vector<float> inputs;
    std::vector<swap::PreparedFace> faces;
    std::vector<int> targets;
    for (const face::TrackedFace& f : tracked) {
      faces.push_back(swapper.prepare(still, f.landmarks, inputs));
      targets.push_back(1);
    }
    auto out = swap::swap_faces(*shared, inputs, targets);
    EXPECT_TRUE(out);
    cv::Mat picture = still.clone();
    swapper.composite(picture, faces, *out);
    return picture;
  };
  expect_same_picture(bgr_of(frame->swapped), expected({}));

  CompositeOptions changed;
  changed.erode_px = 10;
  changed.feather_px = 30;
  changed.colour = ColourTransfer::kMean;
  changed.face_scale = 0.9;
  changed.sharpen_amount = 3;
  ASSERT_TRUE((*player)->set_composite(changed));
  ASSERT_TRUE(wait_for([&] { return (frame = (*player)->take_frame()) != nullptr; }, 30s));
  expect_same_picture(bgr_of(frame->swapped), expected(changed));
  EXPECT_GT(cv::norm(bgr_of(frame->swapped), expected({}), cv::NORM_L1), 0.0) << "the change is visible";
  EXPECT_TRUE((frame->mask.width() == 0)) << "no overlay unless asked for";

  // The mask overlay: the composited frame with the blend mask tinted over it, only where it is.
  (*player)->set_mask_overlay(true);
  ASSERT_TRUE(wait_for([&] { return (frame = (*player)->take_frame()) && !(frame->mask.width() == 0); }, 30s));
  const cv::Mat overlay = bgr_of(frame->mask), swapped = bgr_of(frame->swapped);
  cv::Mat differs;
  cv::compare(overlay.reshape(1), swapped.reshape(1), differs, cv::CMP_NE);
  const double share = static_cast<double>(cv::countNonZero(differs)) / static_cast<double>(differs.total());
  EXPECT_GT(share, 0.005) << "the face region is tinted";
  EXPECT_LT(share, 0.5) << "the rest of the frame is not";
}

// A model of the legacy crop is shown (a project trained before checkpoints named their crop);
// then the trainer publishes weights of another crop (a run started afresh): they cannot update
// the shown model in place, so the player builds a model from them and shows it, no error.
TEST_F(PlayerE2e, WeightsOfAnotherCropReplaceTheShownModel) {
  auto saved = model::load_checkpoint(project_ / "model");
  ASSERT_TRUE(saved) << saved.error().message;
  ASSERT_EQ(saved->header.crop, model::kFaceCrop);
  model::CheckpointHeader legacy_header = saved->header;
  legacy_header.crop = model::kLegacyCrop;
  const fs::path legacy_file = dir_.path() / "legacy.mirage";
  ASSERT_TRUE(write_file_atomic(legacy_file, model::encode_checkpoint(legacy_header, saved->payload)));
  auto legacy = swap::LiveSwapper::load(legacy_file, "cpu");
  ASSERT_TRUE(legacy) << legacy.error().message;
  const std::int64_t legacy_step = (*legacy)->step();
  const auto legacy_matrix = (*legacy)->model_to_aligned(64, 256);

  auto preset = model::preset_of(saved->header, "test");
  ASSERT_TRUE(preset);
  auto fresh = model::make_faceswap_model(*preset);
  ASSERT_TRUE(fresh);
  auto snapshot = std::make_shared<const model::WeightSnapshot>(model::take_snapshot(**fresh, legacy_step + 100));
  ASSERT_EQ(snapshot->preset.crop, model::kFaceCrop);

  PlayerSettings settings;
  settings.label = false;
  settings.mode = PlayMode::kEveryFrame;
  auto player = Player::open({.source = clip_, .settings = settings});
  ASSERT_TRUE(player) << player.error().message;
  (*player)->set_model(std::shared_ptr<swap::LiveSwapper>(std::move(*legacy)));
  ASSERT_TRUE(wait_for([&] { return (*player)->stats().model_step == legacy_step; }, 60s));
  std::atomic<std::uint64_t> version{0};
  (*player)->set_snapshots({.version = [&] { return version.load(); }, .latest = [&] { return snapshot; }});
  version = 1;
  ASSERT_TRUE(wait_for([&] { return (*player)->stats().model_version == 1; }, 60s));
  EXPECT_EQ((*player)->stats().model_step, legacy_step + 100);
  EXPECT_EQ((*player)->stats().error, "");
  // The new model cuts faces where its weights learnt them, not where the old one did.
  auto current = swap::LiveSwapper::from_snapshot(*snapshot, "cpu");
  ASSERT_TRUE(current);
  EXPECT_NE((*current)->model_to_aligned(64, 256)(1, 2), legacy_matrix(1, 2));
}

TEST_F(PlayerE2e, AVideoDeliveredAsACameraIsShownAsItArrivesAndRecordedAsShown) {
  auto opened = Workspace::open(project_, {.pace_source_like_camera = true});
  ASSERT_TRUE(opened) << opened.error().message;
  Workspace& ws = **opened;
  ASSERT_NE(ws.player(), nullptr);
  Player& player = *ws.player();
  EXPECT_TRUE(player.stats().live);
  EXPECT_EQ(player.stats().duration_s, 0.0) << "a camera has no length";
  player.play();
  std::shared_ptr<const PlayerFrame> frame;
  ASSERT_TRUE(wait_for([&] { return (frame = player.take_frame()) && frame->swapped_faces; }, 60s, &ws))
      << player.stats().error;

  // What is shown is recorded, in real time, labelled and marked.
  const fs::path take = project_ / "renders" / "live.mp4";
  ASSERT_TRUE(ws.start_recording(take, 0, 2.0));
  EXPECT_TRUE(ws.recording().live);
  EXPECT_FALSE(ws.start_recording(project_ / "renders" / "other.mp4")) << "one recording at a time";
  ASSERT_TRUE(wait_for([&] { return !ws.recording().running; }, 60s, &ws));
  ASSERT_TRUE(ws.recording().succeeded) << ws.recording().result;
  auto written = media::FrameSource::open(take);
  ASSERT_TRUE(written);
  EXPECT_NEAR(written->expected_frames(), 48, 1) << "2 s at the source's 23.976 frames/s";
  auto verdict = media::verify_clip(take);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_TRUE(verdict->metadata_tag);
  EXPECT_EQ(verdict->record, media::RecordState::kMatches);
  EXPECT_EQ(verdict->record_json["source"]["live"], true);
  EXPECT_FALSE(verdict->record_json["watermark"].is_null()) << "the recorder embedded a payload";
  // The invisible mark is read back when the clip has the picture variety detection pools over
  // (2 s of distinct frames: a loaded machine repeats shown frames in their real-time slots).
  int distinct = 0;
  cv::Mat previous;
  for (auto source = media::FrameSource::open(take); source;) {
    auto next = source->next();
    if (!next || !*next) break;
    if (previous.empty() || cv::norm((**next).image, previous, cv::NORM_INF) > 8) ++distinct;
    previous = (**next).image;
  }
  if (distinct >= 40) {
    EXPECT_TRUE(verdict->watermark.found) << verdict->line << " (" << distinct << " distinct frames)";
  }
  // The visible mark (a darkened box with white text in the bottom-right corner) is in the
  // recording, though the player showed none.
  auto first = written->next();
  ASSERT_TRUE(first && *first);
  const cv::Mat& image = (**first).image;
  cv::Mat corner;
  cv::cvtColor(image(cv::Rect(image.cols - 60, image.rows - 22, 50, 14)), corner, cv::COLOR_BGR2GRAY);
  double brightest = 0;
  cv::minMaxLoc(corner, nullptr, &brightest);
  cv::Mat dark = corner < 95;
  EXPECT_GT(brightest, 200) << "white text";
  EXPECT_GT(cv::countNonZero(dark), static_cast<int>(corner.total() / 2)) << "on a darkened box";

  // Stopping a live recording keeps what was recorded; cancelling leaves nothing.
  const fs::path stopped = project_ / "renders" / "stopped.mp4";
  ASSERT_TRUE(ws.start_recording(stopped));
  ASSERT_TRUE(wait_for([&] { return ws.recording().frames_done >= 5; }, 30s, &ws));
  ws.stop_recording();
  ASSERT_TRUE(wait_for([&] { return !ws.recording().running; }, 30s, &ws));
  EXPECT_TRUE(ws.recording().succeeded) << ws.recording().result;
  EXPECT_TRUE(fs::exists(stopped));
  const fs::path cancelled = project_ / "renders" / "cancelled.mp4";
  ASSERT_TRUE(ws.start_recording(cancelled));
  ASSERT_TRUE(wait_for([&] { return ws.recording().frames_done >= 5; }, 30s, &ws));
  ws.cancel_recording();
  ASSERT_TRUE(wait_for([&] { return !ws.recording().running; }, 30s, &ws));
  EXPECT_FALSE(ws.recording().succeeded);
  EXPECT_FALSE(fs::exists(cancelled));
}

TEST_F(PlayerE2e, AVideoThatStopsDecodingHalfWayIsOneErrorAndTheEnd) {
  // The first half of an AVI with its index and tail cut away: FFmpeg reads until the data stops.
  const fs::path whole = dir_.path() / "whole.avi";
  const std::string make = "ffmpeg -v error -i '" + clip_.string() + "' -c:v mjpeg -q:v 5 '" + whole.string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0);
  const fs::path cut = dir_.path() / "cut.avi";
  {
    std::ifstream in(whole, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  PlayerSettings settings;
  settings.mode = PlayMode::kEveryFrame;
  settings.loop = false;
  auto player = Player::open({.source = cut, .settings = settings});
  ASSERT_TRUE(player) << player.error().message;
  (*player)->play();
  ASSERT_TRUE(wait_for([&] { return (*player)->stats().at_end; }, 120s)) << (*player)->stats().error;
  const PlayerStats stats = (*player)->stats();
  EXPECT_GT(stats.shown, 5) << "the frames before the damage are shown";
  EXPECT_LT(stats.shown, 48) << "and the damage ends it";
  EXPECT_NE(stats.error.find("cut.avi"), std::string::npos) << stats.error;
  EXPECT_EQ(stats.error.find('\n'), std::string::npos);
  // Play again starts from the beginning; the player is still there to do it.
  (*player)->play();
  ASSERT_TRUE(wait_for([&] { return (*player)->take_frame() != nullptr; }, 30s));
}

}  // namespace
}  // namespace mirage::workspace
