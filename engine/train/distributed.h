// Where a training process stands in a data-parallel group: its rank, the group's size and the
// rendezvous (the master's TCPStore). Torch-free; engine/train/process_group.h does the talking.
//
//   DistributedOptions d;                         // world_size 1: training in one process
//   auto env = distributed_from_environment();    // torchrun's MASTER_ADDR, MASTER_PORT, ...
//   if (!env) { print(env.error().to_string()); return 1; }
//   if (*env) d = **env;
//   auto master = parse_master("10.0.0.5:29500"); // or --world-size 2 --rank 1 --master HOST:PORT
//
// Launching: torchrun sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK and LOCAL_RANK for every
// process it starts, hosts the store in its own agent (TORCHELASTIC_USE_AGENT_STORE=True: then
// every rank, rank 0 included, connects as a client) and names the run (TORCHELASTIC_RUN_ID,
// TORCHELASTIC_RESTART_COUNT), which prefixes every key so that a restarted group never reads
// an old one. Without torchrun, rank 0 hosts the store on --master's port.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/core/config.h"
#include "engine/core/error.h"

namespace mirage::train {

struct DistributedOptions {
  int world_size = 1;                  // processes in the group; 1: no group at all
  int rank = 0;                        // 0 .. world_size - 1; rank 0 writes every file
  int local_rank = 0;                  // index on this machine: picks cuda:<local_rank>
  std::string master_host = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 60;               // rendezvous, and any collective that waits for a peer
  bool agent_store = false;            // the store runs elsewhere (torchrun's agent)
  std::string run_id;                  // prefixes the store's keys

  bool active() const { return world_size > 1; }
};

// Errors: kInvalidArgument naming what is wrong (world size < 1, rank outside it, a bad port,
// a timeout <= 0).
Status validate(const DistributedOptions& options);

// "HOST:PORT" (an IPv6 host in brackets: "[::1]:29500"). Errors: kInvalidArgument.
Result<std::pair<std::string, int>> parse_master(std::string_view host_port);

// torchrun's variables, or nullopt when WORLD_SIZE is not set. Errors: kInvalidArgument naming
// the variable ("RANK=x: expected an integer").
Result<std::optional<DistributedOptions>> distributed_from_environment();

// What a front end's flags ask for (--world-size, --rank, --master, --dist-timeout); unset: not
// given.
struct DistributedRequest {
  std::optional<int> world_size;
  std::optional<int> rank;
  std::optional<std::string> master;  // HOST:PORT
  std::optional<double> timeout_s;
};

// The flags merged with torchrun's environment (distributed_from_environment()): under torchrun
// a flag may repeat what the environment says but not contradict it; without it, a group needs
// --world-size > 1 and --rank, and --master defaults to 127.0.0.1:29500. Errors:
// kInvalidArgument, one line naming the flag ("--rank 1 contradicts torchrun's RANK=0",
// "--rank is required with --world-size 2", "--master needs --world-size above 1").
Result<DistributedOptions> resolve_distributed(const DistributedRequest& flags);

// The device one rank trains on: a "cuda" or "auto" request becomes "cuda:<local_rank>" when
// the group has more than one process on CUDA (one GPU per local rank); anything else is kept.
std::string device_for_rank(const std::string& requested, const DistributedOptions& options,
                            bool cuda_available);

Json to_json(const DistributedOptions& options);

}  // namespace mirage::train
