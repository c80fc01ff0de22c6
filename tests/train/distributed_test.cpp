// Data-parallel training: the options and torchrun's environment, the data shards, and a group of
// trainers in this process (threads as ranks, on a free localhost port) that must end where one
// process with the whole batch ends.
#include "engine/train/distributed.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "engine/model/weight_snapshot.h"
#include "engine/train/data_pipeline.h"
#include "engine/train/trainer.h"

namespace mirage::train {
namespace {

// A port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(ParseMaster, HostAndPort) {
  auto v4 = parse_master("10.0.0.5:29500");
  ASSERT_TRUE(v4.has_value()) << v4.error().message;
  EXPECT_EQ(v4->first, "10.0.0.5");
  EXPECT_EQ(v4->second, 29500);
  auto name = parse_master("trainer-1.lan:1234");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->first, "trainer-1.lan");
  auto v6 = parse_master("[::1]:29501");
  ASSERT_TRUE(v6.has_value()) << v6.error().message;
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 29501);
}

TEST(ParseMaster, RejectsWhatIsNotHostColonPort) {
  for (const char* bad : {"", "10.0.0.5", ":29500", "host:", "host:0", "host:65536", "host:12x",
                          "[::1", "[::1]29500", "::1:29500"}) {
    auto parsed = parse_master(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
  }
}

TEST(DistributedOptions, Validate) {
  DistributedOptions o;
  EXPECT_TRUE(validate(o).has_value());
  o.world_size = 2;
  o.rank = 1;
  EXPECT_TRUE(validate(o).has_value());
  o.rank = 2;
  auto outside = validate(o);
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(outside.error().message, "rank must be in [0, 1] for world size 2, got 2");
  o.rank = 0;
  o.world_size = 0;
  EXPECT_FALSE(validate(o).has_value());
  o.world_size = 2;
  o.master_port = 0;
  EXPECT_FALSE(validate(o).has_value());
  o.master_port = 29500;
  o.timeout_s = 0;
  EXPECT_FALSE(validate(o).has_value());
}

// Sets torchrun's variables for one test and restores the environment after it.
class Environment : public ::testing::Test {
 protected:
  static constexpr const char* kNames[] = {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT",
                                           "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RUN_ID",
                                           "TORCHELASTIC_RESTART_COUNT"};
  void SetUp() override {
    for (const char* name : kNames) ::unsetenv(name);
  }
  void TearDown() override {
    for (const char* name : kNames) ::unsetenv(name);
  }
};

TEST_F(Environment, AbsentWithoutWorldSize) {
  auto env = distributed_from_environment();
  ASSERT_TRUE(env.has_value());
  EXPECT_FALSE(env->has_value());
}

TEST_F(Environment, ReadsTorchrun) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("LOCAL_RANK", "1", 1);
  ::setenv("MASTER_ADDR", "10.1.2.3", 1);
  ::setenv("MASTER_PORT", "29555", 1);
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "True", 1);
  ::setenv("TORCHELASTIC_RUN_ID", "job7", 1);
  ::setenv("TORCHELASTIC_RESTART_COUNT", "2", 1);
  auto env = distributed_from_environment();
  ASSERT_TRUE(env.has_value()) << env.error().message;
  ASSERT_TRUE(env->has_value());
  const DistributedOptions& d = **env;
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.master_host, "10.1.2.3");
  EXPECT_EQ(d.master_port, 29555);
  EXPECT_TRUE(d.agent_store);
  // A restarted group must not read the keys of the run before.
  EXPECT_NE(d.run_id.find("job7"), std::string::npos);
  EXPECT_NE(d.run_id.find('2'), std::string::npos);
}

TEST_F(Environment, BadValueNamesTheVariable) {
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "one", 1);
  auto env = distributed_from_environment();
  ASSERT_FALSE(env.has_value());
  EXPECT_NE(env.error().message.find("RANK"), std::string::npos) << env.error().message;
}

TEST_F(Environment, FlagsAloneMakeAGroup) {
  auto none = resolve_distributed({});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->active());
  auto group = resolve_distributed({.world_size = 3, .rank = 2, .master = "[::1]:29600", .timeout_s = 5});
  ASSERT_TRUE(group.has_value()) << group.error().message;
  EXPECT_EQ(group->world_size, 3);
  EXPECT_EQ(group->rank, 2);
  EXPECT_EQ(group->local_rank, 2);  // one machine: one GPU per rank
  EXPECT_EQ(group->master_host, "::1");
  EXPECT_EQ(group->master_port, 29600);
  EXPECT_EQ(group->timeout_s, 5);
  auto remote = resolve_distributed({.world_size = 2, .rank = 1, .master = "10.0.0.5:29500"});
  ASSERT_TRUE(remote.has_value());
  EXPECT_EQ(remote->local_rank, 0);  // across machines: each on its first GPU
}

