// The data-parallel group as the front ends see it (engine/train/distributed.h is the engine's):
// the studio's --world-size / --master flags become a DistributedOptions for WorkspaceOptions.
//
//   workspace::DistributedRequest flags{.world_size = 2, .rank = 0, .master = "10.0.0.5:29500"};
//   auto group = workspace::resolve_distributed(flags);   // one-line errors naming the flag
#pragma once

#include "engine/train/distributed.h"

namespace mirage::workspace {

using train::DistributedOptions;
using train::DistributedRequest;
using train::resolve_distributed;

}  // namespace mirage::workspace
