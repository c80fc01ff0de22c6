// The one API that Mirage Studio (editor/) and the command line drive: a project, its trainer
// on its own thread, the live player of its target video, and the recorder.
//
//   auto ws = workspace::Workspace::open("demo");        // one-line errors
//   ws->start_training();                                 // made in the background; resumes the newest checkpoint
//   ws->player()->play();                                 // the swap follows the newest weights
//   ws->set_composite(options);                           // on the next frame; project.json soon
//   ws->start_recording("demo/renders/take1.mp4");        // every frame, full quality, labelled
//   every UI frame: ws->tick(); for (auto& m : ws->take_messages()) status_bar(m);
//
// Threads: the trainer (and the thread that makes it: loading faces, building, resuming), the
// player, the recorder and its conversion stages run on threads of their own; no member but
// finish_training() and the destructor waits for a training step, a decode or an inference.
// Training takes every core for its OpenMP team, all but one while the player runs; the
// player's and the recorder's models run on one thread each (model::use_one_thread_here()), so
// there is one multi-threaded team per process.
// Members are for one thread (the UI's); Player's own members may be called from anywhere.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/image.h"
#include "engine/train/trainer.h"
#include "engine/workspace/face_jobs.h"
#include "engine/workspace/face_library.h"
#include "engine/workspace/thumbnails.h"
#include "engine/workspace/training_group.h"
#include "engine/workspace/player.h"
#include "engine/workspace/project.h"

namespace mirage::workspace {

struct TrainingPoint {
  std::int64_t step = 0;
  double loss = 0, loss_a = 0, loss_b = 0;
  double eval_psnr_a = 0;  // 0: not measured
  double elapsed_s = 0;
};

struct TrainingStatus {
  bool starting = false;   // the trainer is being made: faces loading, model building, resuming
  bool connecting = false; // ... and, in a group, waiting for the other ranks
  bool running = false;    // a trainer exists and its thread has not ended
  bool stopping = false;   // stop_training() was asked and the thread has not ended yet
  bool ended = false;      // the last run has ended, or failed to start (error says why)
  std::string error;       // how the last run failed (empty: it ended as asked, or runs)
  double steps_per_second = 0;
  train::TrainerStats stats;  // the newest the trainer published (step, losses, speed, ...)
};

// What a training run changes from the project's settings. The studio passes none; `mirage
// train` passes its flags.
struct TrainingRequest {
  std::filesystem::path faces_a, faces_b;  // other face sets (empty: the project's)
  int holdout = 0;               // every Nth face of A held out, for the held-out A->A PSNR (0: none)
  int synthetic_faces = 0;       // > 0: this many generated faces per identity instead of face sets
  int threads = -1;              // CPU threads (-1: every core, or all but one beside the player)
  // Applied last to the options the project's settings give (limits, schedule, loss weights ...).
  std::function<void(train::TrainerOptions&)> adjust;
};

struct RecorderStatus {
  bool running = false;
  bool live = false;       // recording what a live source shows, in real time, until stopped
  std::int64_t frames_done = 0;
  std::int64_t frames_expected = -1;
  std::filesystem::path output;
  std::string result;  // when finished: "wrote <path> (<n> frames)" or the error
  bool succeeded = false;
};

struct WorkspaceOptions {
  bool open_player = true;  // false: no player (CLI use, tests of training alone)
  // A folder that is no project yet (or does not exist) opens with default settings; its
  // project.json is written on the first change (`mirage train` on face sets named by flags).
  bool allow_new_folder = false;
  // The target video delivered as a camera would (PlayerOptions::pace_like_camera): the live
  // path (newest frame only, recording what is shown) where no camera exists: tests and demos.
  bool pace_source_like_camera = false;
  // Tests of the UI: the trainer's step after this many never returns until it is stopped
  // (train::TrainerOptions::debug_stall_step); -1: off.
  std::int64_t debug_stall_step = -1;
  std::string device = "auto";
  // The trainer as a rank (normally 0) of a data-parallel group whose other ranks run
  // `mirage train --world-size W --rank R --master HOST:PORT` elsewhere. The rendezvous runs in
  // the background: start_training() returns at once and tick() reports the outcome.
  workspace::DistributedOptions distributed;
};

class Recording;

// A project made from scratch: the video whose faces are replaced (A) and where B's faces come
// from (videos, images or folders of images).
struct NewProject {
  std::filesystem::path target;               // the video whose faces get replaced
  std::vector<std::filesystem::path> b_sources;
};

class Workspace {
 public:
  // Project::open()'s errors. A source video that cannot be played is not an error: the
  // workspace opens without a player and says why in take_messages().
  static Result<std::unique_ptr<Workspace>> open(const std::filesystem::path& folder,
                                                 const WorkspaceOptions& options = {});
  // Makes `folder` a project (kIo when it holds one already; a source that does not exist is
  // kNotFound before anything is made), opens it, and queues the extractions: the target's
  // faces into faces/a, every B source's into faces/b (face_jobs(): progress, cancel).
  static Result<std::unique_ptr<Workspace>> create(const std::filesystem::path& folder, const NewProject& sources,
                                                   const WorkspaceOptions& options = {});
  ~Workspace();  // stops recording (no partial clip), the player, and training (saving it)
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const Project& project() const { return project_; }
  Player* player() { return player_.get(); }

