// The live player: source -> decode -> track -> infer on the newest weights -> composite -> a
// frame for display, on threads of its own, so the UI never waits for any of it.
//
//   auto player = workspace::Player::open({.source = "data/Megamind.avi", .settings = ...});
//   player->set_model(make_swapper());                  // or set_snapshots(trainer) for live weights
//   player->play();
//   if (auto frame = player->take_frame()) show(frame->swapped);   // UI thread, every frame
//   player->set_composite(options);                      // shows on the next frame (paused too)
//
// Two stages, like a video player's demuxer and renderer: the reader ("player-read": decode,
// track, tell A from B) works up to kReadAhead frames ahead of the shower ("player": the model
// on the newest weights, composite with the current settings, publish at the frame's moment).
// What a frame looks like is decided when it is shown, so a setting or new weights show on the
// next frame while a slow detection frame is hidden by the frames read ahead.
// Sources: a video played at its own rate, an image folder (at `folder_fps`), or a camera
// ("/dev/videoN" or "camera:N", OpenCV's V4L2 capture; kNotFound where none exists). A live
// source (a camera, or a file with `pace_like_camera`) is shown as it arrives: the reader keeps
// only the newest frame, and one the shower had no time for is dropped (counted).
// Modes: real time keeps the clock: a frame that cannot be shown before the next one is due is
// skipped (stats().dropped, never hidden); every frame shows each frame, at the source's pace
// when it can and slower when it cannot. Playback starts its clock at the first frame that is
// ready, after play() or a seek. Until a model is set, frames pass through (swapped_faces false).
// Thread-safety: every member may be called from any thread; they never wait for a frame's work.
// Torch work on the shower thread runs on that thread alone (model::use_one_thread_here()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/core/composite_options.h"
#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/workspace/project.h"

namespace mirage::model {
struct WeightSnapshot;
}
namespace mirage::swap {
class LiveSwapper;
}

namespace mirage::workspace {

struct PlayerFrame {
  Image swapped;             // RGBA8: the composited frame (with the visible mark when on)
  Image original;            // RGBA8: the decoded frame
  std::int64_t index = 0;    // frame number in the source
  double timestamp_s = 0;
  int faces = 0;             // faces tracked in it
  bool swapped_faces = false;  // a model swapped them
  std::int64_t model_step = -1;  // the training step of the weights used (-1: none)
  bool labelled = false;         // `swapped` carries the visible "synthetic" mark
  Image mask;                    // RGBA8 with set_mask_overlay(true): `swapped` with the blend mask tinted over it
};

struct PlayerStats {
  std::int64_t shown = 0;      // frames published
  std::int64_t dropped = 0;    // real-time frames skipped to keep the clock
  double fps = 0;              // published frames per second, recent
  double position_s = 0;       // of the last published frame
  double duration_s = 0;       // of the source (0: unknown, a camera)
  double source_fps = 0;
  bool playing = false;
  bool at_end = false;         // stopped at the end (loop off)
  std::int64_t model_step = -1;
  std::uint64_t model_version = 0;  // snapshots taken so far
  std::int64_t read_ahead = 0;  // frames decoded and tracked, waiting to be shown
  double decode_ms = 0, track_ms = 0, infer_ms = 0, composite_ms = 0;  // per processed frame, recent
  bool live = false;           // a camera (or a file paced like one)
  std::string error;           // the last problem (a frame that failed, a model that did not load)
};

// Where live weights come from: the newest snapshot and a counter that grows with each one.
struct SnapshotSource {
  std::function<std::uint64_t()> version;
  std::function<std::shared_ptr<const model::WeightSnapshot>()> latest;
};

struct PlayerOptions {
  std::filesystem::path source;
  PlayerSettings settings;
  CompositeOptions composite;
  double folder_fps = 25;      // for image folders
  bool pace_like_camera = false;  // a video file delivered as a camera would (media::FrameSource::open_live)
  // With SwapTo::kBoth each face becomes the other identity, told apart by a classifier
  // trained on these two face sets (swap::classifier_from_face_sets); unset: faces become B.
  std::filesystem::path faces_a;
  std::filesystem::path faces_b;
};

// Frames the reader may be ahead of the shower (a file source; a live one keeps only the newest).
inline constexpr std::size_t kReadAhead = 12;

class Player {
 public:
  // Opens the source (media::FrameSource::open's errors: kNotFound, kUnsupported, kIo, kDevice;
  // "camera:N" with no camera is kNotFound "no camera ..."), loads the face detector and
  // landmark model, starts paused.
  static Result<std::unique_ptr<Player>> open(const PlayerOptions& options);
  ~Player();
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;

  void play();
  void pause();
  void step();                       // one frame forward (pauses)
  void seek(double seconds);         // the frame at or after `seconds`, shown even when paused (not live)
  void set_loop(bool loop);
  void set_mode(PlayMode mode);
  void set_target(SwapTo to);
  void set_label(bool label);
  // Each frame also as a mask overlay (PlayerFrame::mask): what the blend mask covers, tinted.
  // Costs about a frame-sized warp per face, so only while it is shown.
  void set_mask_overlay(bool on);
  // Takes effect on the next frame; while paused, the current frame is composited again.
  // kInvalidArgument (validate()) leaves the settings as they were.
  Status set_composite(const CompositeOptions& options);
  // A fixed model (nullptr: none, frames pass through).
  void set_model(std::shared_ptr<swap::LiveSwapper> model);
  // Live weights: the player takes a newer snapshot before the next frame whenever the
  // source's version grows.
  void set_snapshots(SnapshotSource source);

  std::shared_ptr<const PlayerFrame> take_frame();  // the newest frame since the last call (null: none)
  std::shared_ptr<const PlayerFrame> latest_frame() const;
  PlayerStats stats() const;
  // Every frame published from now on is also handed to `sink` (empty: none), on the shower's
  // thread: the sink must not wait (the live recorder queues it and drops what it cannot keep).
  using FrameSink = std::function<void(std::shared_ptr<const PlayerFrame>)>;
  void set_frame_sink(FrameSink sink);

  struct State;

 private:
  explicit Player(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::workspace