TEST_F(Environment, FlagsThatCannotWorkAreNamed) {
  const auto message = [](const DistributedRequest& request) {
    auto resolved = resolve_distributed(request);
    EXPECT_FALSE(resolved.has_value());
    return resolved.has_value() ? std::string() : resolved.error().message;
  };
  EXPECT_NE(message({.world_size = 2}).find("--rank is required"), std::string::npos);
  EXPECT_NE(message({.rank = 1}).find("--rank needs --world-size"), std::string::npos);
  EXPECT_NE(message({.master = "h:1"}).find("--master needs --world-size"), std::string::npos);
  EXPECT_NE(message({.world_size = 2, .rank = 2}).find("rank must be in [0, 1]"), std::string::npos);
  EXPECT_NE(message({.world_size = 2, .rank = 0, .master = "nohost"}).find("HOST:PORT"), std::string::npos);
  EXPECT_NE(message({.world_size = 2, .rank = 0, .timeout_s = 0}).find("timeout"), std::string::npos);
}

TEST_F(Environment, FlagsMayRepeatTorchrunButNotContradictIt) {
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "1", 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", "29700", 1);
  auto same = resolve_distributed({.world_size = 2, .rank = 1, .master = "127.0.0.1:29700"});
  ASSERT_TRUE(same.has_value()) << same.error().message;
  EXPECT_EQ(same->rank, 1);
  auto contradicted = resolve_distributed({.rank = 0});
  ASSERT_FALSE(contradicted.has_value());
  EXPECT_NE(contradicted.error().message.find("--rank 0 contradicts torchrun's RANK=1"), std::string::npos)
      << contradicted.error().message;
  EXPECT_FALSE(resolve_distributed({.master = "127.0.0.1:29701"}).has_value());
}

TEST(DeviceForRank, OneGpuPerLocalRank) {
  DistributedOptions d;
  d.world_size = 2;
  d.local_rank = 1;
  EXPECT_EQ(device_for_rank("cuda", d, true), "cuda:1");
  EXPECT_EQ(device_for_rank("auto", d, true), "cuda:1");
  EXPECT_EQ(device_for_rank("auto", d, false), "auto");
  EXPECT_EQ(device_for_rank("cpu", d, true), "cpu");
  EXPECT_EQ(device_for_rank("cuda:0", d, true), "cuda:0");  // asked for by name: kept
  EXPECT_EQ(device_for_rank("cuda", DistributedOptions{}, true), "cuda");
}

// Rank r's shard of a batch is exactly slots [r * n, (r + 1) * n) of the batch one process with
// the whole batch draws: augmentation included.
TEST(DataShards, ShardIsASliceOfTheWholeBatch) {
  const FaceBank a = synthetic_faces(6, 64, 0), b = synthetic_faces(6, 64, 1);
  AugmentOptions augment;  // the defaults: warp, rotation, flips, colour
  const int r = 32, n = 3;
  for (std::int64_t index : {0, 7}) {
    const TrainBatch whole = make_batch(a, b, augment, 2 * n, r, model::kFaceCrop, 5, index);
    for (int rank = 0; rank < 2; ++rank) {
      const TrainBatch shard = make_batch(a, b, augment, n, r, model::kFaceCrop, 5, index, rank * n);
      const auto slice = [&](const std::vector<float>& v, int channels) {
        const std::size_t per = static_cast<std::size_t>(r) * r * channels;
        return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(rank * n * per),
                                  v.begin() + static_cast<std::ptrdiff_t>((rank + 1) * n * per));
      };
      EXPECT_EQ(shard.a.warped, slice(whole.a.warped, 3)) << "rank " << rank << " batch " << index;
      EXPECT_EQ(shard.a.target, slice(whole.a.target, 3));
      EXPECT_EQ(shard.b.warped, slice(whole.b.warped, 3));
      EXPECT_EQ(shard.b.hull, slice(whole.b.hull, 1));
      EXPECT_EQ(shard.a.eyes, slice(whole.a.eyes, 1));
    }
  }
  // And the two shards differ (a shard is not the first slots again).
  EXPECT_NE(make_batch(a, b, augment, n, r, model::kFaceCrop, 5, 0, 0).a.warped,
            make_batch(a, b, augment, n, r, model::kFaceCrop, 5, 0, n).a.warped);
}

