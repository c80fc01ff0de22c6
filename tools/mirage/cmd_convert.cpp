// `mirage convert`: a video with every face swapped to one identity of a project's model, and
// `mirage bench convert`: the conversion pipeline's speed, end to end and per stage.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "engine/core/composite_options.h"
#include "engine/core/config.h"
#include "engine/core/format.h"
#include "engine/media/provenance.h"
#include "engine/model/runtime.h"
#include "engine/swap/convert.h"
#include "engine/swap/model_swapper.h"
#include "engine/workspace/project.h"
#include "engine/workspace/recording.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/compositing_flags.h"
#include "tools/mirage/options.h"
#include "tools/mirage/progress.h"

namespace mirage::cli {
namespace {

namespace fs = std::filesystem;

// "a" | "b" | "0" | "1" | "both" (any case).
Result<workspace::SwapTo> parse_identity(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "a" || text == "0") return workspace::SwapTo::kA;
  if (text == "b" || text == "1") return workspace::SwapTo::kB;
  if (text == "both") return workspace::SwapTo::kBoth;
  return fail(ErrorCode::kInvalidArgument, "identity '{}' does not exist (the model has A and B)", text);
}

template <class Request>
Json summary_json(const Request& o, const swap::ConvertSummary& s) {
  const double n = std::max<double>(1.0, static_cast<double>(s.frames_written));
  return Json{{"input", o.input.string()},
              {"output", o.output.string()},
              {"frames_written", s.frames_written},
              {"frames_with_faces", s.frames_with_faces},
              {"frames_without_faces", s.frames_without_faces},
              {"faces_swapped", s.faces_swapped},
              {"decode_errors", s.decode_errors},
              {"detections", s.detections},
              {"seconds", s.elapsed_s},
              {"setup_seconds", s.setup_s},
              {"frames_per_second", s.frames_per_second()},
              {"compositor", s.compositor},
              {"compositor_reason", s.compositor_reason},
              {"stage_ms_per_frame", {{"decode_wait", 1e3 * s.stages.decode / n}, {"track", 1e3 * s.stages.track / n},
                                      {"prepare", 1e3 * s.stages.prepare / n}, {"infer", 1e3 * s.stages.infer / n},
                                      {"composite", 1e3 * s.stages.composite / n}, {"watermark", 1e3 * s.stages.watermark / n},
                                      {"encode_wait", 1e3 * s.stages.encode / n}}},
              {"watermark", o.watermark},
              {"provenance", o.provenance ? media::provenance_path(o.output).string() : ""}};
}

// The stage that bounds the pipeline: the busiest thread (track + prepare share one thread).
std::string limiting_stage(const swap::ConvertSummary& s) {
  const double track_thread = s.stages.track + s.stages.prepare;
  const double main_thread = s.stages.composite + s.stages.watermark + s.stages.encode;
  if (track_thread >= s.stages.infer && track_thread >= main_thread) return "track + prepare (thread 'track')";
  if (s.stages.infer >= main_thread) return "infer (thread 'infer')";
  return "composite + watermark + encode (calling thread; encode time is time blocked on ffmpeg)";
}

// The model's CPU threads. Conversion runs its stages on threads of their own, so one model
// thread is the default: on 2 cores, 2 OpenMP threads fighting the tracker, compositor and
// encoder halved the frame rate (16 vs 33 frames/s measured on Megamind.avi, lite).
Status configure_model_threads(const Options& opts) {
  auto threads = opts.get_int("--threads", 0, model::kMaxThreads);
  if (!threads) return std::unexpected(threads.error());
  return model::configure_runtime(static_cast<int>(*threads));
}

}  // namespace

