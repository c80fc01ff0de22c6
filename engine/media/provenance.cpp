#include "engine/media/provenance.h"

#include <ctime>

#include "engine/core/file_io.h"
#include "engine/core/format.h"
#include "engine/core/sha256.h"
#include "engine/media/frame_source.h"
#include "engine/media/process.h"
#include "mirage/build_info.h"

namespace mirage::media {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormat = "mirage-provenance";
constexpr int kRecordVersion = 1;

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Json payload_json(const WatermarkPayload& p) {
  return {{"version", p.version}, {"day", p.day}, {"date", watermark_date(p.day)}, {"model_tag", model_tag_hex(p.model)}};
}

// The container's tags through ffprobe ({} when there are none or ffprobe is missing).
Json container_tags(const fs::path& clip, const std::string& ffprobe) {
  auto r = run_program({ffprobe, "-v", "error", "-show_entries", "format_tags", "-of", "json", clip.string()}, true);
  if (!r || r->exit_code != 0) return Json::object();
  return parse_ffprobe_tags(r->output);
}

std::string tag(const Json& tags, std::string_view key) {
  for (const auto& [k, v] : tags.items()) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == key && v.is_string()) return v.get<std::string>();
  }
  return {};
}

}  // namespace

Json parse_ffprobe_tags(std::string_view ffprobe_output) {
  auto json = parse_json(ffprobe_output, "ffprobe");
  if (!json) return Json::object();
  const Json* tags = find_field(*json, "format.tags");
  return tags && tags->is_object() ? *tags : Json::object();
}

RecordCheck check_provenance_record(std::string_view text, std::string_view clip_sha256, std::string_view where) {
  auto json = parse_json(text, where);
  if (!json) return {RecordState::kDamaged, json.error().message, Json()};
  const Json* format_field = find_field(*json, "format");
  const Json* sha = find_field(*json, "clip.sha256");
  if (!format_field || *format_field != kFormat || !sha || !sha->is_string()) {
    return {RecordState::kDamaged,
            format("{}: not a Mirage provenance record (format or clip.sha256 missing)", where), Json()};
  }
  RecordCheck check{sha->get<std::string>() == clip_sha256 ? RecordState::kMatches : RecordState::kClipChanged, {},
                    std::move(*json)};
  if (check.state == RecordState::kClipChanged) {
    check.detail = format("the clip's SHA-256 is {}, the record says {}", clip_sha256.substr(0, 12),
                          printable(check.json["clip"]["sha256"].get<std::string>().substr(0, 12)));
  }
  return check;
}

fs::path provenance_path(const fs::path& clip) { return fs::path(clip.string() + ".provenance.json"); }

std::string_view to_string(RecordState state) {
  switch (state) {
    case RecordState::kAbsent: return "absent";
    case RecordState::kMatches: return "matches";
    case RecordState::kClipChanged: return "clip changed";
    case RecordState::kDamaged: return "damaged";
  }
  return "unknown";
}

Status write_provenance_record(const ProvenanceRecord& r) {
  auto clip_sha = sha256_file(r.clip);
  if (!clip_sha) return std::unexpected(clip_sha.error());
  Json source = {{"path", r.source_is_live ? r.source.string() : fs::absolute(r.source).lexically_normal().string()},
                 {"sha256", nullptr}};
  if (r.source_is_live) {
    source["live"] = true;
  } else {
    auto source_sha = sha256_file(r.source);
    if (!source_sha) return std::unexpected(source_sha.error());
    source["sha256"] = *source_sha;
  }
  Json model = {{"preset", r.model_preset}, {"weights_sha256", r.weights_sha256},
                {"checkpoint", nullptr}, {"checkpoint_sha256", nullptr}};
  if (!r.checkpoint.empty()) {
    auto checkpoint_sha = sha256_file(r.checkpoint);
    if (!checkpoint_sha) return std::unexpected(checkpoint_sha.error());
    model["checkpoint"] = fs::absolute(r.checkpoint).lexically_normal().string();
    model["checkpoint_sha256"] = *checkpoint_sha;
  }
  const Json record = {
      {"format", kFormat},
      {"version", kRecordVersion},
      {"clip", {{"name", r.clip.filename().string()}, {"sha256", *clip_sha}}},
      {"source", source},
      {"model", model},
      {"watermark", r.watermark ? payload_json(*r.watermark) : Json(nullptr)},
      {"settings", r.settings},
      {"synthetic", true},
      {"made_at", utc_now()},
      {"made_with", format("Mirage {}", build_info::kVersion)},
  };
  return save_json(provenance_path(r.clip), record);
}

