// The workspace headless, as the studio drives it: a small lite model trains while the player
// plays a short real clip; the frames carry a swap once the first snapshot is in and change when
// a newer one arrives; a settings change shows on the next frame; the recorder writes a whole,
// labelled clip with audio while training goes on; settings survive closing and reopening.
#include "engine/workspace/workspace.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "engine/face/align.h"
#include "engine/face/face_set.h"
#include "tests/core/temp_dir.h"
#include "tests/support/sample_data.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A face set of textured 128 px faces (the mean face's landmarks), colour by identity.
void make_set(const fs::path& folder, int identity) {
  auto set = face::FaceSet::open_or_create(folder);
  ASSERT_TRUE(set);
  face::AlignOptions align;
  align.size = 128;
  const face::Landmarks landmarks = face::template_in_crop(align);
  cv::RNG random(identity + 1);
  for (int i = 0; i < 8; ++i) {
    face::FaceRecord record;
    record.source = "test.mp4";
    record.frame = i;
    record.size = 128;
    record.landmarks = landmarks;
    cv::Mat image(128, 128, CV_8UC3);
    random.fill(image, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(image, image, {0, 0}, 3);
    image += identity == 0 ? cv::Scalar(40, 0, 0) : cv::Scalar(0, 0, 60);
    ASSERT_TRUE(set->add(image, record));
  }
  ASSERT_TRUE(set->save());
}

// Waits (ticking the workspace like a UI) until `done` holds; false after `limit`.
template <class Done>
bool tick_until(Workspace& ws, Done done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    ws.tick();
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

double mean_abs_difference(const Image& a, const Image& b) {
  const cv::Mat x(a.height(), a.width(), CV_8UC4, const_cast<std::uint8_t*>(a.bytes().data()));
  const cv::Mat y(b.height(), b.width(), CV_8UC4, const_cast<std::uint8_t*>(b.bytes().data()));
  return cv::norm(x, y, cv::NORM_L1) / static_cast<double>(x.total() * 4);
}

std::string probe(const fs::path& clip, const std::string& args) {
  const std::string command = "ffprobe -v error " + args + " -of default=nw=1:nk=1 '" + clip.string() + "'";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, pipe)) out += buffer;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(WorkspaceE2e, TrainsPlaysSwapsLiveAndRecords) {
  const fs::path clip = test::megamind_clip();
  if (!fs::exists(clip)) GTEST_SKIP() << "data/Megamind.avi is missing (tools/setup)";
  TempDir dir;
  const fs::path short_clip = dir.path() / "short.mkv";
  // Frames 1-24 of the sample (faces in most), with the source's audio.
  const std::string cut = "ffmpeg -v error -i '" + clip.string() +
                          "' -vf trim=start_frame=1:end_frame=25,setpts=PTS-STARTPTS -af atrim=0.04:1.04,asetpts=PTS-STARTPTS "
                          "-c:v ffv1 -c:a aac '" + short_clip.string() + "'";
  ASSERT_EQ(std::system(cut.c_str()), 0);
  make_set(dir.path() / "p" / "faces" / "a", 0);
  make_set(dir.path() / "p" / "faces" / "b", 1);
  ProjectSettings settings;
  settings.source = short_clip;
  settings.train.batch = 2;
  settings.train.save_every = 0;
  settings.player.mode = PlayMode::kEveryFrame;
  settings.player.label = false;
  settings.player.snapshot_every_steps = 3;
  settings.player.snapshot_every_s = 0.5;
  ASSERT_TRUE(Project::create(dir.path() / "p", settings));

  {
    auto opened = Workspace::open(dir.path() / "p");
    ASSERT_TRUE(opened) << opened.error().message;
    Workspace& ws = **opened;
    ASSERT_NE(ws.player(), nullptr) << [&] { std::string m; for (auto& s : ws.take_messages()) m += s + "; "; return m; }();
    Player& player = *ws.player();
    player.play();
    // No model yet: frames pass through.
    std::shared_ptr<const PlayerFrame> frame;
    ASSERT_TRUE(tick_until(ws, [&] { return (frame = player.take_frame()) != nullptr; }, 60s));
    EXPECT_FALSE(frame->swapped_faces);
    EXPECT_EQ(mean_abs_difference(frame->swapped, frame->original), 0.0);

    ASSERT_TRUE(ws.start_training());
    // The first snapshot: frames with faces come out swapped.
    ASSERT_TRUE(tick_until(ws, [&] {
      auto f = player.take_frame();
      if (f && f->swapped_faces) frame = std::move(f);
      return frame->swapped_faces;
    }, 120s)) << player.stats().error;
    EXPECT_GT(mean_abs_difference(frame->swapped, frame->original), 0.05);
    EXPECT_GE(frame->model_step, 0);

    // Paused on one frame, a newer snapshot changes it.
    player.pause();
    const std::int64_t target = frame->index;
    player.seek((static_cast<double>(target) + 0.5) / player.stats().source_fps);
    std::shared_ptr<const PlayerFrame> first;
    ASSERT_TRUE(tick_until(ws, [&] {
      auto f = player.take_frame();
      if (f && f->swapped_faces && f->index == target) first = std::move(f);
      return first != nullptr;
    }, 60s));
    std::shared_ptr<const PlayerFrame> later;
    ASSERT_TRUE(tick_until(ws, [&] {
      auto f = player.take_frame();
      if (f && f->swapped_faces && f->model_step > first->model_step) later = std::move(f);
      return later != nullptr;
    }, 120s)) << "no newer snapshot reached the player";
    EXPECT_EQ(later->index, first->index);
    EXPECT_GT(mean_abs_difference(later->swapped, first->swapped), 0.0) << "new weights, new face";

    // A settings change shows on the next frame: opacity 0 gives the frame back.
    CompositeOptions invisible = ws.composite();
    invisible.opacity = 0;
    ASSERT_TRUE(ws.set_composite(invisible));
    std::shared_ptr<const PlayerFrame> changed;
    ASSERT_TRUE(tick_until(ws, [&] { return (changed = player.take_frame()) != nullptr; }, 30s));
    EXPECT_EQ(mean_abs_difference(changed->swapped, changed->original), 0.0);
    CompositeOptions bad = invisible;
    bad.feather_px = -1;
    EXPECT_FALSE(ws.set_composite(bad));
    EXPECT_EQ(ws.composite().feather_px, invisible.feather_px);
    CompositeOptions visible = invisible;
    visible.opacity = 1;
    ASSERT_TRUE(ws.set_composite(visible));

    // Record while training goes on: every frame, audio, the synthetic tag.
    const fs::path take = dir.path() / "p" / "renders" / "take.mp4";
    ASSERT_TRUE(ws.start_recording(take)) ;
    EXPECT_FALSE(ws.start_recording(dir.path() / "other.mp4")) << "one recording at a time";
    ASSERT_TRUE(tick_until(ws, [&] { return !ws.recording().running; }, 180s));
    EXPECT_TRUE(ws.recording().succeeded) << ws.recording().result;
    EXPECT_EQ(probe(take, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames"), "24");
    EXPECT_EQ(probe(take, "-select_streams a:0 -show_entries stream=codec_name"), "aac");
    EXPECT_NE(probe(take, "-show_entries format_tags=comment").find("synthetic: made with Mirage"), std::string::npos);
    EXPECT_TRUE(ws.training().running) << "training went on while recording";

    // A cancelled recording leaves nothing under its name.
    const fs::path cancelled = dir.path() / "p" / "renders" / "cancelled.mp4";
    ASSERT_TRUE(ws.start_recording(cancelled));
    ws.cancel_recording();
    ASSERT_TRUE(tick_until(ws, [&] { return !ws.recording().running; }, 60s));
    EXPECT_FALSE(ws.recording().succeeded);
    EXPECT_FALSE(fs::exists(cancelled));
    ASSERT_TRUE(ws.finish_training());
    EXPECT_GT(ws.history().size(), 0u);
  }
  // Settings survive closing and reopening.
  auto reopened = Workspace::open(dir.path() / "p", {.open_player = false});
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->composite().opacity, 1.0);
  EXPECT_EQ((*reopened)->project().settings().player.mode, PlayMode::kEveryFrame);
}

TEST(WorkspaceE2e, MissingSourcesAndSetsAreMessagesNotCrashes) {
  TempDir dir;
  ProjectSettings settings;
  settings.source = dir.path() / "gone.mp4";
  ASSERT_TRUE(Project::create(dir.path() / "p", settings));
  auto ws = Workspace::open(dir.path() / "p");
  ASSERT_TRUE(ws) << ws.error().message;
  EXPECT_EQ((*ws)->player(), nullptr);
  const auto messages = (*ws)->take_messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages.back().find("gone.mp4"), std::string::npos);
  const Status training = (*ws)->start_training();
  ASSERT_FALSE(training);
  EXPECT_NE(training.error().message.find("face set A"), std::string::npos) << training.error().message;
  EXPECT_FALSE((*ws)->start_recording(dir.path() / "x.mp4"));
  EXPECT_FALSE(fs::exists(dir.path() / "x.mp4"));

  auto camera = Player::open({.source = "camera:7"});
  ASSERT_FALSE(camera);
  EXPECT_NE(camera.error().message.find("no camera 7"), std::string::npos) << camera.error().message;
}

TEST(WorkspaceE2e, StartingLearningRateIsTheProjectsOrItsPresets) {
  // What the studio's slider shows before a run: the preset's rate until the project sets one.
  TempDir dir;
  ProjectSettings settings;
  settings.train.preset = "lite-liae";
  ASSERT_TRUE(Project::create(dir.path() / "p", settings));
  auto ws = Workspace::open(dir.path() / "p");
  ASSERT_TRUE(ws) << ws.error().message;
  EXPECT_DOUBLE_EQ((*ws)->starting_learning_rate(), 1e-3);
  (*ws)->set_learning_rate(5e-4);
  EXPECT_DOUBLE_EQ((*ws)->starting_learning_rate(), 5e-4);

  settings.train.preset = "lite";
  ASSERT_TRUE(Project::create(dir.path() / "q", settings));
  auto lite = Workspace::open(dir.path() / "q");
  ASSERT_TRUE(lite) << lite.error().message;
  EXPECT_DOUBLE_EQ((*lite)->starting_learning_rate(), 3e-3);
}

}  // namespace
}  // namespace mirage::workspace
