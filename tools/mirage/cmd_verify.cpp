// `mirage verify CLIP`: is this clip a Mirage output? Reads the container's metadata, the
// invisible watermark and the provenance record beside the clip; one verdict line.
// Exit 0: marked (any Mirage mark found), 1: no mark, 2: bad input.
#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/core/config.h"
#include "engine/media/provenance.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"

namespace mirage::cli {

int run_verify(const Args& args) {
  Options opts("verify");
  opts.allow_positional(1);
  opts.add("--seconds", "20", "seconds of the clip read for the watermark (from its start)");
  opts.add("--record", "", "the provenance record (default: CLIP.provenance.json)");
  opts.flag("--json", "details as JSON on stdout");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("usage: mirage verify CLIP [options]\n%s", opts.usage().c_str());
    return 0;
  }
  if (opts.positional().size() != 1) {
    return usage_error(opts, {ErrorCode::kInvalidArgument, "expected exactly one clip (mirage verify CLIP)"});
  }
  const std::string clip = opts.positional().front();
  auto seconds = opts.get_double("--seconds", 0.5, 1e6);
  if (!seconds) return usage_error(opts, seconds.error());
  if (opts.has("--record") && !std::filesystem::exists(opts.get("--record"))) {
    command_error("verify", {ErrorCode::kNotFound, "no such provenance record: " + opts.get("--record")});
    return 2;
  }
  auto verdict = media::verify_clip(clip, {.max_seconds = *seconds, .record = opts.get("--record")});
  if (!verdict) {
    command_error("verify", verdict.error());
    return 2;  // bad input; 1 means "not marked"
  }
  const media::ClipVerdict& v = *verdict;
  if (opts.has("--json")) {
    Json watermark = {{"found", v.watermark.found}, {"frames", v.watermark.frames},
                      {"seconds_read", v.seconds_read}, {"bit_agreement", v.watermark.bit_agreement},
                      {"weakest_bit_t", v.watermark.weakest_bit_t}, {"bits_corrected", v.watermark.corrected},
                      {"false_alarm_bound", media::watermark_payload_false_alarm()}, {"payload", nullptr}};
    if (v.watermark.payload) {
      const media::WatermarkPayload& p = *v.watermark.payload;
      watermark["payload"] = {{"version", p.version}, {"date", media::watermark_date(p.day)}, {"day", p.day},
                              {"model_tag", media::model_tag_hex(p.model)}};
    }
    const Json out = {{"clip", clip},
                      {"marked", v.marked},
                      {"verdict", v.line},
                      {"sha256", v.clip_sha256},
                      {"watermark", watermark},
                      {"metadata", {{"mirage_synthetic", v.metadata_tag}, {"comment", v.metadata_comment}}},
                      {"provenance", {{"state", std::string(media::to_string(v.record))},
                                      {"detail", v.record_detail},
                                      {"record", v.record_json.is_null() ? Json(nullptr) : v.record_json}}}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s: %s\n", clip.c_str(), v.line.c_str());
  }
  return v.marked ? 0 : 1;
}

}  // namespace mirage::cli
