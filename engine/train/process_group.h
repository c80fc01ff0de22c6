// A data-parallel group of training processes on LibTorch's own distributed engine (c10d): the
// rendezvous through a TCPStore, collectives through ProcessGroupGloo (CPU tensors; NCCL where
// this LibTorch was built with it and the device is CUDA), and a heartbeat that tells which rank
// was lost when a collective fails. Used by the trainer's step; nothing here is home-made
// networking.
//
//   auto group = ProcessGroup::connect(options);                   // waits for every rank
//   if (auto s = (*group)->check_same(fingerprint); !s) ...;       // presets, options, faces
//   auto state = (*group)->broadcast_bytes(rank0_checkpoint);      // everyone starts equal
//   auto work = (*group)->allreduce(bucket);                       // async, SUM
//   (*group)->wait(work, step);                                    // throws RankLost
//
// Failure: a peer that dies closes its connections, so a collective fails at once; a peer that
// hangs fails it after options.timeout_s. Either way wait() works out which ranks stopped
// beating (each rank adds to "alive/<rank>" in the store four times a second; the store lives
// with the master, so a store that cannot be reached means the master was lost) and throws
// RankLost with one line naming them. Thread-safety: collectives from one thread (the
// trainer's); the heartbeat has its own connection and thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/train/distributed.h"

namespace c10d {
class Work;
}

namespace mirage::train {

// A collective failed because a peer is gone (or never answered within the timeout).
struct RankLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ProcessGroup {
 public:
  // Rendezvous: rank 0 hosts the TCPStore on master_port (unless an agent hosts it) and waits for
  // every rank, the others connect; then the Gloo group connects all pairs. Errors (one line,
  // within options.timeout_s): kIo "cannot listen on port P: address already in use ...",
  // kIo "no master at HOST:PORT within T s ...", kIo "only J of W ranks joined within T s".
  // cuda: the gradients live on a GPU; with a LibTorch built with NCCL they are all-reduced by
  // ProcessGroupNCCL on the device (Gloo keeps the small exchanges), else through Gloo on the CPU.
  static Result<std::unique_ptr<ProcessGroup>> connect(const DistributedOptions& options, bool cuda = false);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const DistributedOptions& options() const { return options_; }

  // Every rank publishes `fingerprint` (a JSON object of what must be equal across ranks) and
  // compares all of them with rank 0's. kInvalidArgument, the same line on every rank:
  // "rank 1's preset is 'hd', rank 0's 'lite': every rank must train the same ...".
  Status check_same(const Json& fingerprint);

  // Every rank's outcome of a step that each does alone (building the model): ok when all
  // succeeded, else the first failing rank's error (others read "rank R could not start: ...").
  Status agree(const Status& mine);

  // Rank 0's `bytes` on every rank (others pass anything). Throws RankLost.
  std::string broadcast_bytes(const std::string& bytes);
  // True when CUDA tensors are all-reduced on the device (NCCL); else they must be copied to the CPU.
  bool reduces_on_cuda() const;
  // Starts a SUM all-reduce of `tensor` in place (contiguous; CPU unless reduces_on_cuda()).
  c10::intrusive_ptr<c10d::Work> allreduce(torch::Tensor& tensor);
  // Waits for `work`; throws RankLost naming the lost ranks (and `step`) when it failed.
  void wait(const c10::intrusive_ptr<c10d::Work>& work, std::int64_t step);
  // allreduce + wait.
  void allreduce_now(torch::Tensor& tensor, std::int64_t step);

  // Ranks whose heartbeat has stopped (measured over about a second); {0} when the store itself
  // cannot be reached.
  std::vector<int> lost_ranks();

 private:
  struct Impl;
  ProcessGroup(DistributedOptions options, std::unique_ptr<Impl> impl);
  [[noreturn]] void throw_lost(const std::string& what, std::int64_t step);

  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mirage::train
