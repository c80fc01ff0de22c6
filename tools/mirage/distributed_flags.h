// The data-parallel flags of `train` and `bench train`: --world-size, --rank, --master and
// --dist-timeout, merged with torchrun's environment by engine/train/distributed.h.
//
//   add_distributed_options(opts);
//   auto group = read_distributed_options(opts);   // errors name the flag
#pragma once

#include "engine/core/error.h"
#include "engine/train/distributed.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

void add_distributed_options(Options& opts);
Result<train::DistributedOptions> read_distributed_options(const Options& opts);

}  // namespace mirage::cli
