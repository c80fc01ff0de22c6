// Extraction: faces from a video, an image or a folder of images into an aligned face set.
// This is what `mirage extract` and `mirage bench extract` run; front ends only add the
// progress bar and the summary.
//
//   face::ExtractOptions options{.input = "data/Megamind.avi", .output = "faces/megamind"};
//   auto summary = face::extract_faces(options, {
//       .on_progress = [](const face::ExtractProgress& p) { bar.show(p.frames_done); },
//       .on_problem = [](const Error& e) { std::fprintf(stderr, "%s\n", e.message.c_str()); }});
//   if (!summary) { print(summary.error().to_string()); return 1; }  // nothing could be done
//
// Pipeline: a decode thread reads frames ahead (media::FramePrefetcher); the calling thread
// tracks (FaceTracker: downscaled HOG every few frames, landmark re-fits in between), aligns,
// scores blur and writes PNGs; the metadata is saved every few hundred faces and at the end.
// Skippable problems (a frame that does not decode, a file in a folder that is not an image, a
// PNG that cannot be written) go to on_problem and the run goes on. An Error from
// extract_faces() means the run could not start or had to stop (missing input, an output folder
// that is not writable, a corrupt faceset.json); faces written before that stay listed in the
// set. Existing faces are never overwritten or dropped. Callbacks run on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "engine/core/error.h"
#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/tracking.h"

namespace mirage::face {

struct ExtractOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  int size = 256;                   // aligned crop side, pixels
  double coverage = 0.6;            // AlignOptions::coverage
  DetectorKind detector = DetectorKind::kHog;
  int every = 1;                    // use every Nth frame of a video
  double min_face_px = 100.0;       // smallest face to find; sets the detection scale
  int redetect_interval = 6;        // frames between full detections (1: no tracking)
  double min_score = 0.2;           // TrackerOptions::min_new_score (0: every detection is a face)
  bool smooth = true;               // One-Euro smoothing of the landmarks used for alignment
  bool write = true;                // false: run everything but write nothing (benchmarks)
  std::filesystem::path landmark_model = default_landmark_model_path();
};

// Frame downscale for detection so that a face of min_face_px is about as large as the
// smallest face the detector finds (80 px for HOG, 48 for the cascade); never above 1.
double detection_scale(DetectorKind kind, double min_face_px);

struct ExtractProgress {
  std::int64_t frames_done = 0;      // frames taken from the source (used or skipped by --every)
  std::int64_t frames_expected = -1; // -1 when unknown
  std::int64_t faces = 0;
  double elapsed_s = 0.0;
};

struct StageTimes {  // seconds of the calling thread spent in each stage
  double wait_decode = 0, track = 0, align = 0;
  double write = 0;  // handing faces to the writer thread (time blocked on a full queue)
};

struct ExtractSummary {
  std::int64_t frames_read = 0;        // frames decoded
  std::int64_t frames_used = 0;        // frames processed (after --every)
  std::int64_t decode_errors = 0;      // frames or files skipped
  std::int64_t frames_with_faces = 0;
  std::int64_t faces_written = 0;      // new faces in the set (0 with write = false)
  std::int64_t faces_found = 0;
  std::int64_t faces_before = 0;       // faces the set held before the run
  std::map<int, std::int64_t> faces_per_track;
  std::vector<std::int64_t> frames_with_face_indices;  // source indices of frames with a face
  TrackerStats tracker;
  StageTimes times;
  double setup_s = 0.0;    // opening the input and output, loading the models (~1.5 s)
  double elapsed_s = 0.0;  // the whole run, setup included
  // Frames per second from the first frame to the last (setup excluded).
  double frames_per_second() const {
    return elapsed_s > setup_s ? static_cast<double>(frames_read) / (elapsed_s - setup_s) : 0.0;
  }
};

struct ExtractCallbacks {
  std::function<void(const ExtractProgress&)> on_progress;  // after every frame
  std::function<void(const Error&)> on_problem;             // one per skipped item
  // Polled every frame: true stops the run with kCancelled; the faces written so far are saved
  // in the set (it stays consistent), the summary is lost.
  std::function<bool()> cancelled;
};

Result<ExtractSummary> extract_faces(const ExtractOptions& options, const ExtractCallbacks& callbacks = {});

}  // namespace mirage::face
