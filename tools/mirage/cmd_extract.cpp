// `mirage extract`: faces from a video, image or folder into an aligned face set, and
// `mirage bench extract`: the speed of each extraction stage and of the whole pipeline.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "engine/core/config.h"
#include "engine/core/format.h"
#include "engine/face/extract.h"
#include "engine/face/extract_benchmark.h"
#include "engine/face/sort.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"
#include "tools/mirage/progress.h"

namespace mirage::cli {
namespace {

namespace fs = std::filesystem;
// A fresh face set is clustered by identity right away, so the summary can say who was found;
// a set that already held faces keeps the identities it has (re-run 'mirage sort' for those).
Result<face::SortReport> identify(const fs::path& output) {
  auto set = face::FaceSet::load(output);
  if (!set) return std::unexpected(set.error());
  return face::sort_face_set(*set, {.key = face::SortKey::kIdentity});
}

Json summary_json(const face::ExtractOptions& options, const face::ExtractSummary& s, std::int64_t problems,
                  const std::optional<face::SortReport>& identities) {
  Json tracks = Json::object();
  for (const auto& [track, count] : s.faces_per_track) tracks[std::to_string(track)] = count;
  Json per_identity = Json::array();
  if (identities) {
    for (const std::int64_t count : identities->per_identity) per_identity.push_back(count);
  }
  return Json{{"input", options.input.string()},
              {"output", options.output.string()},
              {"frames_read", s.frames_read},
              {"frames_used", s.frames_used},
              {"decode_errors", s.decode_errors},
              {"problems", problems},
              {"frames_with_faces", s.frames_with_faces},
              {"faces_found", s.faces_found},
              {"faces_written", s.faces_written},
              {"faces_in_set", s.faces_before + s.faces_written},
              {"faces_per_track", tracks},
              {"faces_per_identity", per_identity},
              {"detections", s.tracker.detections},
              {"seconds", s.elapsed_s},
              {"setup_seconds", s.setup_s},
              {"stage_seconds", {{"wait_decode", s.times.wait_decode}, {"track", s.times.track},
                                 {"align", s.times.align}, {"hand_to_writer", s.times.write}}},
              {"frames_per_second", s.frames_per_second()}};
}

void print_summary(const face::ExtractOptions& options, const face::ExtractSummary& s,
                   const std::optional<face::SortReport>& identities) {
  const double share = s.frames_used > 0 ? 100.0 * s.frames_with_faces / s.frames_used : 0.0;
  std::printf("%s: %lld frames read, %lld decode errors, faces on %lld of %lld frames (%.1f %%)\n",
              options.input.string().c_str(), static_cast<long long>(s.frames_read),
              static_cast<long long>(s.decode_errors), static_cast<long long>(s.frames_with_faces),
              static_cast<long long>(s.frames_used), share);
  std::printf("%lld faces written to %s (the set now holds %lld) in %.1f s (%.1f frames/s after %.1f s of set-up)\n",
              static_cast<long long>(s.faces_written), options.output.string().c_str(),
              static_cast<long long>(s.faces_before + s.faces_written), s.elapsed_s, s.frames_per_second(), s.setup_s);
  if (identities) {
    std::printf("faces per identity (%d found; 0 is the most frequent):\n", identities->clusters);
    for (std::size_t id = 0; id < identities->per_identity.size(); ++id) {
      std::printf("  identity %zu: %lld faces\n", id, static_cast<long long>(identities->per_identity[id]));
    }
    return;
  }
  if (s.faces_per_track.empty()) return;
  std::printf("faces per track (identities: 'mirage sort %s --by identity'):\n", options.output.string().c_str());
  for (const auto& [track, count] : s.faces_per_track) {
    std::printf("  track %d: %lld faces\n", track, static_cast<long long>(count));
  }
}

Result<face::ExtractOptions> read_options(const Options& opts) {
  face::ExtractOptions o;
  o.input = opts.get("--input");
  o.output = opts.get("--output");
  if (o.input.empty()) return fail(ErrorCode::kInvalidArgument, "--input is required");
  if (o.output.empty()) return fail(ErrorCode::kInvalidArgument, "--output is required");
  auto size = opts.get_int("--size", 32, 4096);
  auto every = opts.get_int("--every", 1, 100000);
  auto min_face = opts.get_int("--min-face", 20, 4096);
  auto redetect = opts.get_int("--redetect", 1, 1000);
  auto min_score = opts.get_double("--min-score", 0, 100);
  if (!min_score) return std::unexpected(min_score.error());
  o.min_score = *min_score;
  auto kind = face::parse_detector_kind(opts.get("--detector"));
  for (const auto* r : {&size, &every, &min_face, &redetect}) {
    if (!*r) return std::unexpected(r->error());
  }
  if (!kind) return std::unexpected(kind.error());
  o.size = static_cast<int>(*size);
  o.every = static_cast<int>(*every);
  o.min_face_px = static_cast<double>(*min_face);
  o.redetect_interval = static_cast<int>(*redetect);
  o.detector = *kind;
  return o;
}

}  // namespace

int run_extract(const Args& args) {
  Options opts("extract");
  opts.add("--input", "", "a video, an image or a folder of images");
  opts.add("--output", "", "the face-set folder (created, or appended to)");
  opts.add("--size", "256", "side of the aligned faces in pixels");
  opts.add("--detector", "hog", "hog (dlib, default) or cascade (OpenCV, faster, more false hits)");
  opts.add("--every", "1", "use every Nth frame of a video");
  opts.add("--min-face", "100", "smallest face to find, in frame pixels (smaller is slower)");
  opts.add("--redetect", "6", "frames between full detections; faces are tracked in between (1: detect on every frame)");
  opts.add("--min-score", "0.2", "a new face scoring below this must fit the mean face closely (drops badges, prints; 0: keep every detection)");
  opts.flag("--json", "print a machine-readable summary on stdout");
  opts.flag("--quiet", "no progress line");
  opts.flag("--no-identify", "do not cluster a new face set by identity at the end");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto options = read_options(opts);
  if (!options) return usage_error(opts, options.error());

  const bool json = opts.has("--json");
  ProgressBar bar("extract", -1, opts.has("--quiet"));
  std::int64_t problems = 0;
  face::ExtractCallbacks callbacks;
  callbacks.on_progress = [&](const face::ExtractProgress& p) {
    if (p.frames_done == 1) bar = ProgressBar("extract", p.frames_expected, opts.has("--quiet"));
    bar.update(p.frames_done, format("{} faces", p.faces));
  };
  callbacks.on_problem = [&](const Error& e) {
    ++problems;
    std::fprintf(stderr, "%smirage extract: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", e.message.c_str());
  };
  auto summary = face::extract_faces(*options, callbacks);
  bar.finish();
  if (!summary) return command_error("extract", summary.error());
  std::optional<face::SortReport> identities;
  if (summary->faces_before == 0 && summary->faces_written > 0 && !opts.has("--no-identify")) {
    auto report = identify(options->output);
    if (!report) return command_error("extract", report.error().with_context("identity clustering"));
    identities = *report;
  }
  if (json) {
    std::printf("%s\n", summary_json(*options, *summary, problems, identities).dump(2).c_str());
  } else {
    print_summary(*options, *summary, identities);
  }
  if (summary->faces_written == 0) {
    std::fprintf(stderr, "mirage extract: no faces found in %s\n", options->input.string().c_str());
    return 1;
  }
  return 0;
}

int run_bench_extract(const Args& args) {
  Options opts("bench extract");
  opts.add("--input", "data/Megamind.avi", "the clip to measure on");
  opts.add("--min-face", "100", "as for mirage extract");
  opts.add("--redetect", "6", "as for mirage extract");
  opts.flag("--json", "machine-readable output");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto min_face = opts.get_int("--min-face", 20, 4096);
  auto redetect = opts.get_int("--redetect", 1, 1000);
  if (!min_face) return usage_error(opts, min_face.error());
  if (!redetect) return usage_error(opts, redetect.error());
  face::ExtractBenchmarkOptions options;
  options.input = opts.get("--input");
  options.min_face_px = static_cast<double>(*min_face);
  options.redetect_interval = static_cast<int>(*redetect);
  auto report = face::benchmark_extraction(options);
  if (!report) return command_error("bench extract", report.error());
  const face::ExtractBenchmarkReport& r = *report;
  if (opts.has("--json")) {
    const Json json{{"input", options.input.string()}, {"frames", r.frames},
                    {"reference_frames_with_faces", r.reference_frames},
                    {"decode_fps", r.decode_fps}, {"grey_fps", r.grey_fps},
                    {"hog_full_fps", r.hog_full_fps}, {"hog_scaled_fps", r.hog_scaled_fps},
                    {"hog_scale", r.hog_scale}, {"hog_scaled_coverage_percent", r.hog_scaled_coverage},
                    {"landmark_fits_per_s", r.landmark_fits_per_s}, {"align_per_s", r.align_per_s},
                    {"tracker_fps", r.tracker_fps}, {"tracker_coverage_percent", r.tracker_coverage},
                    {"tracker_detections", r.tracker_detections},
                    {"end_to_end_fps", r.end_to_end_fps}, {"end_to_end_coverage_percent", r.end_to_end_coverage},
                    {"end_to_end_setup_seconds", r.end_to_end_setup_s},
                    {"end_to_end_frames_with_faces", r.end_to_end_frames_with_faces},
                    {"end_to_end_faces", r.end_to_end_faces}};
    std::printf("%s\n", json.dump(2).c_str());
    return 0;
  }
  std::printf("mirage bench extract: %s, %lld frames; full-resolution HOG finds faces on %lld\n",
              options.input.string().c_str(), static_cast<long long>(r.frames),
              static_cast<long long>(r.reference_frames));
  auto row = [](const std::string& stage, double rate, const char* unit, const std::string& note) {
    std::printf("  %-36s %8.1f %-9s %s\n", stage.c_str(), rate, unit, note.c_str());
  };
  row("decode (FFmpeg, one thread)", r.decode_fps, "frames/s", "");
  row("grey conversion", r.grey_fps, "frames/s", "");
  row("HOG detection, full resolution", r.hog_full_fps, "frames/s", "");
  row(format("HOG detection, scale {:.2f}", r.hog_scale), r.hog_scaled_fps, "frames/s",
      format("faces on {:.1f} % of reference frames", r.hog_scaled_coverage));
  row("68-point landmarks", r.landmark_fits_per_s, "faces/s", "");
  row("alignment (256 px)", r.align_per_s, "faces/s", "");
  row(format("tracking (detect every {} frames)", options.redetect_interval), r.tracker_fps, "frames/s",
      format("faces on {:.1f} % of reference frames, {} detections", r.tracker_coverage, r.tracker_detections));
  row("end to end (decode .. PNG)", r.end_to_end_fps, "frames/s",
      format("faces on {:.1f} % of reference frames, {} faces; plus {:.1f} s set-up (models)",
             r.end_to_end_coverage, r.end_to_end_faces, r.end_to_end_setup_s));
  return 0;
}

}  // namespace mirage::cli