struct Faces {
  std::shared_ptr<const FaceBank> a = std::make_shared<const FaceBank>(synthetic_faces(8, 64, 0));
  std::shared_ptr<const FaceBank> b = std::make_shared<const FaceBank>(synthetic_faces(8, 64, 1));
};

TrainerOptions tiny(int batch, std::int64_t steps) {
  TrainerOptions o;
  o.preset = "tiny";
  o.batch = batch;
  o.device = "cpu";
  o.precision = "fp32";
  o.max_steps = steps;
  o.warmup_steps = 2;
  o.schedule = "cosine";
  o.learning_rate = 3e-3;
  o.save_every = 0;
  o.log_every = 0;
  o.snapshot_every = steps;  // the final weights, for the comparison
  o.seed = 11;
  return o;
}

struct RankResult {
  Status created = ok();
  Status finished = ok();
  TrainerStats stats;
  std::shared_ptr<const model::WeightSnapshot> weights;
};

// Runs `world` trainers, one per thread, each with options(rank); returns what each ended with.
template <class Options>
std::vector<RankResult> run_group(int world, const Faces& faces, Options options) {
  std::vector<RankResult> results(static_cast<std::size_t>(world));
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < world; ++rank) {
    ranks.emplace_back([&, rank] {
      RankResult& result = results[static_cast<std::size_t>(rank)];
      auto trainer = Trainer::create(options(rank), faces.a, faces.b);
      if (!trainer) {
        result.created = std::unexpected(trainer.error());
        return;
      }
      (*trainer)->start();
      result.finished = (*trainer)->wait();
      result.stats = (*trainer)->stats();
      result.weights = (*trainer)->latest_snapshot();
    });
  }
  for (auto& t : ranks) t.join();
  return results;
}

DistributedOptions group_of(int world, int rank, int port) {
  DistributedOptions d;
  d.world_size = world;
  d.rank = rank;
  d.master_port = port;
  d.timeout_s = 30;
  return d;
}

// The largest ||a - b|| / ||b|| over the tensors of two snapshots.
double max_relative_difference(const model::WeightSnapshot& a, const model::WeightSnapshot& b) {
  EXPECT_EQ(a.tensors.size(), b.tensors.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.tensors.size() && i < b.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    const torch::Tensor x = a.tensors[i].second.to(torch::kDouble), y = b.tensors[i].second.to(torch::kDouble);
    const double norm = y.norm().item<double>();
    if (norm == 0) continue;
    worst = std::max(worst, (x - y).norm().item<double>() / norm);
  }
  return worst;
}

// Two ranks of batch 4 take the steps one process of batch 8 takes: the same data (the shards),
// the mean gradient, the same Adam update; in fp32 the weights agree to rounding.
TEST(DataParallel, TwoRanksMatchOneProcessWithTheWholeBatch) {
  const Faces faces;
  constexpr std::int64_t kSteps = 5;
  const auto single = run_group(1, faces, [](int) { return tiny(8, kSteps); });
  ASSERT_TRUE(single[0].created.has_value()) << single[0].created.error().message;
  ASSERT_TRUE(single[0].weights);

  const int port = free_port();
  const auto group = run_group(2, faces, [&](int rank) {
    TrainerOptions o = tiny(4, kSteps);
    o.distributed = group_of(2, rank, port);
    return o;
  });
  for (int rank = 0; rank < 2; ++rank) {
    const RankResult& r = group[static_cast<std::size_t>(rank)];
    ASSERT_TRUE(r.created.has_value()) << "rank " << rank << ": " << r.created.error().message;
    ASSERT_TRUE(r.finished.has_value()) << "rank " << rank << ": " << r.finished.error().message;
    ASSERT_TRUE(r.weights) << "rank " << rank;
    EXPECT_EQ(r.weights->step, kSteps);
    EXPECT_EQ(r.stats.world_size, 2);
    EXPECT_EQ(r.stats.rank, rank);
    EXPECT_GT(r.stats.gradient_megabytes, 0);
    ASSERT_EQ(r.stats.rank_steps_per_second.size(), 2u);
    EXPECT_GT(r.stats.rank_steps_per_second[1 - rank], 0);
    // The group's loss is the mean of the ranks' (the whole batch's), the same on every rank.
    EXPECT_NEAR(r.stats.loss, single[0].stats.loss, 1e-5 * std::abs(single[0].stats.loss));
  }
  // Every rank holds the same weights, bit for bit: each applied the same averaged gradient.
  EXPECT_EQ(max_relative_difference(*group[1].weights, *group[0].weights), 0.0);
  const double difference = max_relative_difference(*group[0].weights, *single[0].weights);
  EXPECT_LT(difference, 1e-5) << "weights of the group vs one process";
  std::printf("largest per-tensor |w_group - w_one| / |w_one| after %lld steps: %.3g\n",
              static_cast<long long>(kSteps), difference);
  // And training moved them: the agreement is not that of two untouched models.
  const auto untrained = run_group(1, faces, [](int) { return tiny(8, 1); });
  ASSERT_TRUE(untrained[0].weights);
  EXPECT_GT(max_relative_difference(*untrained[0].weights, *single[0].weights), 100 * difference);
}

