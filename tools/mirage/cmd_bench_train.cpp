// `mirage bench train`: the speed of the train step. With --world-size W (and no --rank) it also
// measures data parallelism: one process with the whole batch against W processes of this
// binary on this machine, each with its share of the batch and of the threads, joined through
// c10d on a free localhost port; it prints both, their ratio and what the all-reduce cost.
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/file_io.h"
#include "engine/model/runtime.h"
#include "engine/train/trainer.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/distributed_flags.h"
#include "tools/mirage/options.h"
#include "tools/mirage/trainer_flags.h"

extern char** environ;

namespace mirage::cli {
namespace {

// One measured run (this process, or one rank of a group).
struct Measured {
  double ms_per_step = 0;
  double samples_per_second = 0;  // faces of the whole group per second
  double gflops = 0;
  double data_wait_share = 0;
  double reduce_wait_share = 0;
  double gradient_megabytes = 0;
  double loss = 0;
  int world_size = 1;
  int threads = 0;
  std::string device, precision;
};

nlohmann::json to_json(const Measured& m, const train::TrainerOptions& t, std::int64_t steps) {
  return {{"benchmark", "train"},   {"preset", t.preset},
          {"batch", t.batch},       {"device", m.device},
          {"precision", m.precision}, {"threads", m.threads},
          {"world_size", m.world_size}, {"steps", steps},
          {"ms_per_step", m.ms_per_step}, {"samples_per_second", m.samples_per_second},
          {"gflops", m.gflops},     {"gflop_per_step", m.gflops * m.ms_per_step / 1000.0},
          {"data_wait_share", m.data_wait_share},
          {"reduce_wait_share", m.reduce_wait_share}, {"gradient_megabytes", m.gradient_megabytes},
          {"loss", m.loss}};
}

Measured from_json(const nlohmann::json& j) {
  Measured m;
  m.ms_per_step = j.at("ms_per_step").get<double>();
  m.samples_per_second = j.at("samples_per_second").get<double>();
  m.gflops = j.at("gflops").get<double>();
  m.data_wait_share = j.at("data_wait_share").get<double>();
  m.reduce_wait_share = j.at("reduce_wait_share").get<double>();
  m.gradient_megabytes = j.at("gradient_megabytes").get<double>();
  m.loss = j.at("loss").get<double>();
  m.world_size = j.at("world_size").get<int>();
  m.threads = j.at("threads").get<int>();
  m.device = j.at("device").get<std::string>();
  m.precision = j.at("precision").get<std::string>();
  return m;
}

// A port nobody listens on now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 29500;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

Result<Measured> measure(const train::TrainerOptions& t, std::int64_t faces) {
  const int size = t.preset == "hd" ? 512 : 256;
  auto a = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(faces), size, 0));
  auto b = std::make_shared<const train::FaceBank>(train::synthetic_faces(static_cast<int>(faces), size, 1));
  auto trainer = train::Trainer::create(t, a, b);
  if (!trainer) return std::unexpected(trainer.error());
  (*trainer)->start();
  if (auto result = (*trainer)->wait(); !result) return std::unexpected(result.error());
  const train::TrainerStats s = (*trainer)->stats();
  Measured m;
  m.ms_per_step = 1000.0 * s.timed_s / static_cast<double>(std::max<std::int64_t>(1, s.timed_steps));
  m.world_size = s.world_size;
  m.samples_per_second = 2.0 * t.batch * s.world_size * 1000.0 / m.ms_per_step;
  m.gflops = s.train_flops_per_step / (m.ms_per_step / 1000.0) / 1e9;
  m.data_wait_share = s.timed_s > 0 ? s.timed_wait_s / s.timed_s : 0;
  m.reduce_wait_share = s.reduce_wait_share;
  m.gradient_megabytes = s.gradient_megabytes;
  m.loss = s.loss;
  m.threads = model::runtime_info().intra_threads;
  m.device = s.device;
  m.precision = s.precision;
  return m;
}

