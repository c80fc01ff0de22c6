#include "tools/mirage/trainer_flags.h"

namespace mirage::cli {

void add_trainer_options(Options& options) {
  options.add("--preset", "lite", "model: lite, lite-d (128 px out at lite's cost), lite-liae (one decoder, LIAE), original or hd");
  options.add("--batch", "16", "faces per identity per step");
  options.add("--device", "auto", "auto, cpu, cuda or cuda:N");
  options.add("--precision", "auto", "auto (bf16 where the CPU/GPU has it), fp32, bf16 or fp16");
  options.add("--threads", "0", "CPU threads (0: MIRAGE_THREADS, else every core)");
  options.add("--seed", "1", "seed of the weights and the augmentation");
  options.add("--data-threads", "1", "augmentation threads");
  options.flag("--gan", "train with the patch discriminators");
  options.flag("--no-warp", "no random_warp on the inputs");
  options.flag("--no-balance-pose", "draw faces evenly, not head turns evenly (pose-balanced sampling is the default)");
  options.flag("--channels-last", "store weights and faces NHWC (channels-last)");
}

Result<train::TrainerOptions> read_trainer_options(const Options& options) {
  train::TrainerOptions t;
  t.preset = options.get("--preset");
  const auto batch = options.get_int("--batch", 1, 4096);
  const auto seed = options.get_int("--seed", 0, 1LL << 62);
  const auto data_threads = options.get_int("--data-threads", 1, 64);
  for (const auto* v : {&batch, &seed, &data_threads}) {
    if (!*v) return std::unexpected(v->error());
  }
  t.batch = static_cast<int>(*batch);
  t.seed = static_cast<std::uint64_t>(*seed);
  t.data_threads = static_cast<int>(*data_threads);
  t.device = options.get("--device");
  t.precision = options.get("--precision");
  t.gan = options.has("--gan");
  t.augment.warp = !options.has("--no-warp");
  t.augment.balance_pose = !options.has("--no-balance-pose");
  t.channels_last = options.has("--channels-last");
  return t;
}

}  // namespace mirage::cli
