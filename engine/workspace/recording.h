// Clips: how `mirage convert` and the studio's recorder make them, one way for both.
//
//   workspace::RenderRequest r{.input = "in.mp4", .output = "renders/out.mp4", .to = SwapTo::kBoth,
//                              .faces_a = "p/faces/a", .faces_b = "p/faces/b"};
//   auto summary = workspace::render_clip(r, *model, callbacks);     // on this thread (`mirage convert`)
//   auto take = workspace::Recording::render(r, std::move(model));  // on its own thread (the studio)
//   auto live = workspace::Recording::capture(player, {...});       // what a live source shows
//
// render_clip(): the request becomes swap::convert_video's options (with an A/B classifier
// trained on the two face sets when both identities swap); every frame at full quality, H.264
// + the source's audio, the synthetic tag, the visible mark and the invisible watermark unless
// turned off explicitly, the provenance record beside the clip, nothing under the output name
// unless complete.
// Recording::capture(): frames a live player shows (a camera) written in real time at the
// source's rate (the newest shown frame in each slot, so the clip lasts as long as the
// recording did), labelled and watermarked the same way; no audio.
// A Recording's members are thread-safe; its destructor cancels (no partial clip is left).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/core/composite_options.h"
#include "engine/core/error.h"
#include "engine/core/worker.h"
#include "engine/swap/convert.h"
#include "engine/workspace/player.h"
#include "engine/workspace/project.h"

namespace mirage::workspace {

struct RenderRequest {
  std::filesystem::path input;
  std::filesystem::path output;       // .mp4, .m4v, .mov or .mkv
  SwapTo to = SwapTo::kB;
  std::filesystem::path faces_a, faces_b;  // with SwapTo::kBoth: the classifier's face sets
  double start_s = 0;
  double end_s = -1;                  // < 0: to the end
  swap::SwapperOptions swapper;      // the compositing options, hull and crop size
  swap::CompositorKind compositor = swap::CompositorKind::kAuto;
  bool label = true;                  // the visible "synthetic" mark
  bool watermark = true;              // the invisible one
  bool provenance = true;             // <output>.provenance.json
  bool overwrite = false;
  int crf = 18;
  bool model_on_one_thread = false;   // beside a trainer: the model's Torch work on one thread
};

// convert_video()'s errors, and the classifier's (face sets missing or too small) for kBoth.
Result<swap::ConvertSummary> render_clip(const RenderRequest& request, const swap::FaceSwapper& model,
                                         const swap::ConvertCallbacks& callbacks = {});

struct LiveCaptureRequest {
  std::filesystem::path output;
  std::filesystem::path source;       // the camera (named in the provenance record, not hashed)
  double seconds = -1;                // > 0: stop by itself after this long
  std::string model_preset;           // for the tag and the provenance record
  std::string weights_sha256;
  bool watermark = true;
  int crf = 18;
};

struct RecordingStatus {
  bool running = false;
  bool live = false;
  std::int64_t frames_done = 0;
  std::int64_t frames_expected = -1;
  std::int64_t frames_lost = 0;       // live: shown frames the writer could not keep up with
  std::filesystem::path output;
  std::string result;                 // when finished: "wrote <path> (...)" or the error
  bool succeeded = false;
};

class Recording {
 public:
  // render_clip() on a thread of its own with `model` (kept alive by the recording).
  static std::unique_ptr<Recording> render(RenderRequest request, std::shared_ptr<const swap::FaceSwapper> model);
  // Frames `player` shows from now on; the player must outlive the recording. kInvalidArgument
  // for a source that is not live, kIo when the output exists or its folder cannot be made.
  static Result<std::unique_ptr<Recording>> capture(Player& player, const LiveCaptureRequest& request);
  ~Recording();
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  void stop();    // live: end the clip now and keep it; a render: as cancel()
  void cancel();  // end now; nothing is left under the output name
  bool done() const { return done_; }
  RecordingStatus status() const;

  struct LiveState;

 private:
  Recording() = default;
  void finish(bool succeeded, std::string result);

  std::atomic<bool> cancel_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::int64_t> frames_done_{0};
  std::atomic<std::int64_t> frames_expected_{-1};
  std::atomic<std::int64_t> frames_lost_{0};
  bool live_ = false;
  std::filesystem::path output_;
  mutable std::mutex mutex_;
  std::string result_;
  bool succeeded_ = false;
  std::shared_ptr<const swap::FaceSwapper> model_;
  Player* player_ = nullptr;
  std::shared_ptr<LiveState> live_state_;
  Worker thread_;  // last: stopped first
};

}  // namespace mirage::workspace
