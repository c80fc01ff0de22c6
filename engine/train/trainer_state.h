// Private to engine/train: the trainer's state, shared by the units that implement it:
//   trainer.cpp             create(), the thread, its loop and the commands
//   trainer_step.cpp        one optimizer step, and the data-parallel exchange between steps
//   trainer_checkpoint.cpp  building the model; encoding, restoring, saving and rolling back
//   trainer_publish.cpp     stats, the log, previews, snapshots, held-out evaluation
// Everything here runs on the trainer thread unless it says otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/command_queue.h"
#include "engine/core/mailbox.h"
#include "engine/core/worker.h"
#include "engine/model/faceswap_model.h"
#include "engine/model/fused_adam.h"
#include "engine/model/losses.h"
#include "engine/model/weight_snapshot.h"
#include "engine/train/gradient_reducer.h"
#include "engine/train/process_group.h"
#include "engine/train/trainer.h"

namespace mirage::model {
struct Checkpoint;
}

namespace mirage::train {
namespace detail {

using Clock = std::chrono::steady_clock;

// NHWC floats (as the data pipeline builds them) as an NCHW tensor on `device`.
torch::Tensor nhwc(std::vector<float>& values, std::int64_t n, std::int64_t r, std::int64_t c,
                   const torch::Device& device, bool channels_last);
bool all_finite(const std::vector<torch::Tensor>& tensors);
// Makes model/train_log.jsonl describe the run a resume continues: drops a last line that a kill
// cut short and the lines of steps after `resumed_step` (their weights were never saved).
// Rewrites the file atomically, only when something changes. Errors: kIo.
Status repair_train_log(const std::filesystem::path& path, std::int64_t resumed_step);

}  // namespace detail

// What rank 0 decides for every rank before a step (engine/train/trainer_step.cpp).
struct GroupControl {
  bool stop = false;
  bool pause = false;
  bool save = false;  // a Save command reached some rank: every rank saves at this step
  double learning_rate = 0;
  bool gan = false;
  bool warp = true;
  model::LossWeights weights;
};

struct Trainer::State {
  TrainerOptions options;
  model::ModelPreset preset;
  torch::Device device{torch::kCPU};
  // The step computes in this type; below fp32 the optimizer keeps fp32 master weights in `model`
  // and writes a copy in this type to `compute` after each step.
  torch::ScalarType compute_dtype = torch::kFloat;
  std::string precision;
  // fp16 only: the loss is multiplied by this before backward so that small gradients survive;
  // halved when gradients overflow (that step is skipped), doubled after kLossScaleGrowth good
  // steps. 1 otherwise.
  double loss_scale = 1;
  std::int64_t good_scaled_steps = 0;
  std::shared_ptr<const FaceBank> a, b, eval_a;

  model::FaceSwapModel model{nullptr};    // fp32: what is saved, previewed and snapshotted
  model::FaceSwapModel compute{nullptr};  // what the step runs; `model` itself in fp32
  std::vector<model::Discriminator> discriminators;
  std::unique_ptr<model::FusedAdam> optimizer;
  std::unique_ptr<model::FusedAdam> d_optimizer;
  std::vector<torch::Tensor> d_parameters;

  // Data parallel (null in one process): the group, and the reducers of the generator's and the
  // discriminators' gradients. Rank 0 alone writes files and publishes previews and snapshots.
  std::unique_ptr<ProcessGroup> group;
  std::unique_ptr<GradientReducer> reducer, d_reducer;
  std::optional<GroupControl> control;  // this step's, from rank 0 (set by exchange_control)
  bool group_paused = false;
  bool save_requested = false;  // a Save command, for the next exchange

  // Trainer-thread state.
  std::int64_t step = 0;
  std::int64_t batches = 0;  // batch index of the next batch
  double base_lr = 0;
  model::LossWeights weights;
  bool gan = false;
  bool paused = false;
  bool stopping = false;
  bool save_on_stop = true;
  std::string last_good;  // encoded checkpoint of the last good state
  TrainerStats current;
  double ema_step_s = 0, ema_wait_s = 0, ema_reduce_s = 0;
  detail::Clock::time_point started;
  double paused_s = 0;
  std::int64_t last_poisoned = -1;
  std::int64_t run_steps = 0;
  bool poisoned_weights = false;
  int rollbacks_since_save = 0;
  std::unique_ptr<BatchPrefetcher> data;
  std::unique_ptr<std::ofstream> log_file;

  CommandQueue<TrainerCommand> commands{256};
  std::atomic<bool> stop_sent{false};  // a Stop was sent (any thread): ends debug_stall_step
  Mailbox<TrainerStats> stats;
  Mailbox<std::shared_ptr<const PreviewImage>> previews;
  Mailbox<std::shared_ptr<const model::WeightSnapshot>> snapshots;
  std::optional<Error> failure;  // written by the trainer thread before it ends
  Worker worker;
  bool started_thread = false;

  bool writes_files() const { return group == nullptr || group->rank() == 0; }
  std::vector<torch::Tensor> generator_parameters() { return model->parameters(); }

  double elapsed_s() const;
  double progress() const;      // share of the run done, from --steps and --minutes (0: neither)
  double scheduled_lr() const;
  bool limit_reached() const;

  // trainer_checkpoint.cpp
  Status build();                // the model, optimizers, the newest checkpoint (rank 0)
  Status join_group();           // data parallel: rendezvous, checks, rank 0's state everywhere
  Json fingerprint() const;      // what every rank must share
  std::string encode_state();
  Status restore(const model::Checkpoint& checkpoint);  // kCorrupt
  Status save();                 // every rank keeps last_good; rank 0 commits the file
  void rollback();

  // trainer_step.cpp
  bool train_step(TrainBatch& batch);  // false when the NaN guard dropped it
  void exchange_control();             // data parallel: one small all-reduce before each step

  // trainer_publish.cpp
  void publish_snapshot();
  void publish_preview();
  double evaluate();
  void write_log();
  void publish_stats();

  // trainer.cpp
  void apply(TrainerCommand& command);
  void run(std::stop_token stop);
  void loop(std::stop_token stop);
  void after_step(bool stepped);
  void finish_run(bool save_now);
};

}  // namespace mirage::train
