// The trainer: the face-swap model trained on its own thread, driven by commands, observed through
// stats, previews and weight snapshots. Torch-free header.
//
//   TrainerOptions options;                          // preset, batch, device, where to save ...
//   options.model_dir = project / "model";
//   auto trainer = Trainer::create(options, faces_a, faces_b);   // resumes the newest checkpoint
//   if (!trainer) { print(trainer.error().to_string()); return 1; }
//   (*trainer)->start();
//   (*trainer)->send(SetLearningRate{1e-4});         // any thread; applied between steps
//   TrainerStats s = (*trainer)->stats();            // any thread, never waits for a step
//   (*trainer)->send(Stop{});                        // saves, then the thread ends
//   Status result = (*trainer)->wait();
//
// One step: the next prefetched batch -> both identities through the encoder as one batch -> each
// decoder on its half -> losses (in fp32) -> backward -> reduce_gradients() (the data-parallel
// all-reduce point; a no-op in one process) -> NaN/Inf guard on the loss and the gradient norm ->
// one fused pass of gradient clipping + Adam (engine/model/fused_adam.h). With the GAN on, each
// identity's discriminator then takes one mixup-LSGAN step on the detached outputs.
// Precision: in bf16 (the default where the CPU or GPU has it) or fp16 (CUDA, with dynamic loss
// scaling) the step runs on a reduced-precision copy of the model, and the optimizer updates fp32
// master weights and rewrites the copy in the same pass; what is saved, previewed, evaluated and
// snapshotted is always the fp32 model.
// NaN guard: a step with a non-finite loss or gradient is dropped before the optimizer sees it
// (counted in stats().rejected_steps). Weights that are found non-finite (checked before every
// save and snapshot, and after a dropped step) are rolled back to the last good checkpoint (kept
// in memory too), and a non-finite state is never saved.
// Checkpoints (engine/model/checkpoint.h) hold model, optimizers, step, options, the seed and
// Torch's RNG state; batches are a function of (seed, step), so a resumed run continues exactly.
// Data parallel (options.distributed, engine/train/process_group.h): the ranks meet through
// c10d's TCPStore, refuse to start unless their options and face sets agree, and start from rank
// 0's state (its newest checkpoint, broadcast). Before each step one small all-reduce carries
// rank 0's decisions (stop, pause, the learning rate, loss weights, GAN, warp) to every rank and
// every rank's speed back; rank r takes faces [r*batch, (r+1)*batch) of each identity of the
// batch of world_size*batch faces one process would draw; its gradients are averaged in
// buckets during backward (engine/train/gradient_reducer.h), so the guard and the optimizer see
// the same numbers everywhere. Rank 0 alone writes checkpoints, the log, previews and
// snapshots. A lost rank stops the others with stats' failure naming it; rank 0 then saves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/model/loss_weights.h"
#include "engine/train/data_pipeline.h"
#include "engine/train/distributed.h"

namespace mirage::model {
struct WeightSnapshot;
}