// Runs this binary with `args` (stdout into `out`), returning its pid.
Result<pid_t> spawn_self(const std::vector<std::string>& args, const std::filesystem::path& out) {
  std::vector<std::string> full{"/proc/self/exe"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(ErrorCode::kIo, "cannot start a benchmark process: {}", std::strerror(rc));
  return pid;
}

// Runs `ranks` copies of this binary at once; their JSON results in rank order.
Result<std::vector<Measured>> run_processes(const std::vector<std::vector<std::string>>& ranks,
                                            const std::filesystem::path& dir) {
  std::vector<pid_t> pids;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    auto pid = spawn_self(ranks[r], dir / format("rank{}.json", r));
    if (!pid) {
      for (const pid_t p : pids) ::kill(p, SIGKILL), ::waitpid(p, nullptr, 0);
      return std::unexpected(pid.error());
    }
    pids.push_back(*pid);
  }
  std::optional<Error> failure;
  for (std::size_t r = 0; r < pids.size(); ++r) {
    int status = 0;
    ::waitpid(pids[r], &status, 0);
    if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && !failure) {
      failure = Error{ErrorCode::kInternal, format("benchmark process {} of {} failed (its error is above)", r, pids.size())};
    }
  }
  if (failure) return std::unexpected(*failure);
  std::vector<Measured> results;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    auto text = read_file(dir / format("rank{}.json", r));
    if (!text) return std::unexpected(text.error());
    try {
      results.push_back(from_json(nlohmann::json::parse(*text)));
    } catch (const std::exception& e) {
      return fail(ErrorCode::kInternal, "benchmark process {} printed no result ({})", r, e.what());
    }
  }
  return results;
}

void print_text(const Measured& m, const train::TrainerOptions& t, std::int64_t steps, std::int64_t warmup) {
  std::printf("mirage bench train: %s, batch %d per identity (%d faces/step), %s on %s, %d threads\n",
              t.preset.c_str(), t.batch, 2 * t.batch, m.precision.c_str(), m.device.c_str(), m.threads);
  std::printf("  step: %.1f ms (mean of %lld after %lld warm-up)\n", m.ms_per_step,
              static_cast<long long>(steps), static_cast<long long>(warmup));
  std::printf("  throughput: %.1f samples/s, %.1f GFLOP/s\n", m.samples_per_second, m.gflops);
  std::printf("  data wait: %.1f %% of step time\n", 100 * m.data_wait_share);
}

