// The `mirage` subcommands. Each lives in its own cmd_<name>.cpp, takes the arguments after its
// name and returns the process exit code (0 ok, 1 failed, 2 bad usage). A failure prints one line
// "mirage <name>: <reason>" to stderr; nothing else of a failed run is left half-written.
#pragma once

#include <string>
#include <vector>

namespace mirage::cli {

using Args = std::vector<std::string>;

int run_version(const Args& args);  // versions of every dependency, the compute and Vulkan devices
int run_bench(const Args& args);    // micro-benchmarks: `mirage bench <what> [options]`
int run_extract(const Args& args);  // faces from videos/images into an aligned face set
int run_sort(const Args& args);     // sort, cluster by identity and filter a face set
int run_bench_extract(const Args& args);  // `mirage bench extract`: extraction speed per stage

}  // namespace mirage::cli