  // Training. start: checks at once what it can (a run going on, face sets that do not exist),
  // then makes the trainer on a thread of its own (loads the face sets, builds the model,
  // resumes the newest checkpoint of model/, joins a group) and starts it: training().starting
  // until then, and tick() says what came of it (the run's description, or the one-line error).
  Status start_training(const TrainingRequest& request = {});
  void pause_training();
  void resume_training();
  void save_training();
  void stop_training();      // saves and ends the run; training().stopping until it has
  Status finish_training();  // stop_training() and wait for the save; the run's error, if any
  void set_learning_rate(double value);
  // The rate a run of the project's settings starts from: train.learning_rate, or when that is 0
  // its preset's (what the studio's slider shows before a run reports one).
  double starting_learning_rate() const;
  void set_loss_weights(const model::LossWeights& weights);
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
  const ProjectSettings& project_settings() const { return settings_; }  // as set, saved or not

  // A file source: renders the target video (or [start_s, end_s)) with the current settings and
  // the newest weights, every frame at full quality, H.264 + the source's audio + the synthetic
  // tag, mark and watermark, on its own thread (render_clip(), as `mirage convert`).
  // A live source (a camera): records what the player shows, in real time, from now until
  // stop_recording() (or for end_s - start_s seconds when end_s > 0), labelled the same way.
  // kInvalidArgument while a recording runs or without a model, kIo when the output exists.
  Status start_recording(const std::filesystem::path& output, double start_s = 0, double end_s = -1);
  void stop_recording();    // live: ends the clip here and keeps it; a file: as cancel
  void cancel_recording();  // nothing is left under the output name
  RecorderStatus recording() const;

  // Face sets: the library the face browser edits, and the jobs that extract and sort. A job's
  // end is said by tick(); the sets it wrote are read again.
  FaceLibrary& faces() { return faces_; }
  FaceJobs& face_jobs() { return *face_jobs_; }
  // Queue an extraction into faces/<set> (more faces: appended) or a sort of it.
  void extract_faces(const std::filesystem::path& source, const std::string& set);
  void sort_faces(const std::string& set, FaceOrder order);
  // Pictures for the face browser (thumbnails of `side` px made on a thread of its own), and the
  // source frame of a face of a set the library has read, with its landmarks (when made:
  // face_pictures().take_source()).
  Thumbnails& face_pictures();
  void request_face_source(const std::string& set, const std::string& file, int width);
  // Which face sets (names under faces/) train as A and B: project.json soon. A running trainer
  // keeps the faces it loaded (tick() says so once); the player's A/B router follows on reopen.
  Status set_face_sets(const std::string& a, const std::string& b);

  // Call once per UI frame: samples the trainer, asks it for snapshots on the project's
  // cadence, saves changed settings, collects what finished. Never blocks.
  void tick();
  // Messages for the status bar and the log since the last call (errors and notices, one line each).
  std::vector<std::string> take_messages();

  struct Training;
  struct PendingTrainer;

 private:
  Workspace(Project project, WorkspaceOptions options);
  void say(std::string message);
  void adopt(std::unique_ptr<train::Trainer> trainer, const std::string& description);
  void tick_training();
  bool training_running() const;  // started and neither stopping nor ended

  Project project_;
  WorkspaceOptions options_;
  ProjectSettings settings_;  // what the user set; project_ holds what is saved
  bool settings_dirty_ = false;
  double last_saved_s_ = 0;
  std::unique_ptr<Player> player_;
  std::unique_ptr<Training> training_;
  std::unique_ptr<PendingTrainer> pending_;  // the trainer while it is made (and joins its group)
  bool stop_when_started_ = false;           // stop_training() came while it was being made
  std::optional<Error> start_failure_;       // why the last start_training() came to nothing
  std::unique_ptr<Recording> recorder_;
  bool recording_reported_ = false;
  std::deque<std::string> messages_;
  FaceLibrary faces_;
  std::unique_ptr<FaceJobs> face_jobs_;
  std::unique_ptr<Thumbnails> pictures_;
  std::string last_player_error_;
};

}  // namespace mirage::workspace
