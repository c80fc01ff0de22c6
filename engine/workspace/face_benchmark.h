// `mirage bench faces`: the face browser's engine side on a big set, with the same classes the
// studio uses, timed on the UI thread as the studio calls them. A set of N faces (5,000 by
// default) is made from the sample clip's faces (extracted once; each PNG hard-linked under N/266
// names, so the set is as big as a real one on disk), then:
//   - open: the browser's frames at 30 frames/s ask FaceLibrary::sets_now() and view_now()
//     until the set is read on the library's thread: how long that takes, and the UI thread's
//     longest frame meanwhile (with sets() and view(), which wait, for comparison);
//   - per frame, cached: what the browser asks each frame once the set is read;
//   - first screen: from asking for the first screen's thumbnails to having them all;
//   - scrolling at a steady speed through the whole set, a stand-in UI at 30 frames/s asks for
//     the faces in view and takes at most ThumbnailAtlas::kUploadsPerFrame made thumbnails a
//     frame: the UI thread's time per frame (the budget is 33 ms) and thumbnails made per second.
// What ImGui and the GPU upload cost is the studio's own (measured with mirage-studio --script:
// docs/results/face_browser.md). It prints; tests never time anything.
#pragma once

#include <filesystem>

#include "engine/core/error.h"

namespace mirage::workspace {

struct FaceBenchmarkOptions {
  std::filesystem::path clip;     // the sample clip whose faces make the set
  int faces = 5000;
  int columns = 8, rows = 5;      // a screen of the grid (the studio's 900 x 560 window: 8 x 5)
  int uploads_per_frame = 24;     // ThumbnailAtlas::kUploadsPerFrame
  int scroll_rows_per_second = 12;
  std::filesystem::path keep;     // non-empty: leave the project here (for the studio run)
};

struct FaceBenchmark {
  int faces = 0;
  double make_s = 0;               // extraction + linking (not part of the browser)
  // Opening: the UI asks every frame (sets_now(), view_now()) until the set is read.
  double read_ms = 0;              // from the first ask to the set's faces listed
  double open_frame_ms_max = 0;    // the UI thread's longest frame meanwhile
  double sets_ms = 0, view_ms = 0;  // for comparison: sets() and view() of a fresh library (they wait)
  double cached_frame_ms = 0;      // sets_now() + view_now() again, unchanged on disk (mean of 100)
  double first_screen_ms = 0;      // after that, every thumbnail of the first screen made and taken
  int first_screen_faces = 0;
  // Scrolling through everything.
  int frames = 0;
  double scroll_s = 0;
  double ui_frame_ms_mean = 0, ui_frame_ms_p95 = 0, ui_frame_ms_max = 0;
  double thumbnails_per_s = 0;
  double shown_share = 0;          // of the faces in view each frame, the share with a thumbnail
};

Result<FaceBenchmark> run_face_benchmark(const FaceBenchmarkOptions& options);

}  // namespace mirage::workspace
