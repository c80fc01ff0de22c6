// `mirage checkpoint upgrade PATH`: checkpoints of Mirage 0.1 (format 1, a LibTorch archive) rewritten
// as format 2 (Mirage's own tensor archive), which is all the rest of Mirage reads.
#include <cstdio>
#include <filesystem>
#include <vector>

#include "engine/core/format.h"
#include "engine/model/checkpoint.h"
#include "engine/model/legacy_checkpoint.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_checkpoint(const Args& args) {
  Options opts("checkpoint");
  opts.allow_positional(2);
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help() || opts.positional().empty()) {
    std::printf(
        "usage: mirage checkpoint upgrade PATH\n"
        "  rewrites checkpoints of Mirage 0.1 (format 1) in the file or model folder PATH as format 2;\n"
        "  each file is replaced atomically, a damaged one is named and left as it was\n");
    return opts.wants_help() ? 0 : 2;
  }
  if (opts.positional()[0] != "upgrade" || opts.positional().size() != 2) {
    return usage_error(opts, {ErrorCode::kInvalidArgument, "the only action is 'upgrade PATH'"});
  }
  const std::filesystem::path path = opts.positional()[1];
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, ec)) {
    files = model::list_checkpoints(path);
    if (files.empty()) return command_error("checkpoint", {ErrorCode::kNotFound, format("{}: no checkpoints", path.string())});
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);
  } else {
    return command_error("checkpoint", {ErrorCode::kNotFound, format("no such file or folder: {}", path.string())});
  }
  int failed = 0;
  for (const std::filesystem::path& file : files) {
    auto result = model::upgrade_checkpoint_file(file);
    if (!result) {
      std::fprintf(stderr, "mirage checkpoint: %s\n", result.error().message.c_str());
      ++failed;
      continue;
    }
    std::printf("%s: %s\n", file.string().c_str(),
                !result->upgraded ? "format 2 already"
                : result->discriminator_moments_dropped
                    ? "upgraded (the discriminators predate self-attention: their Adam moments restart)"
                    : "upgraded");
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace mirage::cli