// One process with the whole batch, then `world` ranks with a share each, as child processes.
int compare_world(const Options& options, const train::TrainerOptions& t, int world, int threads,
                  std::int64_t steps, std::int64_t warmup) {
  const std::string& command = options.command();
  if (t.batch % world != 0) {
    return command_error(command, Error{ErrorCode::kInvalidArgument,
                                        format("--batch {} does not split over {} ranks", t.batch, world)});
  }
  const int rank_threads = std::max(1, threads / world);
  std::error_code ec;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / format("mirage-bench-train-{}", ::getpid());
  std::filesystem::create_directories(dir, ec);
  const std::vector<std::string> common = options.given_arguments(
      {"--world-size", "--rank", "--master", "--batch", "--threads", "--json", "--dist-timeout"});
  const auto child = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"bench", "train", "--json"};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto single = run_processes({child({"--batch", std::to_string(t.batch), "--threads", std::to_string(threads)})}, dir);
  if (!single) {
    std::filesystem::remove_all(dir, ec);
    return command_error(command, single.error());
  }
  const std::string master = format("127.0.0.1:{}", free_port());
  std::vector<std::vector<std::string>> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.push_back(child({"--batch", std::to_string(t.batch / world), "--threads", std::to_string(rank_threads),
                           "--world-size", std::to_string(world), "--rank", std::to_string(r), "--master",
                           master, "--dist-timeout", "60"}));
  }
  auto group = run_processes(ranks, dir);
  std::filesystem::remove_all(dir, ec);
  if (!group) return command_error(command, group.error());
  const Measured& one = single->front();
  const Measured& rank0 = group->front();
  const double speedup = rank0.samples_per_second / one.samples_per_second;
  if (options.has("--json")) {
    nlohmann::json out = to_json(one, t, steps);
    out["benchmark"] = "train_world";
    nlohmann::json g = to_json(rank0, t, steps);
    g["batch"] = t.batch / world;
    out["group"] = g;
    out["speedup"] = speedup;
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("mirage bench train --world-size %d: %s, %d faces per identity per step in all, %s on %s\n", world,
              t.preset.c_str(), t.batch, one.precision.c_str(), one.device.c_str());
  std::printf("  (%lld timed steps after %lld warm-up in each run)\n", static_cast<long long>(steps), static_cast<long long>(warmup));
  std::printf("  1 process,  batch %3d, %2d threads: %7.1f ms/step  %7.1f faces/s\n", t.batch, one.threads,
              one.ms_per_step, one.samples_per_second);
  std::printf("  %d processes, batch %3d, %2d threads each: %7.1f ms/step  %7.1f faces/s  (x%.2f)\n", world,
              t.batch / world, rank0.threads, rank0.ms_per_step, rank0.samples_per_second, speedup);
  std::printf("  all-reduce: %.1f MB of gradients per step, %.1f %% of the step waiting for it\n",
              rank0.gradient_megabytes, 100 * rank0.reduce_wait_share);
  if (rank_threads * world <= static_cast<int>(cores)) {
    std::printf("  (all ranks share this machine's %u cores: the ratio measures the cost of the group, "
                "not the speed-up of W machines)\n", cores);
  }
  return 0;
}

}  // namespace

int run_bench_train(const Args& args) {
  Options options("bench train");
  options.add("--steps", "10", "timed steps");
  options.add("--warmup", "3", "untimed steps first");
  options.add("--faces", "64", "generated faces per identity");
  add_trainer_options(options);
  add_distributed_options(options);
  options.flag("--json", "print one JSON object instead of text");
  if (auto status = options.parse(args); !status) return usage_error(options, status.error());
  if (options.wants_help()) {
    std::printf("%s", options.usage().c_str());
    std::printf("With --world-size W and no --rank: one process against W on this machine (--batch is the total).\n");
    return 0;
  }
  auto t = read_trainer_options(options);
  const auto steps = options.get_int("--steps", 1, 100000);
  const auto warmup = options.get_int("--warmup", 0, 100000);
  const auto count = options.get_int("--faces", 4, 100000);
  const auto threads = options.get_int("--threads", 0, model::kMaxThreads);
  const auto world = options.get_int("--world-size", 1, 64);
  if (!t) return usage_error(options, t.error());
  for (const auto* v : {&steps, &warmup, &count, &threads, &world}) {
    if (!*v) return usage_error(options, v->error());
  }
  if (auto status = model::configure_runtime(static_cast<int>(*threads)); !status) {
    return command_error(options.command(), status.error());
  }
  t->max_steps = *steps + *warmup;
  t->timing_skip = static_cast<int>(*warmup);
  t->schedule = "constant";
  t->save_every = 0;
  t->log_every = 0;
  if (*world > 1 && !options.has("--rank") && std::getenv("WORLD_SIZE") == nullptr) {
    return compare_world(options, *t, static_cast<int>(*world), model::runtime_info().intra_threads, *steps, *warmup);
  }
  auto group = read_distributed_options(options);
  if (!group) return usage_error(options, group.error());
  t->distributed = *group;
  auto measured = measure(*t, *count);
  if (!measured) return command_error(options.command(), measured.error());
  if (t->distributed.rank != 0 && !options.has("--json")) return 0;  // rank 0 speaks for the group
  if (options.has("--json")) {
    std::printf("%s\n", to_json(*measured, *t, *steps).dump().c_str());
  } else {
    print_text(*measured, *t, *steps, *warmup);
  }
  return 0;
}

}  // namespace mirage::cli
