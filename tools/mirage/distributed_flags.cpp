#include "tools/mirage/distributed_flags.h"

namespace mirage::cli {

void add_distributed_options(Options& opts) {
  opts.add("--world-size", "1", "processes training together (data parallel; torchrun sets it)");
  opts.add("--rank", "0", "this process's rank in [0, world size); rank 0 hosts the rendezvous and writes the files");
  opts.add("--master", "127.0.0.1:29500", "HOST:PORT of rank 0's rendezvous (IPv6: [HOST]:PORT)");
  opts.add("--dist-timeout", "60", "seconds to wait for the other ranks, at the start and in every step");
}

Result<train::DistributedOptions> read_distributed_options(const Options& opts) {
  train::DistributedRequest request;
  if (opts.has("--world-size")) {
    const auto world = opts.get_int("--world-size", 1, 1 << 16);
    if (!world) return std::unexpected(world.error());
    request.world_size = static_cast<int>(*world);
  }
  if (opts.has("--rank")) {
    const auto rank = opts.get_int("--rank", 0, 1 << 16);
    if (!rank) return std::unexpected(rank.error());
    request.rank = static_cast<int>(*rank);
  }
  if (opts.has("--master")) request.master = opts.get("--master");
  if (opts.has("--dist-timeout")) {
    const auto timeout = opts.get_double("--dist-timeout", 0.1, 86400);
    if (!timeout) return std::unexpected(timeout.error());
    request.timeout_s = *timeout;
  }
  return train::resolve_distributed(request);
}

}  // namespace mirage::cli
