// Runs a helper program (ffmpeg, ffprobe) to completion and captures what it prints.
//
//   auto r = media::run_program({"ffprobe", "-v", "error", "-show_format", "-of", "json", path});
//   if (!r) return std::unexpected(r.error());        // could not start it
//   if (r->exit_code != 0) ... r->output ...          // stdout and stderr together
//
// No shell: arguments are passed as they are. stdin is /dev/null. Blocks the calling thread.
#pragma once

#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::media {

struct ProgramResult {
  int exit_code = -1;   // 128 + signal when killed
  std::string output;   // stdout (and stderr unless separated)
  std::string errors;   // stderr when separate_errors
};

// Errors: kNotFound when the program cannot be started, kIo when its output cannot be read.
Result<ProgramResult> run_program(const std::vector<std::string>& args, bool separate_errors = false);

}  // namespace mirage::media
