// `mirage bench watermark`: invisibility (PSNR), robustness (attacks through ffmpeg) and false
// alarms (unmarked clips) of the invisible watermark, as one table.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/format.h"
#include "engine/media/bch.h"
#include "engine/media/watermark_benchmark.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_bench_watermark(const Args& args) {
  Options opts("bench watermark");
  opts.add("--input", "data/Megamind.avi", "the clip to mark and attack");
  opts.add("--start", "0", "where in the clip to begin, in seconds (robustness varies along a clip)");
  opts.add("--seconds", "4", "seconds of it to mark (the cut attack keeps the middle)");
  opts.add("--unmarked", "/usr/share/doc/opencv-doc/examples/data", "a folder of videos that must not be found marked");
  opts.add("--look-at", "", "write a PNG of the flattest area: unmarked, marked, difference x32");
  opts.add("--max-rms", "2.0", "cap on the mark's RMS in grey levels");
  opts.flag("--json", "machine-readable output");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto seconds = opts.get_double("--seconds", 3, 60);
  auto max_rms = opts.get_double("--max-rms", 0.1, 20);
  auto start = opts.get_double("--start", 0, 1e6);
  for (const auto* r : {&seconds, &max_rms, &start}) {
    if (!*r) return usage_error(opts, r->error());
  }
  media::WatermarkBenchmarkOptions o{.input = opts.get("--input"), .start_s = *start, .seconds = *seconds,
                                     .unmarked_folder = opts.get("--unmarked"), .look_at = opts.get("--look-at")};
  o.strength = {.max_rms = *max_rms};
  auto report = media::run_watermark_benchmark(o);
  if (!report) return command_error("bench watermark", report.error());
  const media::WatermarkBenchmark& r = *report;
  if (opts.has("--json")) {
    nlohmann::json attacks = nlohmann::json::array(), clean = nlohmann::json::array();
    for (const auto& a : r.attacks) {
      attacks.push_back({{"attack", a.attack}, {"harsher", a.harsher}, {"frames", a.frames}, {"bit_agreement", a.bit_agreement},
                         {"weakest_bit_t", a.weakest_bit_t}, {"found", a.found}, {"payload_exact", a.payload_exact},
                         {"bit_errors", a.bit_errors}});
    }
    for (const auto& c : r.clean) {
      clean.push_back({{"clip", c.clip}, {"frames", c.frames}, {"bit_agreement", c.bit_agreement}, {"found", c.found}});
    }
    std::printf("%s\n", nlohmann::json{{"benchmark", "watermark"}, {"start_s", o.start_s}, {"frames", r.frames}, {"psnr_mean_db", r.psnr_mean_db},
                                       {"psnr_min_db", r.psnr_min_db}, {"embed_ms", r.embed_ms}, {"detect_ms", r.detect_ms},
                                       {"attacks", attacks}, {"attacks_passed", r.attacks_passed()},
                                       {"attacks_listed", r.attacks_listed()}, {"harsher_passed", r.harsher_passed()},
                                       {"unmarked", clean}, {"false_alarms", r.false_alarms()},
                                       {"payload_false_alarm", media::watermark_payload_false_alarm()}}
                            .dump(2).c_str());
    return r.attacks_passed() == r.attacks_listed() && r.false_alarms() == 0 ? 0 : 1;
  }
  std::printf("mirage bench watermark: %s from %.1f s, %d frames marked (RMS cap %.2f grey levels), payload %s\n",
              o.input.string().c_str(), o.start_s, r.frames, o.strength.max_rms,
              format("model {} day {}", media::model_tag_hex(r.payload.model), media::watermark_date(r.payload.day)).c_str());
  std::printf("  invisible: PSNR marked vs unmarked %.1f dB mean, %.1f dB worst frame; embed %.2f ms/frame, "
              "detect %.2f ms/frame\n", r.psnr_mean_db, r.psnr_min_db, r.embed_ms, r.detect_ms);
  std::printf("  robust (the payload from 2 s after each attack, x264 at its default preset unless named; found: "
              "BCH(127, 57) with Chase decoding reads a payload that checks out, P <= %.1e; bits wrong: before "
              "correction, %d always put right):\n", media::watermark_payload_false_alarm(), media::bch127::kCorrectable);
  std::printf("    %-34s %6s %9s %13s %10s  %s\n", "attack", "frames", "agreement", "weakest bit t", "bits wrong",
              "payload");
  for (const auto& a : r.attacks) {
    std::printf("    %-34s %6d %9.2f %13.2f %6d/%-3d  %s\n", a.attack.c_str(), a.frames, a.bit_agreement,
                a.weakest_bit_t, a.bit_errors, media::kWatermarkBits, a.payload_exact ? "decoded exactly" : a.found ? "found, payload wrong" : "NOT FOUND");
  }
  std::printf("  never a false alarm (per-clip bound %.0e):\n", media::kWatermarkFalseAlarm);
  std::printf("    %-44s %7s %9s  %s\n", "unmarked clip", "frames", "agreement", "verdict");
  double worst = -1e9;
  for (const auto& c : r.clean) {
    worst = std::max(worst, c.bit_agreement);
    std::printf("    %-44s %7d %9.2f  %s\n", c.clip.c_str(), c.frames, c.bit_agreement, c.found ? "FALSE ALARM" : "unmarked");
  }
  const int harsher = static_cast<int>(r.attacks.size()) - r.attacks_listed();
  std::printf("  summary: %d/%d attacks decoded exactly (and %d/%d of the harsher veryfast ones); %d false alarms on "
              "%zu unmarked clips (highest agreement %.2f)\n",
              r.attacks_passed(), r.attacks_listed(), r.harsher_passed(), harsher, r.false_alarms(), r.clean.size(), worst);
  return r.attacks_passed() == r.attacks_listed() && r.false_alarms() == 0 ? 0 : 1;
}

}  // namespace mirage::cli
