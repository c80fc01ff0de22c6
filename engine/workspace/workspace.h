// The one API that Mirage Studio (editor/) and the command line drive: a project, its trainer
// on its own thread, the live player of its target video, and the recorder.
//
//   auto ws = workspace::Workspace::open("demo");        // one-line errors
//   ws->start_training();                                 // resumes the newest checkpoint
//   ws->player()->play();                                 // the swap follows the newest weights
//   ws->set_composite(options);                           // on the next frame; project.json soon
//   ws->start_recording("demo/renders/take1.mp4");        // every frame, full quality, labelled
//   every UI frame: ws->tick(); for (auto& m : ws->take_messages()) status_bar(m);
//
// Threads: the trainer, the player, the recorder and its conversion stages run on threads of
// their own; no member waits for a training step, a decode or an inference (stop_training() and
// the destructor wait for the trainer's last save). Training takes every core for its OpenMP
// team; the player's and the recorder's models run on one thread each
// (model::use_one_thread_here()), so there is one multi-threaded team per process.
// Members are for one thread (the UI's); Player's own members may be called from anywhere.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/workspace/training_group.h"
#include "engine/workspace/player.h"
#include "engine/workspace/project.h"

namespace mirage::train {
class Trainer;
struct TrainerStats;
struct PreviewImage;
}  // namespace mirage::train

namespace mirage::workspace {

struct TrainingPoint {
  std::int64_t step = 0;
  double loss = 0, loss_a = 0, loss_b = 0;
  double eval_psnr_a = 0;  // 0: not measured
  double elapsed_s = 0;
};

struct TrainingStatus {
  bool running = false;    // a trainer exists and its thread has not ended
  bool paused = false;
  std::int64_t step = 0;
  std::int64_t saved_step = -1;
  double loss = 0, loss_a = 0, loss_b = 0, eval_psnr_a = 0;
  double learning_rate = 0;
  double steps_per_second = 0;
  double samples_per_second = 0;
  double data_wait_share = 0;
  double elapsed_s = 0;
  bool gan = false, warp = true;
  std::string device;
  // Data parallel (WorkspaceOptions::distributed): waiting for the other ranks to join, the
  // group's size, every rank's steps/s and the share of a step spent in the all-reduce.
  bool connecting = false;
  int world_size = 1;
  std::vector<double> rank_steps_per_second;
  double reduce_wait_share = 0;
};

struct RecorderStatus {
  bool running = false;
  std::int64_t frames_done = 0;
  std::int64_t frames_expected = -1;
  std::filesystem::path output;
  std::string result;  // when finished: "wrote <path> (<n> frames)" or the error
  bool succeeded = false;
};

struct WorkspaceOptions {
  bool open_player = true;  // false: no player (CLI use, tests of training alone)
  std::string device = "auto";
  // The trainer as a rank (normally 0) of a data-parallel group whose other ranks run
  // `mirage train --world-size W --rank R --master HOST:PORT` elsewhere. The rendezvous runs in
  // the background: start_training() returns at once and tick() reports the outcome.
  workspace::DistributedOptions distributed;
};

class Workspace {
 public:
  // Project::open()'s errors. A source video that cannot be played is not an error: the
  // workspace opens without a player and says why in take_messages().
  static Result<std::unique_ptr<Workspace>> open(const std::filesystem::path& folder,
                                                 const WorkspaceOptions& options = {});
  ~Workspace();  // stops recording (no partial clip), the player, and training (saving it)
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const Project& project() const { return project_; }
  Player* player() { return player_.get(); }

  // Training. start: loads the face sets (FaceBank), makes the trainer (resuming the newest
  // checkpoint of model/) and starts it; errors are one line (missing sets, a damaged
  // checkpoint) and nothing starts. In a group the trainer is made in the background (the
  // rendezvous waits for every rank): training().connecting until then, and a failure to join
  // comes as a message from tick().
  Status start_training();
  void pause_training();
  void resume_training();
  void save_training();
  Status stop_training();  // saves and waits for the thread
  void set_learning_rate(double value);
  void set_gan(bool on);
  void set_warp(bool on);
  TrainingStatus training() const;
  std::vector<TrainingPoint> history() const;  // one point per new step seen by tick()
  // The newest preview grid since the last call, as RGBA8 (rows: A, A->A, A->B, mask, B, B->B,
  // B->A, mask), with the step it shows.
  struct Preview {
    Image rgba;
    std::int64_t step = 0;
  };
  std::optional<Preview> take_preview();

  // Compositing and playback settings: applied to the player now, written to project.json
  // by tick() at most once a second (atomically). kInvalidArgument leaves everything as it was.
  Status set_composite(const CompositeOptions& options);
  Status set_player_settings(const PlayerSettings& settings);
  const CompositeOptions& composite() const { return settings_.composite; }
  const PlayerSettings& player_settings() const { return settings_.player; }

  // Renders the target video (or [start_s, end_s)) with the current settings and the newest
  // weights, every frame at full quality, H.264 + the source's audio + the synthetic tag and
  // mark, on its own thread. kInvalidArgument while a recording runs or without a model.
  Status start_recording(const std::filesystem::path& output, double start_s = 0, double end_s = -1);
  void cancel_recording();
  RecorderStatus recording() const;

  // Call once per UI frame: samples the trainer, asks it for snapshots on the project's
  // cadence, saves changed settings, collects what finished. Never blocks.
  void tick();
  // Messages for the status bar and the log since the last call (errors and notices, one line each).
  std::vector<std::string> take_messages();

  struct Recorder;
  struct Training;
  struct PendingTrainer;

 private:
  Workspace(Project project, WorkspaceOptions options);
  void say(std::string message);
  void adopt(std::unique_ptr<train::Trainer> trainer, const std::string& description);

  Project project_;
  WorkspaceOptions options_;
  ProjectSettings settings_;  // what the user set; project_ holds what is saved
  bool settings_dirty_ = false;
  double last_saved_s_ = 0;
  std::unique_ptr<Player> player_;
  std::unique_ptr<Training> training_;
  std::unique_ptr<PendingTrainer> pending_;  // a group's trainer while it joins
  std::unique_ptr<Recorder> recorder_;
  std::deque<std::string> messages_;
  std::string last_player_error_;
};

}  // namespace mirage::workspace