int run_convert(const Args& args) {
  Options opts("convert");
  opts.add("--project", "", "the project folder (its model/ is used)");
  opts.add("--model", "", "a model folder or checkpoint file instead of <project>/model");
  opts.add("--input", "", "the video to convert");
  opts.add("--output", "", "the clip to write (.mp4, .mkv or .mov)");
  opts.add("--to", "b", "the identity every face becomes: a, b, or both (A <-> B, told apart by a classifier trained on <project>/faces/a and b)");
  opts.add("--start", "0", "first second to convert");
  opts.add("--end", "-1", "second to stop at (-1: the end)");
  opts.add("--device", "auto", "auto, cpu, cuda or cuda:N");
  opts.add("--crf", "18", "H.264 quality (0..51, lower is better)");
  opts.add("--threads", "1", "CPU threads of the model (0: MIRAGE_THREADS, else every core); the stages already run in parallel");
  opts.flag("--no-label", "do not draw the visible 'synthetic' mark (the metadata tag stays)");
  opts.flag("--no-watermark", "do not embed the invisible watermark that `mirage verify` reads");
  opts.flag("--overwrite", "replace an existing output");
  opts.flag("--json", "print a machine-readable summary on stdout");
  opts.flag("--quiet", "no progress line");
  add_compositing_options(opts);
  opts.add("--compositor", "auto", "where to composite: cpu, gpu (Vulkan) or auto (the faster here, measured at the start)");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  workspace::RenderRequest o;
  o.input = opts.get("--input");
  o.output = opts.get("--output");
  if (o.input.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--input is required"});
  if (o.output.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--output is required"});
  const fs::path project = opts.get("--project");
  fs::path model_path = opts.get("--model");
  if (model_path.empty()) {
    if (project.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--project (or --model) is required"});
    if (!fs::is_directory(project)) {
      return command_error("convert", {ErrorCode::kNotFound, format("no such project folder: {}", project.string())});
    }
    model_path = project / "model";
  }
  auto to = parse_identity(opts.get("--to"));
  auto start = opts.get_double("--start", 0, 1e7);
  auto end = opts.get_double("--end", -1, 1e7);
  auto crf = opts.get_int("--crf", 0, 51);
  auto compositing = read_compositing_options(opts);
  if (!to) return command_error("convert", to.error());
  for (const auto* r : {&start, &end}) {
    if (!*r) return usage_error(opts, r->error());
  }
  if (!crf) return usage_error(opts, crf.error());
  if (!compositing) return usage_error(opts, compositing.error());
  auto compositor = swap::parse_compositor_kind(opts.get("--compositor"));
  if (!compositor) return usage_error(opts, compositor.error());
  o.compositor = *compositor;
  o.to = *to;
  o.start_s = *start;
  o.end_s = *end;
  o.crf = static_cast<int>(*crf);
  o.swapper = *compositing;
  o.label = !opts.has("--no-label");
  o.watermark = !opts.has("--no-watermark");
  o.overwrite = opts.has("--overwrite");
  std::error_code ec;
  if (fs::exists(o.output, ec) && !o.overwrite) {
    return command_error("convert", {ErrorCode::kIo, format("{} exists (pass --overwrite to replace it)", o.output.string())});
  }
  if (o.to == workspace::SwapTo::kBoth) {
    if (project.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--to both needs --project (its faces/a and faces/b)"});
    auto opened = workspace::Project::open(project);
    if (!opened) return command_error("convert", opened.error());
    o.faces_a = opened->faces_a();
    o.faces_b = opened->faces_b();
  }
  if (auto s = configure_model_threads(opts); !s) return usage_error(opts, s.error());
  auto model = swap::make_model_swapper(model_path, opts.get("--device"));
  if (!model) return command_error("convert", model.error());
  ProgressBar bar("convert", -1, opts.has("--quiet"));
  swap::ConvertCallbacks callbacks;
  callbacks.on_progress = [&](const swap::ConvertProgress& p) {
    if (p.frames_done == 1) bar = ProgressBar("convert", p.frames_expected, opts.has("--quiet"));
    bar.update(p.frames_done, format("{} faces", p.faces));
  };
  callbacks.on_problem = [](const Error& e) {
    std::fprintf(stderr, "%smirage convert: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", e.message.c_str());
  };
  auto summary = workspace::render_clip(o, **model, callbacks);
  bar.finish();
  if (!summary) return command_error("convert", summary.error());
  if (opts.has("--json")) {
    std::printf("%s\n", summary_json(o, *summary).dump(2).c_str());
  } else {
    std::printf("%s: %lld frames (%lld with a face, %lld without, passed through), %lld faces swapped to %s\n",
                o.output.string().c_str(), static_cast<long long>(summary->frames_written),
                static_cast<long long>(summary->frames_with_faces), static_cast<long long>(summary->frames_without_faces),
                static_cast<long long>(summary->faces_swapped),
                o.to == workspace::SwapTo::kA ? "A" : o.to == workspace::SwapTo::kB ? "B" : "the other identity");
    std::printf("%.1f s, %.1f frames/s (after %.1f s of set-up); compositor %s (%s)\n", summary->elapsed_s,
                summary->frames_per_second(), summary->setup_s, summary->compositor.c_str(),
                summary->compositor_reason.c_str());
    std::printf("labelled synthetic (metadata%s%s); provenance record %s\n", o.label ? ", visible mark" : "",
                o.watermark ? ", invisible watermark" : "", media::provenance_path(o.output).string().c_str());
  }
  return 0;
}

namespace {

// One conversion of the bench's clip; the written clip's size is kept, the clip is not.
struct BenchRun {
  swap::ConvertSummary summary;
  std::uintmax_t bytes = 0;
};

Result<BenchRun> bench_once(swap::ConvertOptions o, bool watermark, const swap::FaceSwapper& model) {
  const fs::path temporary = fs::temp_directory_path() / format("mirage-bench-convert-{}.mp4", ::getpid());
  o.output = temporary;
  o.overwrite = true;
  o.watermark = watermark;
  o.provenance = false;
  auto summary = swap::convert_video(o, model);
  std::error_code ec;
  const std::uintmax_t bytes = summary ? fs::file_size(temporary, ec) : 0;
  fs::remove(temporary, ec);
  if (!summary) return std::unexpected(summary.error());
  return BenchRun{.summary = std::move(*summary), .bytes = ec ? 0 : bytes};
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

// `--watermark-cost N`: N pairs of runs, with and without the mark, alternating so that drift in
// the machine's speed falls on both; the median loss of frames/s is the number to read.
int bench_watermark_cost(const swap::ConvertOptions& o, const swap::FaceSwapper& model, int pairs) {
  std::printf("mirage bench convert --watermark-cost: %s, model %s, %d alternating pairs\n", o.input.string().c_str(),
              model.preset().c_str(), pairs);
  std::printf("  %4s %12s %12s %8s %12s %12s\n", "pair", "fps with", "fps without", "loss", "MB with", "MB without");
  std::vector<double> losses, sizes;
  for (int i = 1; i <= pairs; ++i) {
    auto with = bench_once(o, true, model);
    if (!with) return command_error("bench convert", with.error());
    auto without = bench_once(o, false, model);
    if (!without) return command_error("bench convert", without.error());
    const double a = with->summary.frames_per_second(), b = without->summary.frames_per_second();
    const double loss = b > 0 ? 100.0 * (1.0 - a / b) : 0.0;
    losses.push_back(loss);
    if (without->bytes > 0) sizes.push_back(100.0 * (static_cast<double>(with->bytes) / static_cast<double>(without->bytes) - 1.0));
    std::printf("  %4d %12.1f %12.1f %7.1f%% %12.2f %12.2f\n", i, a, b, loss, static_cast<double>(with->bytes) / 1e6,
                static_cast<double>(without->bytes) / 1e6);
  }
  std::printf("  median loss of frames/s: %.1f %% (min %.1f, max %.1f); clip size: %+.1f %%\n", median_of(losses),
              *std::min_element(losses.begin(), losses.end()), *std::max_element(losses.begin(), losses.end()),
              median_of(sizes));
  return 0;
}

}  // namespace

int run_bench_convert(const Args& args) {
  Options opts("bench convert");
  opts.add("--project", "", "a project whose model/ to use");
  opts.add("--model", "", "a model folder or checkpoint file instead");
  opts.add("--input", "data/Megamind.avi", "the clip to measure on");
  opts.add("--device", "auto", "auto, cpu, cuda or cuda:N");
  opts.add("--threads", "1", "CPU threads of the model (0: MIRAGE_THREADS, else every core)");
  opts.flag("--no-watermark", "measure without the invisible watermark (to see its cost)");
  opts.add("--watermark-cost", "0", "N > 0: N alternating pairs of runs with and without the watermark; prints the loss");
  opts.flag("--json", "machine-readable output");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  const auto pairs = opts.get_int("--watermark-cost", 0, 100);
  if (!pairs) return usage_error(opts, pairs.error());
  fs::path model_path = opts.get("--model");
  if (model_path.empty() && !opts.get("--project").empty()) model_path = fs::path(opts.get("--project")) / "model";
  if (model_path.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--project or --model is required"});
  if (auto s = configure_model_threads(opts); !s) return usage_error(opts, s.error());
  auto model = swap::make_model_swapper(model_path, opts.get("--device"));
  if (!model) return command_error("bench convert", model.error());
  swap::ConvertOptions o;
  o.input = opts.get("--input");
  if (*pairs > 0) return bench_watermark_cost(o, **model, static_cast<int>(*pairs));
  auto run = bench_once(o, !opts.has("--no-watermark"), **model);
  if (!run) return command_error("bench convert", run.error());
  o.watermark = !opts.has("--no-watermark");
  const swap::ConvertSummary& s = run->summary;
  if (opts.has("--json")) {
    Json json = summary_json(o, s);
    json["model"] = (*model)->preset();
    json["limiting_stage"] = limiting_stage(s);
    json["bytes"] = run->bytes;
    std::printf("%s\n", json.dump(2).c_str());
    return 0;
  }
  const double n = std::max<double>(1.0, static_cast<double>(s.frames_written));
  std::printf("mirage bench convert: %s, model %s (%d px), %lld frames, faces on %lld\n", o.input.string().c_str(),
              (*model)->preset().c_str(), (*model)->resolution(), static_cast<long long>(s.frames_written),
              static_cast<long long>(s.frames_with_faces));
  std::printf("  end to end: %.1f frames/s (%.1f s, plus %.1f s set-up); clip %.2f MB\n", s.frames_per_second(),
              s.elapsed_s - s.setup_s, s.setup_s, static_cast<double>(run->bytes) / 1e6);
  auto row = [&](const char* stage, double seconds) { std::printf("  %-34s %7.2f ms/frame\n", stage, 1e3 * seconds / n); };
  row("decode (time the tracker waited)", s.stages.decode);
  row("track (detect every 6 / re-fit)", s.stages.track);
  row("prepare (model input, hull)", s.stages.prepare);
  row("infer", s.stages.infer);
  row("composite + label", s.stages.composite);
  row(o.watermark ? "watermark" : "watermark (off)", s.stages.watermark);
  row("encode (time blocked on ffmpeg)", s.stages.encode);
  std::printf("  limiting stage: %s\n", limiting_stage(s).c_str());
  return 0;
}

}  // namespace mirage::cli
