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

namespace mirage::studio {

struct StudioOptions {
  std::optional<int> frames;                        // --frames N: render N (> 0) frames, then exit
  std::optional<std::filesystem::path> screenshot;  // --screenshot out.png: save the last frame
  bool help = false;                                // --help / -h
};

inline constexpr const char* kStudioUsage =
    "usage: mirage-studio [--frames N] [--screenshot out.png] [--help]\n"
    "  --frames N            render N frames, then exit (default: until the window closes)\n"
    "  --screenshot PATH     save the last rendered frame as a PNG\n";

// kInvalidArgument with a one-line message for an unknown option, a missing or bad value.
Result<StudioOptions> parse_studio_options(std::span<char* const> args);

}  // namespace mirage::studio
