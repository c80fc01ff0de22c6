// The model and step flags that `train` and `bench train` share (--preset, --batch, --device,
// --precision, --threads, --seed, --data-threads, --gan, --no-warp, --channels-last).
#pragma once

#include "engine/core/error.h"
#include "engine/train/trainer.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

void add_trainer_options(Options& options);
// --threads is left to the command (model::configure_runtime). Errors name the flag.
Result<train::TrainerOptions> read_trainer_options(const Options& options);

}  // namespace mirage::cli
