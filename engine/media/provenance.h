// The provenance record beside every clip Mirage writes, and `mirage verify`'s reading of a clip.
//
//   media::ProvenanceRecord r{.clip = out, .source = in, .weights_sha256 = sha, ...};
//   if (auto s = media::write_provenance_record(r); !s) ...;   // out + ".provenance.json"
//   auto verdict = media::verify_clip("renders/take1.mp4");    // metadata, watermark, record
//   std::puts(verdict->line.c_str());
//
// The record (JSON, written atomically): format "mirage-provenance" version 1, the clip's name and
// SHA-256, the source video's path and SHA-256 (a camera's path, "live": true), the model (preset, SHA-256 of its
// weights, and the checkpoint file with its SHA-256 when the weights came from one), the
// watermark payload embedded (or null), the settings (free-form JSON from the writer: identity,
// range, encoder, compositing options, label), the time (UTC, ISO 8601) and Mirage's version.
// Hashes say whether bytes changed; nothing here is signed (docs/results/watermark.md says what
// C2PA would add).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/media/watermark.h"

namespace mirage::media {

struct ProvenanceRecord {
  std::filesystem::path clip;    // the finished clip (hashed when written)
  std::filesystem::path source;  // the video it was made from (hashed when written)
  bool source_is_live = false;   // a camera: named, not hashed (its "sha256" is null, "live" true)
  std::string model_preset;
  std::string weights_sha256;
  std::filesystem::path checkpoint;  // empty: the weights were a trainer's snapshot
  std::optional<WatermarkPayload> watermark;
  Json settings = Json::object();
};

// <clip>.provenance.json
std::filesystem::path provenance_path(const std::filesystem::path& clip);

// Hashes the clip, the source and the checkpoint and writes the record atomically.
// Errors: kNotFound / kIo (a file to hash), kIo (the record).
Status write_provenance_record(const ProvenanceRecord& record);

enum class RecordState {
  kAbsent,       // no record beside the clip
  kMatches,      // the clip's SHA-256 is the one recorded
  kClipChanged,  // the record is valid but the clip's bytes are not the recorded ones
  kDamaged,      // not a readable record (malformed JSON, wrong format, missing fields)
};
std::string_view to_string(RecordState state);

// A record's text checked against the clip's SHA-256 (hex): what verify_clip does with the file
// beside the clip. Never fails: a malformed record is kDamaged with the reason in `detail`.
struct RecordCheck {
  RecordState state = RecordState::kAbsent;
  std::string detail;  // why damaged / what changed
  Json json;           // the record, when readable
};
RecordCheck check_provenance_record(std::string_view text, std::string_view clip_sha256, std::string_view where);

// The container tags in ffprobe's `-show_entries format_tags -of json` output ({} when there are
// none or the text is not that).
Json parse_ffprobe_tags(std::string_view ffprobe_output);

struct ClipVerdict {
  bool marked = false;              // any Mirage mark: watermark, metadata tag or matching record
  std::string line;                 // the one-line verdict
  WatermarkReading watermark;
  double seconds_read = 0;
  bool metadata_tag = false;        // the container says mirage_synthetic=1
  std::string metadata_comment;     // the container's comment tag, if any
  RecordState record = RecordState::kAbsent;
  std::string record_detail;        // why damaged / what changed
  Json record_json;                 // the record as read, when readable
  std::string clip_sha256;
};

struct VerifyOptions {
  double max_seconds = 20;            // frames read for the watermark (from the start)
  std::filesystem::path record;       // empty: provenance_path(clip)
  std::string ffprobe = "ffprobe";
};

// Errors: kNotFound (no such file), kUnsupported (not a video OpenCV/FFmpeg can decode).
Result<ClipVerdict> verify_clip(const std::filesystem::path& clip, const VerifyOptions& options = {});

}  // namespace mirage::media
