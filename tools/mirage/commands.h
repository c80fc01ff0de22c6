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
int run_convert(const Args& args);        // a video with every face swapped, labelled synthetic
int run_eval(const Args& args);           // quality numbers of a converted clip against its source
int run_demo(const Args& args);           // Megamind.avi end to end: extract, sort, train, convert, eval
int run_bench_composite(const Args& args);  // `mirage bench composite`: CPU vs GPU compositor, ms/frame
int run_bench_faces(const Args& args);      // `mirage bench faces`: the face browser on a big set
int run_bench_studio(const Args& args);     // `mirage bench studio`: live playback while training
int run_bench_convert(const Args& args);  // `mirage bench convert`: conversion speed per stage
int run_train(const Args& args);          // train a project's face-swap model in the background
int run_checkpoint(const Args& args);     // `mirage checkpoint upgrade`: format-1 checkpoints to format 2
int run_bench_train(const Args& args);    // `mirage bench train`: ms/step, samples/s, GFLOP/s
int run_verify(const Args& args);          // is a clip a Mirage output: metadata, watermark, provenance
int run_bench_watermark(const Args& args);  // `mirage bench watermark`: invisibility, robustness, false alarms

}  // namespace mirage::cli
