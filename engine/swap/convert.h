// Video conversion: every face of a clip swapped to one identity, written as a labelled H.264
// clip with the source's audio. What `mirage convert` and `mirage bench convert` run.
//
//   auto model = swap::make_model_swapper(project / "model");
//   swap::ConvertOptions o{.input = "data/Megamind.avi", .output = "renders/megamind_b.mp4", .to = 1};
//   auto summary = swap::convert_video(o, **model, {.on_progress = [&](const auto& p) { ... }});
//   if (!summary) { print(summary.error().to_string()); return 1; }   // nothing was written
//
// Pipeline (stages overlap, frames stay in order): decode (media::FramePrefetcher thread) ->
// track + prepare (thread "track": face::FaceTracker with One-Euro smoothing, as extraction;
// model inputs cut) -> infer (thread "infer": FaceSwapper::swap on the faces of every frame
// already waiting, up to 8 frames per call, since a batch uses the cores far better) ->
// composite + label + encode (the calling thread, with the compositor options.compositor picks
// at the first frame; the encoder is an ffmpeg child process fed through a pipe). Frames without a face (none found, or tracking lost) pass through unchanged
// (label apart) and are counted. Frames outside [start_s, end_s) are decoded and dropped.
// The clip is written to a temporary name and renamed at the end (media::VideoWriter); any
// error removes it. Metadata: comment and description "synthetic: made with Mirage <version>,
// model <preset>", plus "mirage_synthetic=1". Callbacks run on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "engine/core/error.h"
#include "engine/face/landmarks.h"
#include "engine/swap/frame_compositor.h"
#include "engine/swap/swapper.h"

namespace mirage::swap {

inline constexpr int kSwapBoth = -1;

struct ConvertOptions {
  std::filesystem::path input;
  std::filesystem::path output;   // .mp4 / .mkv / .mov
  int to = 1;                     // the identity every face becomes; kSwapBoth: see identity_of
  // With to == kSwapBoth, each face becomes the other identity than the one identity_of gives
  // its aligned face (kAlignedSide, kAlignedCoverage; a majority vote over its track so far).
  std::function<int(const cv::Mat& aligned_face)> identity_of;
  double start_s = 0.0;
  double end_s = -1.0;            // < 0: to the end
  SwapperOptions swapper;
  CompositorKind compositor = CompositorKind::kAuto;  // see choose_compositor()
  bool label = true;              // the visible "synthetic" mark
  bool watermark = true;          // the invisible one (engine/media/watermark.h); off only explicitly
  bool provenance = true;         // <output>.provenance.json beside the clip (engine/media/provenance.h)
  bool overwrite = false;
  double min_face_px = 100.0;     // as extraction
  int redetect_interval = 6;
  bool model_on_one_thread = false;  // the model's Torch work on its thread alone (beside a trainer)
  std::string preset = "veryfast";  // libx264
  int crf = 18;
  std::filesystem::path landmark_model = face::default_landmark_model_path();
};

// The metadata value every clip carries (comment, description).
std::string synthetic_tag(const std::string& model_preset);

struct ConvertProgress {
  std::int64_t frames_done = 0;
  std::int64_t frames_expected = -1;
  std::int64_t faces = 0;
};

// Seconds each stage was busy (its own thread's work, waits excluded), summed over frames.
struct ConvertStageSeconds {
  double decode = 0;     // the decode thread is not timed itself: time the track stage waited
  double track = 0;      // tracker (detect / landmark re-fit / smoothing)
  double prepare = 0;    // aligned model inputs and hull masks
  double infer = 0;
  double composite = 0;  // compositor + label
  double watermark = 0;  // the invisible watermark
  double encode = 0;     // handing frames to ffmpeg (blocks while ffmpeg is behind)
};

struct ConvertSummary {
  std::int64_t frames_written = 0;
  std::int64_t frames_with_faces = 0;
  std::int64_t frames_without_faces = 0;  // passed through unchanged
  std::int64_t faces_swapped = 0;
  std::int64_t decode_errors = 0;
  std::int64_t detections = 0;
  double fps = 0.0;          // of the clip
  std::string compositor;    // FrameCompositor::description() of the one used
  std::string compositor_reason;  // why (CompositorChoice::reason)
  ConvertStageSeconds stages;
  double setup_s = 0.0;      // opening input, output, detector and landmark models
  double elapsed_s = 0.0;
  double frames_per_second() const {
    return elapsed_s > setup_s ? static_cast<double>(frames_written) / (elapsed_s - setup_s) : 0.0;
  }
};

struct ConvertCallbacks {
  std::function<void(const ConvertProgress&)> on_progress;  // after every written frame
  std::function<void(const Error&)> on_problem;             // skipped frames (decode errors)
  std::function<bool()> cancelled;  // polled every frame: true stops with kCancelled, no file left
};

// Errors: the input's (kNotFound, kUnsupported), the output's (kIo: exists without overwrite,
// folder missing), kInvalidArgument (options, an identity the model does not have), the
// model's, ffmpeg's (kIo), the provenance record's (kIo). No output file exists after an error.
// With watermark on, every frame carries the payload {version, today (UTC), the first 24 bits of
// model.weights_sha256()}; with provenance on, the record names the clip's, the source's and the
// checkpoint's SHA-256 and these options.
Result<ConvertSummary> convert_video(const ConvertOptions& options, const FaceSwapper& model,
                                     const ConvertCallbacks& callbacks = {});

}  // namespace mirage::swap
