// Training data: faces in memory, their augmentation, and worker threads that build batches ahead
// of the trainer. Standard library and the model crop only (the face-set reader is engine/train/face_set_data.h).
//
//   auto a = std::make_shared<const FaceBank>(synthetic_faces(64, 256, 1));   // or load_face_bank()
//   PipelineOptions options;   // batch 16, resolution 64, kFaceCrop, 1 thread, 3 batches ahead
//   BatchPrefetcher data(a, b, options, /*first_index=*/0);
//   while (auto batch = data.next(stop)) train_on(*batch);   // batch->index counts 0, 1, 2, ...
//
// Batch k depends only on (seed, k, the faces, the options), never on thread timing, so a resumed
// run sees exactly the batches an uninterrupted run would have seen. Each face of a batch has its
// own random stream, seeded by (seed, k, identity, slot), so a data-parallel rank can build just
// its slots [first_slot, first_slot + batch) of the batch one process would draw.
#pragma once

#include <atomic>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <span>
#include <vector>

#include "engine/core/command_queue.h"
#include "engine/core/worker.h"
#include "engine/model/model_crop.h"

namespace mirage::train {

// One aligned face (engine/face layout: size x size, coverage 0.6) and its landmark masks.
struct TrainFace {
  int size = 0;
  std::vector<std::uint8_t> rgb;    // size*size*3, interleaved RGB
  std::vector<std::uint8_t> hull;   // size*size, 255 inside the landmark hull; empty: none
  std::vector<std::uint8_t> eyes;   // size*size; empty: none
  std::vector<std::uint8_t> mouth;  // size*size; empty: none
  // Head turn (engine/train/face_set_data.h's head_turn()): -1 .. 1, 0 frontal; a flip negates it.
  float yaw = 0.f;
};
using FaceBank = std::vector<TrainFace>;

// Seeded, generated faces (an ellipse head, eyes, mouth, shading; identity varies the palette and
// proportions) with exact masks: for tests and benchmarks without OpenCV or face sets.
FaceBank synthetic_faces(int count, int size, int identity, std::uint64_t seed = 1);

struct AugmentOptions {
  bool warp = true;              // random_warp on the input
  double warp_sigma = 5.0;       // control-point noise in 160ths of the crop side (the recipe's 5)
  double rotation_deg = 10.0;    // random affine: rotation U(-r, r)
  double scale = 0.05;           // scale U(1 - s, 1 + s)
  double shift = 0.05;           // shift U(-s, s) * aligned size
  double flip = 0.4;             // horizontal flip probability (without balance_pose)
  // Pose-balanced sampling (DeepFaceLab's uniform_yaw, with the mirror image as a pose of its
  // own): a face and, when flip > 0, its mirror image are the candidates; a batch slot picks one
  // of the kPoseBins head-turn bins that hold any (evenly), then a candidate in it. One decoder
  // draws the other person's poses at conversion, and a face set's turns are rarely spread
  // evenly: in the demo's sets Roxanne looks one way (yaw -0.08 .. 0.74) and Hal the other
  // (-0.47 .. -0.08), so B's decoder meets Roxanne's turns only as mirrored Hal, and most often at
  // Hal's commonest turn (docs/results/swap_quality.md).
  bool balance_pose = true;
  // Colour in CIE L*a*b* (D65), the same change for input and target: each channel, scaled to
  // [0, 1], moves a random share d ~ U(-c, c) of the way towards 1 (d > 0) or towards 0 (d < 0);
  // c = lightness for L*, colour for a* and b* (faceswap's defaults: 30 % and 8 %). 0: off.
  double lightness = 0.3;
  double colour = 0.08;
};

// The colour augmentation above on one image: rgb is N*3 floats in [0, 1], changed in place
// (out-of-gamut results are clipped). shift holds d for L*, a*, b*.
void shift_lab(std::span<float> rgb, const std::array<double, 3>& shift);

// One identity's part of a batch; NHWC float in [0, 1].
struct IdentityBatch {
  std::vector<float> warped;  // N*R*R*3: the augmented, warped input
  std::vector<float> target;  // N*R*R*3: the augmented, similarity-aligned target
  std::vector<float> hull;    // N*R*R: masks in target space
  std::vector<float> eyes;
  std::vector<float> mouth;
};

struct TrainBatch {
  std::int64_t index = 0;
  int count = 0;       // faces per identity
  int resolution = 0;
  IdentityBatch a, b;
};

// Fills one face of an IdentityBatch at position `slot` (buffers sized for the batch), mirrored
// when `flip`. resolution and crop: the model's (engine/model/model_crop.h).
void augment_face(const TrainFace& face, const AugmentOptions& options, bool flip, int resolution,
                  const model::ModelCrop& crop, std::mt19937_64& rng, IdentityBatch& out, int slot);

// Head-turn bins of pose-balanced sampling: kPoseBins equal bins over [-1, 1].
inline constexpr int kPoseBins = 10;

// Which face of a bank a batch slot takes, and whether mirrored (AugmentOptions: balance_pose,
// flip). Cheap to build (one pass over the bank).
class FaceSampler {
 public:
  FaceSampler(const FaceBank& bank, const AugmentOptions& options);
  struct Pick {
    std::size_t face = 0;
    bool flip = false;
  };
  Pick operator()(std::mt19937_64& rng) const;

 private:
  std::size_t faces_ = 0;
  double flip_ = 0;
  std::vector<std::vector<Pick>> bins_;  // the bins that hold a candidate (balance_pose)
};

// Slots [first_slot, first_slot + count) of batch `index`: random faces of each bank, augmented.
TrainBatch make_batch(const FaceBank& a, const FaceBank& b, const AugmentOptions& options,
                      int count, int resolution, const model::ModelCrop& crop, std::uint64_t seed,
                      std::int64_t index, int first_slot = 0);

// Unaugmented crops of faces [first, first + count) (for evaluation and previews): warped ==
// target == the model crop.
IdentityBatch plain_batch(const FaceBank& faces, int first, int count, int resolution,
                          const model::ModelCrop& crop);

struct PipelineOptions {
  int batch = 16;         // faces per identity
  int resolution = 64;
  model::ModelCrop crop = model::kFaceCrop;  // the model's
  AugmentOptions augment;
  std::uint64_t seed = 1;
  int threads = 1;        // worker threads
  int depth = 3;          // batches each worker keeps ready
  int first_slot = 0;     // data parallel: rank * batch
};

class BatchPrefetcher {
 public:
  // Both banks non-empty, all faces of one size (checked). Starts the workers.
  BatchPrefetcher(std::shared_ptr<const FaceBank> a, std::shared_ptr<const FaceBank> b,
                  PipelineOptions options, std::int64_t first_index);
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The next batch in index order; waits while it is not built yet. nullopt when stopped.
  std::optional<TrainBatch> next(std::stop_token stop = {});
  // Applies to batches built from now on (a few already queued keep the old setting).
  void set_warp(bool on) { warp_.store(on); }

 private:
  std::shared_ptr<const FaceBank> a_, b_;
  PipelineOptions options_;
  std::atomic<bool> warp_;
  std::int64_t next_index_;
  std::int64_t first_index_;
  std::vector<std::unique_ptr<CommandQueue<TrainBatch>>> queues_;
  std::vector<Worker> workers_;
};

}  // namespace mirage::train