namespace mirage::train {

struct TrainerOptions {
  std::string preset = "lite";       // lite | original | hd (tiny: tests)
  std::filesystem::path model_dir;   // checkpoints, train_log.jsonl; empty: nothing is written
  int batch = 16;                    // faces per identity per step
  std::string device = "auto";       // auto | cpu | cuda | cuda:N
  std::string precision = "auto";    // auto (bf16 where the hardware has it) | fp32 | bf16 | fp16
  bool channels_last = false;        // NHWC weights and batches (measured slower for lite on CPU)
  double learning_rate = -1;         // < 0: the preset's (ModelPreset::learning_rate); 0 holds still
  double beta1 = 0.9;
  double beta2 = 0.999;
  std::string schedule = "cosine";   // cosine (warm-up, then down to 10 % at the run's end) | constant
  double decay_from = 0.0;           // cosine: the base rate held until this share of the run, then the decay
  int warmup_steps = 200;
  double clip_norm = 1.0;            // gradient clipping; 0: off
  model::LossWeights weights;
  bool gan = false;
  double discriminator_learning_rate = 2e-4;
  AugmentOptions augment;
  double warp_until = 0.75;          // warp off once this share of the run (--steps/--minutes) is done
  std::int64_t max_steps = 0;        // stop after this step (0: no limit)
  double max_minutes = 0;            // stop after this much training time (0: no limit)
  int save_every = 1000;             // steps between checkpoints (0: only at the end)
  int keep = 3;                      // checkpoints kept in model_dir
  int log_every = 50;                // steps between train_log.jsonl lines
  int preview_every = 0;             // steps between previews (0: only on request)
  int snapshot_every = 0;            // steps between weight snapshots (0: only on request)
  int eval_every = 0;                // steps between held-out PSNR measurements (needs eval faces)
  std::uint64_t seed = 1;
  int data_threads = 1;
  int prefetch = 3;
  std::int64_t debug_poison_step = -1;  // tests: the loss of this step becomes NaN
  bool debug_poison_weights = false;    // tests: ... and a weight becomes NaN as well
  // Tests of the UI: the step after this many steps of the run never returns, until Stop is
  // sent or the trainer is destroyed (a stand-in for a step that hangs; nothing is trained).
  std::int64_t debug_stall_step = -1;
  int timing_skip = 0;               // steps of this run left out of stats().timed_* (warm-up)
  // Data parallel (world_size > 1): every rank trains on its own shard of each batch of
  // world_size x batch faces per identity and all-reduces the gradients; see "Data parallel"
  // above. A group refuses ranks whose options (other than device, threads and the group's own)
  // or face sets differ.
  DistributedOptions distributed;
};

Json to_json(const TrainerOptions& options);

// Commands, applied between steps in the order sent.
struct Pause {};
struct Resume {};
struct Stop { bool save = true; };
struct Save {};
struct SetLearningRate { double value = 0; };  // replaces the base rate of the schedule
struct SetLossWeights { model::LossWeights weights; };
struct SetGan { bool on = false; };
struct SetWarp { bool on = true; };
struct RequestPreview {};
struct RequestSnapshot {};
using TrainerCommand = std::variant<Pause, Resume, Stop, Save, SetLearningRate, SetLossWeights,
                                    SetGan, SetWarp, RequestPreview, RequestSnapshot>;

struct TrainerStats {
  std::int64_t step = 0;             // optimizer steps done (including resumed ones)
  std::int64_t rejected_steps = 0;   // dropped by the NaN guard in this run
  std::int64_t rollbacks = 0;        // weights restored from the last good state
  double loss = 0;                   // total of the last step (both identities)
  double loss_a = 0, loss_b = 0;     // reconstruction totals per identity
  double l1 = 0, ssim = 0, mask = 0, edge = 0;  // unweighted terms, mean of A and B
  double adversarial = 0, discriminator = 0;    // 0 while the GAN is off
  double learning_rate = 0;
  double samples_per_second = 0;     // faces (both identities) per second, recent average
  double step_ms = 0;                // recent average
  double data_wait_share = 0;        // share of step time spent waiting for data, recent average
  double eval_psnr_a = 0;            // last held-out A->A PSNR in dB (0: not measured)
  double elapsed_s = 0;              // training time of this run
  std::int64_t saved_step = -1;      // step of the last checkpoint written (-1: none yet)
  bool paused = false;
  bool gan = false;
  bool warp = true;
  std::int64_t timed_steps = 0;      // steps of this run after options.timing_skip ...
  double timed_s = 0;                //   ... their total time (data wait included)
  double timed_wait_s = 0;           //   ... and the part spent waiting for data
  double train_flops_per_step = 0;   // model FLOPs of one step (3x forward of 2*batch faces)
  bool finished = false;             // the thread has ended
  std::string precision;             // what the step runs in, e.g. "bf16, fp32 master weights"
  std::string device;
  int world_size = 1;                // processes training together (1: this one alone)
  int rank = 0;
  std::vector<double> rank_steps_per_second;  // every rank's recent speed (data parallel only)
  double reduce_wait_share = 0;      // share of step time waiting for the gradient all-reduce
  double gradient_megabytes = 0;     // gradients all-reduced per step (fp32)
};

// A preview grid: one row per face; columns A, A->A, A->B, mask(A->A), B, B->B, B->A, mask(B->B).
struct PreviewImage {
  std::int64_t step = 0;
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // width*height*3
};
// A PNG file of the image (uncompressed deflate; no library needed).
std::string encode_png(const PreviewImage& image);

class Trainer {
 public:
  // Validates the options and faces (kInvalidArgument: a bad option, empty or tiny face sets
  // (fewer than kMinFaces), faces of different sizes), selects the device (select_device()'s
  // errors), builds the model, and resumes from the newest checkpoint in model_dir when there is
  // one (kCorrupt for a damaged or foreign one, kInvalidArgument for another preset's).
  // eval_a: optional held-out A faces for stats().eval_psnr_a.
  static Result<std::unique_ptr<Trainer>> create(const TrainerOptions& options,
                                                 std::shared_ptr<const FaceBank> faces_a,
                                                 std::shared_ptr<const FaceBank> faces_b,
                                                 std::shared_ptr<const FaceBank> eval_a = nullptr);
  ~Trainer();  // stops without saving if still running
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void start();                     // starts the training thread (once)
  bool send(TrainerCommand command);  // false once the trainer has finished
  TrainerStats stats() const;       // the latest published stats; never blocks on a step
  std::optional<PreviewImage> take_preview();  // a new preview since the last call, if any
  std::shared_ptr<const model::WeightSnapshot> latest_snapshot() const;
  std::uint64_t snapshot_version() const;  // counts published snapshots
  // Waits for the thread to end (after Stop, a limit, or a failure). The run's failure, if any:
  // kIo for a save that failed (the previous checkpoint stays intact), kDevice, kInternal.
  Status wait();
  // Test hook: the L2 norm of all weights (reads them on the caller's thread; use only while the
  // trainer is paused, not started, or finished).
  double weight_norm() const;

  static constexpr int kMinFaces = 4;
  struct State;

 private:
  explicit Trainer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::train
