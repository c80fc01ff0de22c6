// The live player: source -> decode -> track -> infer on the newest weights -> composite -> a
// frame for display, on a thread of its own, so the UI never waits for any of it.
//
//   auto player = workspace::Player::open({.source = "data/Megamind.avi", .settings = ...});
//   player->set_model(make_swapper());                  // or set_snapshots(trainer) for live weights
//   player->play();
//   if (auto frame = player->take_frame()) show(frame->swapped);   // UI thread, every frame
//   player->set_composite(options);                      // shows on the next frame (paused too)
//
// Sources: a video played at its own rate, an image folder (at `folder_fps`), or a camera
// ("/dev/videoN" or "camera:N", OpenCV's V4L2 capture; an error where none exists).
// Modes: real time keeps the clock and drops the frames it cannot make in time (counted in
// stats().dropped, never hidden); every frame slows down instead. Until a model is set, frames
// pass through unswapped (swapped == false).
// Thread-safety: every member may be called from any thread; they never wait for a frame's work.
// Torch work on the player thread runs on that thread alone (model::use_one_thread_here()).
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
  double decode_ms = 0, track_ms = 0, infer_ms = 0, composite_ms = 0;  // per processed frame, recent
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
  bool pace_like_camera = false;  // tests: a file read in real time as a camera would deliver it
  // With SwapTo::kBoth each face becomes the other identity, told apart by a classifier
  // trained on these two face sets (swap::classifier_from_face_sets); unset: faces become B.
  std::filesystem::path faces_a;
  std::filesystem::path faces_b;
};

class Player {
 public:
  // Opens the source (its errors: kNotFound, kUnsupported, kIo; "camera:N" with no camera is
  // kNotFound "no camera ..."), loads the face detector and landmark model, starts paused.
  static Result<std::unique_ptr<Player>> open(const PlayerOptions& options);
  ~Player();
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;

  void play();
  void pause();
  void step();                       // one frame forward (pauses)
  void seek(double seconds);         // the frame at or after `seconds`, shown even when paused
  void set_loop(bool loop);
  void set_mode(PlayMode mode);
  void set_target(SwapTo to);
  void set_label(bool label);
  // Takes effect on the next frame; while paused, the current frame is composited again.
  // kInvalidArgument (validate()) leaves the settings as they were.
  Status set_composite(const CompositeOptions& options);
  // A fixed model (nullptr: none, frames pass through).
  void set_model(std::shared_ptr<swap::LiveSwapper> model);
  // Live weights: the player takes a newer snapshot before the next frame whenever the
  // source's version grows.
  void set_snapshots(SnapshotSource source);

  std::optional<PlayerFrame> take_frame();  // the newest frame since the last call
  std::shared_ptr<const PlayerFrame> latest_frame() const;
  PlayerStats stats() const;

  struct State;

 private:
  explicit Player(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::workspace