// Ranks that would train different things are refused at the start, with the same line on each.
TEST(DataParallel, MismatchedOptionsAreRefusedOnEveryRank) {
  const Faces faces;
  const int port = free_port();
  const auto group = run_group(2, faces, [&](int rank) {
    TrainerOptions o = tiny(4, 3);
    o.distributed = group_of(2, rank, port);
    if (rank == 1) o.learning_rate = 1e-3;
    return o;
  });
  for (int rank = 0; rank < 2; ++rank) {
    const RankResult& r = group[static_cast<std::size_t>(rank)];
    ASSERT_FALSE(r.created.has_value()) << "rank " << rank;
    EXPECT_EQ(r.created.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.created.error().message.find("learning_rate"), std::string::npos) << r.created.error().message;
    EXPECT_NE(r.created.error().message.find("rank 1"), std::string::npos) << r.created.error().message;
    EXPECT_EQ(r.created.error().message.find('\n'), std::string::npos);
  }
}

TEST(DataParallel, DifferentFaceSetsAreRefused) {
  const Faces faces;
  const Faces other{std::make_shared<const FaceBank>(synthetic_faces(8, 64, 2)), faces.b};
  const int port = free_port();
  std::vector<RankResult> results(2);
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    ranks.emplace_back([&, rank] {
      TrainerOptions o = tiny(4, 3);
      o.distributed = group_of(2, rank, port);
      const Faces& mine = rank == 0 ? faces : other;
      auto trainer = Trainer::create(o, mine.a, mine.b);
      if (!trainer) results[static_cast<std::size_t>(rank)].created = std::unexpected(trainer.error());
    });
  }
  for (auto& t : ranks) t.join();
  for (const RankResult& r : results) {
    ASSERT_FALSE(r.created.has_value());
    EXPECT_NE(r.created.error().message.find("face set A"), std::string::npos) << r.created.error().message;
  }
}

TEST(DataParallel, NoMasterFailsWithinTheTimeout) {
  const Faces faces;
  TrainerOptions o = tiny(4, 3);
  o.distributed = group_of(2, 1, free_port());
  o.distributed.timeout_s = 1.5;
  auto trainer = Trainer::create(o, faces.a, faces.b);
  ASSERT_FALSE(trainer.has_value());
  EXPECT_EQ(trainer.error().code, ErrorCode::kIo);
  EXPECT_NE(trainer.error().message.find("no master at 127.0.0.1:"), std::string::npos) << trainer.error().message;
  EXPECT_EQ(trainer.error().message.find('\n'), std::string::npos);
}

TEST(DataParallel, MissingRankFailsWithinTheTimeout) {
  const Faces faces;
  TrainerOptions o = tiny(4, 3);
  o.distributed = group_of(3, 0, free_port());
  o.distributed.timeout_s = 1.5;
  auto trainer = Trainer::create(o, faces.a, faces.b);
  ASSERT_FALSE(trainer.has_value());
  EXPECT_NE(trainer.error().message.find("only 1 of 3 ranks joined"), std::string::npos) << trainer.error().message;
}

TEST(DataParallel, PortInUseIsNamed) {
  const Faces faces;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  TrainerOptions o = tiny(4, 3);
  o.distributed = group_of(2, 0, ntohs(address.sin_port));
  o.distributed.timeout_s = 1.5;
  auto trainer = Trainer::create(o, faces.a, faces.b);
  ::close(fd);
  ASSERT_FALSE(trainer.has_value());
  EXPECT_NE(trainer.error().message.find("in use"), std::string::npos) << trainer.error().message;
}

}  // namespace
}  // namespace mirage::train
