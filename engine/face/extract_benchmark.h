// The numbers behind `mirage bench extract`: the speed of each extraction stage on one clip and
// of the whole pipeline, and how many of the frames on which full-resolution HOG finds a face
// the faster paths still cover.
//
//   auto report = face::benchmark_extraction({.input = "data/Megamind.avi"});
//   if (report) std::printf("%.1f frames/s end to end\n", report->end_to_end_fps);
//
// The stages run one after the other on frames decoded into memory first; the end-to-end run is
// extract_faces() into a scratch face set in the temp folder, removed afterwards. Takes about
// 20 s on Megamind.avi on two cores. Not a test: nothing is compared with a limit.
#pragma once

#include <cstdint>
#include <filesystem>

#include "engine/core/error.h"

namespace mirage::face {

struct ExtractBenchmarkOptions {
  std::filesystem::path input = "data/Megamind.avi";
  double min_face_px = 100.0;
  int redetect_interval = 6;
};

struct ExtractBenchmarkReport {
  std::int64_t frames = 0;
  std::int64_t reference_frames = 0;  // frames with a face by full-resolution HOG
  double decode_fps = 0, grey_fps = 0, hog_full_fps = 0, hog_scaled_fps = 0, hog_scale = 1;
  double hog_scaled_coverage = 0;     // percent of reference frames
  double landmark_fits_per_s = 0, align_per_s = 0;
  double tracker_fps = 0, tracker_coverage = 0;
  std::int64_t tracker_detections = 0;
  double end_to_end_fps = 0, end_to_end_coverage = 0;  // fps from the first frame to the last
  double end_to_end_setup_s = 0;                         // opening files and loading models, once
  std::int64_t end_to_end_frames_with_faces = 0, end_to_end_faces = 0;
};

Result<ExtractBenchmarkReport> benchmark_extraction(const ExtractBenchmarkOptions& options);

}  // namespace mirage::face
