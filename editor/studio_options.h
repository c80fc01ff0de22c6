// Command-line options of mirage-studio.
//
//   auto options = parse_studio_options(std::span(argv + 1, argc - 1));
//   if (!options) { fprintf(stderr, "mirage-studio: %s\n", ...); return 2; }
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "engine/core/error.h"
#include "engine/workspace/training_group.h"

namespace mirage::studio {

struct StudioOptions {
  std::optional<int> frames;                        // --frames N: render N (> 0) frames, then exit
  std::optional<std::filesystem::path> screenshot;  // --screenshot out.png: save the last frame
  std::optional<std::filesystem::path> project;     // --project DIR (default: ./demo when it exists)
  bool no_train = false;                            // --no-train: do not start training on open
  std::optional<std::filesystem::path> script;      // --script FILE: UI actions (studio_script.h)
  bool help = false;                                // --help / -h
  bool debug_stall_training = false;                // --debug-stall-training: tests (the first step never returns)
  // --world-size W [--master HOST:PORT] [--dist-timeout S]: the studio trains as rank 0 of a
  // group; the other ranks run `mirage train --world-size W --rank R --master HOST:PORT`.
  workspace::DistributedOptions distributed;
};

inline constexpr const char* kStudioUsage =
    "usage: mirage-studio [--project DIR] [--no-train] [--frames N] [--screenshot out.png]\n"
    "                     [--world-size W --master HOST:PORT] [--help]\n"
    "  --project DIR         open this project (default: ./demo when it exists)\n"
    "  --no-train            open without starting training (it starts when the face sets exist)\n"
    "  --script FILE         run UI actions from FILE (frames, until, set, view, record, screenshot, ...)\n"
    "  --frames N            render N frames, then exit (default: until the window closes)\n"
    "  --screenshot PATH     save the last rendered frame as a PNG\n"
    "  --world-size W        train as rank 0 of W processes (the others: mirage train --rank R ...)\n"
    "  --master HOST:PORT    where this studio hosts the group's rendezvous (default 127.0.0.1:29500;\n"
    "                        use an address the other machines reach)\n"
    "  --dist-timeout S      seconds to wait for the other ranks (default 60)\n"
    "  --debug-stall-training  tests: the first training step never returns (until the studio closes)\n";

// kInvalidArgument with a one-line message for an unknown option, a missing or bad value.
Result<StudioOptions> parse_studio_options(std::span<char* const> args);

}  // namespace mirage::studio
