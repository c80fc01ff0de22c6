// `mirage`: the command line. A thin dispatcher: each subcommand lives in cmd_<name>.cpp.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "engine/core/log.h"
#include "engine/model/runtime.h"
#include "tools/mirage/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const mirage::cli::Args&);
};

constexpr Command kCommands[] = {
    {"version", "versions of Mirage, its dependencies and the compute/Vulkan devices",
     mirage::cli::run_version},
    {"bench", "benchmarks ('mirage bench --help' lists them)", mirage::cli::run_bench},
    {"train", "train a project's face-swap model (Ctrl-C saves and stops)", mirage::cli::run_train},
    {"checkpoint", "'checkpoint upgrade PATH': checkpoints of Mirage 0.1 rewritten for this version",
     mirage::cli::run_checkpoint},
#if MIRAGE_WITH_FACE
    {"extract", "faces from videos, images or folders into an aligned face set", mirage::cli::run_extract},
    {"sort", "sort a face set by identity, blur, size or yaw; move bad faces aside", mirage::cli::run_sort},
    {"verify", "is a clip a Mirage output? its metadata, invisible watermark and provenance record", mirage::cli::run_verify},
#endif
#if MIRAGE_WITH_SWAP
    {"convert", "swap every face of a video to one identity; a labelled synthetic clip", mirage::cli::run_convert},
    {"eval", "quality numbers of a converted clip: identity, expression, jitter, PSNR/SSIM", mirage::cli::run_eval},
    {"demo", "Megamind.avi end to end: extract, sort, train, convert (characters swapped), eval", mirage::cli::run_demo},
#endif
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: mirage <command> [options]   (mirage <command> --help for its options)\n\n");
  for (const Command& command : kCommands) std::fprintf(out, "  %-10s %s\n", command.name, command.summary);
  std::fprintf(out, "\n  --version  same as 'mirage version'\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "mirage: no command given (run 'mirage --help' for the list)\n");
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  if (name == "--version") name = "version";

  for (const Command& command : kCommands) {
    if (name != command.name) continue;
    if (auto status = mirage::model::configure_runtime(); !status) {
      std::fprintf(stderr, "mirage: %s\n", status.error().message.c_str());
      return 1;
    }
    const mirage::cli::Args args(argv + 2, argv + argc);
    return command.run(args);
  }
  std::fprintf(stderr, "mirage: unknown command '%.*s' (run 'mirage --help' for the list)\n",
               static_cast<int>(name.size()), name.data());
  return 2;
}
