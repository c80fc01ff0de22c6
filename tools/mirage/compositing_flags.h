// The compositing flags of `convert` and `bench composite`, made from the one table of
// engine/core/composite_options.h (names, ranges, defaults), plus the hull, learned-mask and
// compositor choices.
//
//   add_compositing_options(opts);
//   auto swapper = read_compositing_options(opts);      // errors name the flag
// `--compositor` (cpu|gpu|auto) is convert's own flag.
#pragma once

#include "engine/core/error.h"
#include "engine/swap/swapper.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

void add_compositing_options(Options& opts);
// Flags not given keep their value in `base` (the table's defaults unless a command has others).
Result<swap::SwapperOptions> read_compositing_options(const Options& opts, const CompositeOptions& base = {});

}  // namespace mirage::cli
