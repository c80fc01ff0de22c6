// `mirage bench watermark`: how invisible and how robust the watermark is, and that it never
// fires on a clip without it.
//
//   auto report = media::run_watermark_benchmark({.input = "data/Megamind.avi"});
//
// 1. Invisible: `seconds` of the input from `start_s` marked in memory: PSNR marked vs unmarked (mean,
//    worst frame) and ms per frame of embedding. The marked frames are written at crf 18 (as
//    `convert` writes), and a crop of the flattest area is saved marked, unmarked and with the
//    difference amplified x32 (`look_at`), for the eye.
// 2. Robust: each attack (ffmpeg, x264 at its default preset, medium) on the marked clip, then
//    the detector on 2 s of what came out: crf 23 / 28 / 35, 50 % and 150 % scale, greyscale,
//    15 fps, the first and last second cut, and two combinations; then crf 35 and 50 % + crf 35
//    again with x264's veryfast preset (harsher). A row passes when the payload decodes to exactly
//    what was embedded.
// 3. Never a false alarm: the detector on unmarked clips: every video in `unmarked_folder`
//    (Debian's opencv-doc examples), their re-encodes (crf 23, crf 35; preset veryfast) and scaled
//    copies (50 %, 150 %), and generated clips (white noise, blurred noise, flat grey, flat black, a moving
//    gradient). A row passes when nothing is found; z_P is printed (about N(0, 1)).
// Work files live in a temporary folder that is removed at the end.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/media/watermark.h"

namespace mirage::media {

struct WatermarkBenchmarkOptions {
  std::filesystem::path input = "data/Megamind.avi";
  double start_s = 0;     // where in the input the marked clip begins (robustness varies along a clip)
  double seconds = 4.0;   // marked clip length (the cut attack keeps its middle 2 s)
  double detect_seconds = 2.0;
  std::filesystem::path unmarked_folder = "/usr/share/doc/opencv-doc/examples/data";
  std::filesystem::path look_at;  // when set: a PNG with the flattest area marked / unmarked / x32 difference
  WatermarkStrength strength;
};

// One attack of the robustness table: ffmpeg's arguments before and after its input, and x264's
// preset ("medium", x264's own default, is what `ffmpeg -i IN -crf N OUT` gives).
struct WatermarkAttack {
  std::string name;
  std::vector<std::string> before, after;
  std::string preset = "medium";
  bool harsher = false;  // beyond the list: reported, not required
};

// The attacks on a marked clip of `clip_seconds` (the cut keeps its middle 2 s), then the
// harsher ones; the first row ("none") has no arguments: the clip as written.
std::vector<WatermarkAttack> watermark_attacks(double clip_seconds);
// Errors: ffmpeg's (kNotFound, kIo).
Status apply_watermark_attack(const std::filesystem::path& in, const std::filesystem::path& out,
                              const WatermarkAttack& attack);

struct WatermarkAttackRow {
  std::string attack;
  bool harsher = false;  // beyond the list (x264 veryfast): reported, not required
  int frames = 0;
  double bit_agreement = 0;
  double weakest_bit_t = 0;
  bool found = false;
  bool payload_exact = false;
  int bit_errors = 0;    // of the kWatermarkBits coded bits, before the code corrects them
};

struct WatermarkCleanRow {
  std::string clip;
  int frames = 0;
  double bit_agreement = 0;
  bool found = false;
};

struct WatermarkBenchmark {
  WatermarkPayload payload;
  int frames = 0;
  double psnr_mean_db = 0;
  double psnr_min_db = 0;
  double embed_ms = 0;    // per frame, median
  double detect_ms = 0;   // per frame, median
  std::vector<WatermarkAttackRow> attacks;
  std::vector<WatermarkCleanRow> clean;
  int attacks_listed() const;   // the rows that are not `harsher`
  int attacks_passed() const;   // of those, decoded exactly
  int harsher_passed() const;
  int false_alarms() const;
};

// Errors: the input's (kNotFound, kUnsupported), ffmpeg's (kNotFound, kIo).
Result<WatermarkBenchmark> run_watermark_benchmark(const WatermarkBenchmarkOptions& options);

}  // namespace mirage::media
