#include "engine/train/distributed.h"

#include <charconv>
#include <cstdlib>
#include <tuple>

namespace mirage::train {
namespace {

Result<int> parse_int(std::string_view text, std::string_view what, int low, int high) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < low || value > high) {
    return fail(ErrorCode::kInvalidArgument, "{}={}: expected an integer in [{}, {}]", what,
                std::string(text), low, high);
  }
  return value;
}

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

Status validate(const DistributedOptions& o) {
  if (o.world_size < 1) {
    return fail(ErrorCode::kInvalidArgument, "world size must be at least 1, got {}", o.world_size);
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return fail(ErrorCode::kInvalidArgument, "rank must be in [0, {}] for world size {}, got {}",
                o.world_size - 1, o.world_size, o.rank);
  }
  if (o.local_rank < 0) {
    return fail(ErrorCode::kInvalidArgument, "local rank must be at least 0, got {}", o.local_rank);
  }
  if (o.master_port < 1 || o.master_port > 65535) {
    return fail(ErrorCode::kInvalidArgument, "master port must be in [1, 65535], got {}", o.master_port);
  }
  if (o.master_host.empty()) return fail(ErrorCode::kInvalidArgument, "master host is empty");
  if (!(o.timeout_s > 0)) {
    return fail(ErrorCode::kInvalidArgument, "distributed timeout must be positive, got {}", o.timeout_s);
  }
  return ok();
}

Result<std::pair<std::string, int>> parse_master(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(ErrorCode::kInvalidArgument, "master '{}': expected [IPv6]:PORT", std::string(text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "master '{}': expected HOST:PORT", std::string(text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "master '{}': write an IPv6 host in brackets, [HOST]:PORT",
                  std::string(text));
    }
  }
  if (host.empty()) {
    return fail(ErrorCode::kInvalidArgument, "master '{}': the host is empty", std::string(text));
  }
  auto number = parse_int(port, "master port", 1, 65535);
  if (!number) return std::unexpected(number.error());
  return std::pair{std::string(host), *number};
}

Result<std::optional<DistributedOptions>> distributed_from_environment() {
  const char* world = env("WORLD_SIZE");
  if (world == nullptr) return std::optional<DistributedOptions>{};
  DistributedOptions o;
  auto world_size = parse_int(world, "WORLD_SIZE", 1, 1 << 20);
  if (!world_size) return std::unexpected(world_size.error());
  o.world_size = *world_size;
  const char* rank = env("RANK");
  if (rank == nullptr) return fail(ErrorCode::kInvalidArgument, "WORLD_SIZE is set but RANK is not");
  auto r = parse_int(rank, "RANK", 0, o.world_size - 1);
  if (!r) return std::unexpected(r.error());
  o.rank = *r;
  if (const char* local = env("LOCAL_RANK")) {
    auto l = parse_int(local, "LOCAL_RANK", 0, 1 << 20);
    if (!l) return std::unexpected(l.error());
    o.local_rank = *l;
  } else {
    o.local_rank = o.rank;
  }
  if (const char* host = env("MASTER_ADDR")) o.master_host = host;
  if (const char* port = env("MASTER_PORT")) {
    auto p = parse_int(port, "MASTER_PORT", 1, 65535);
    if (!p) return std::unexpected(p.error());
    o.master_port = *p;
  }
  if (const char* agent = env("TORCHELASTIC_USE_AGENT_STORE")) {
    o.agent_store = std::string_view(agent) == "True" || std::string_view(agent) == "1";
  }
  if (const char* run = env("TORCHELASTIC_RUN_ID")) o.run_id = run;
  if (const char* restart = env("TORCHELASTIC_RESTART_COUNT")) o.run_id += format("/restart{}", restart);
  if (auto s = validate(o); !s) return std::unexpected(s.error());
  return std::optional<DistributedOptions>{o};
}

Result<DistributedOptions> resolve_distributed(const DistributedRequest& flags) {
  auto env = distributed_from_environment();
  if (!env) return std::unexpected(env.error());
  DistributedOptions o;
  std::optional<std::pair<std::string, int>> master;
  if (flags.master) {
    auto parsed = parse_master(*flags.master);
    if (!parsed) return std::unexpected(parsed.error());
    master = *parsed;
  }
  if (*env) {
    o = **env;
    if (flags.world_size && *flags.world_size != o.world_size) {
      return fail(ErrorCode::kInvalidArgument, "--world-size {} contradicts torchrun's WORLD_SIZE={}",
                  *flags.world_size, o.world_size);
    }
    if (flags.rank && *flags.rank != o.rank) {
      return fail(ErrorCode::kInvalidArgument, "--rank {} contradicts torchrun's RANK={}", *flags.rank, o.rank);
    }
    if (master && (master->first != o.master_host || master->second != o.master_port)) {
      return fail(ErrorCode::kInvalidArgument, "--master {} contradicts torchrun's MASTER_ADDR:MASTER_PORT={}:{}",
                  *flags.master, o.master_host, o.master_port);
    }
  } else {
    o.world_size = flags.world_size.value_or(1);
    if (o.world_size > 1 && !flags.rank) {
      return fail(ErrorCode::kInvalidArgument, "--rank is required with --world-size {} (0 on the master)",
                  o.world_size);
    }
    if (o.world_size <= 1 && (flags.rank.value_or(0) != 0 || master)) {
      return fail(ErrorCode::kInvalidArgument, "{} needs --world-size above 1", master ? "--master" : "--rank");
    }
    o.rank = flags.rank.value_or(0);
    if (master) std::tie(o.master_host, o.master_port) = *master;
    // A group on one machine (a loopback master) takes one GPU per rank; across machines, one
    // process per machine on its first GPU (--device cuda:N picks another).
    const bool loopback = o.master_host == "localhost" || o.master_host == "::1" || o.master_host.starts_with("127.");
    o.local_rank = loopback ? o.rank : 0;
  }
  if (flags.timeout_s) o.timeout_s = *flags.timeout_s;
  if (auto s = validate(o); !s) return std::unexpected(s.error());
  return o;
}

std::string device_for_rank(const std::string& requested, const DistributedOptions& o,
                            bool cuda_available) {
  if (!o.active()) return requested;
  if (requested == "cuda" || (requested == "auto" && cuda_available)) {
    return format("cuda:{}", o.local_rank);
  }
  return requested;
}

Json to_json(const DistributedOptions& o) {
  return Json{{"world_size", o.world_size},   {"rank", o.rank},
              {"local_rank", o.local_rank},   {"master", format("{}:{}", o.master_host, o.master_port)},
              {"timeout_s", o.timeout_s},     {"agent_store", o.agent_store}};
}

}  // namespace mirage::train