Result<ClipVerdict> verify_clip(const fs::path& clip, const VerifyOptions& o) {
  std::error_code ec;
  if (!fs::is_regular_file(clip, ec)) return fail(ErrorCode::kNotFound, "{}: no such file", clip.string());
  auto source = FrameSource::open(clip);
  if (!source) return std::unexpected(source.error());
  if (source->kind() != SourceKind::kVideo) {
    return fail(ErrorCode::kUnsupported, "{}: not a video", clip.string());
  }
  ClipVerdict v;
  WatermarkDetector detector;
  int decoded = 0, failed = 0;
  while (true) {
    auto frame = source->next();
    if (!frame) {
      ++failed;
      continue;
    }
    if (!*frame || (*frame)->timestamp_s >= o.max_seconds) break;
    detector.add((*frame)->image);
    v.seconds_read = (*frame)->timestamp_s + 1.0 / std::max(1.0, source->fps());
    ++decoded;
  }
  if (decoded == 0) return fail(ErrorCode::kUnsupported, "{}: no frame could be decoded", clip.string());
  v.watermark = detector.reading();

  const Json tags = container_tags(clip, o.ffprobe);
  v.metadata_tag = tag(tags, "mirage_synthetic") == "1";
  v.metadata_comment = tag(tags, "comment");

  auto clip_sha = sha256_file(clip);
  if (!clip_sha) return std::unexpected(clip_sha.error());
  v.clip_sha256 = *clip_sha;
  const fs::path record_path = o.record.empty() ? provenance_path(clip) : o.record;
  if (fs::exists(record_path, ec)) {
    auto text = read_file(record_path);
    RecordCheck check = text ? check_provenance_record(*text, *clip_sha, record_path.string())
                             : RecordCheck{RecordState::kDamaged, text.error().message, Json()};
    v.record = check.state;
    v.record_detail = std::move(check.detail);
    v.record_json = std::move(check.json);
  }

  v.marked = v.watermark.found || v.metadata_tag || v.record == RecordState::kMatches;
  std::string line;
  if (v.watermark.found && v.watermark.payload) {
    const WatermarkPayload& p = *v.watermark.payload;
    line = format("synthetic, made by Mirage: watermark v{}, model {}, {} (read from {:.1f} s, {} frames; a clip "
                  "without it passes with probability <= {:.1e})",
                  p.version, model_tag_hex(p.model), watermark_date(p.day), v.seconds_read, v.watermark.frames,
                  watermark_payload_false_alarm());
  } else if (v.marked) {
    line = "synthetic, made by Mirage (no readable watermark)";
  } else {
    line = "no Mirage watermark found";
  }
  line += format("; metadata tag {}", v.metadata_tag ? "present" : "absent");
  switch (v.record) {
    case RecordState::kAbsent: line += "; no provenance record"; break;
    case RecordState::kMatches: line += "; provenance record matches"; break;
    case RecordState::kClipChanged: line += "; provenance record does NOT match the clip (" + v.record_detail + ")"; break;
    case RecordState::kDamaged: line += "; provenance record damaged (" + v.record_detail + ")"; break;
  }
  if (failed > 0) line += format("; {} frames could not be decoded", failed);
  v.line = line;
  return v;
}

}  // namespace mirage::media
