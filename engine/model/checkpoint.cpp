#include "engine/model/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "engine/core/file_io.h"
#include "engine/core/log.h"

namespace mirage::model {
namespace {

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const std::string_view part : {a, b}) {
    for (const char c : part) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
  }
  return hash;
}

bool parse_step(const std::filesystem::path& path, std::int64_t& step) {
  const std::string name = path.filename().string();
  constexpr std::string_view kPrefix = "checkpoint-";
  if (!name.starts_with(kPrefix) || !name.ends_with(kCheckpointExtension)) return false;
  const char* begin = name.data() + kPrefix.size();
  const char* end = name.data() + name.size() - kCheckpointExtension.size();
  const auto [ptr, ec] = std::from_chars(begin, end, step);
  return ec == std::errc() && ptr == end;
}

}  // namespace

Error legacy_payload_error(std::string_view source) {
  return {ErrorCode::kUnsupported,
          format("{}: a checkpoint of Mirage 0.1 (format 1): run 'mirage checkpoint upgrade {}' once to read it",
                 source, source)};
}

std::string encode_checkpoint(const CheckpointHeader& header, std::string_view payload) {
  const Json json{{"preset", header.preset}, {"resolution", header.resolution},
                  {"step", header.step},     {"seed", header.seed},
                  {"crop", Json{{"fraction", header.crop.fraction}, {"shift_y", header.crop.shift_y}}},
                  {"config", header.config}};
  const std::string text = json.dump();
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx",
                static_cast<unsigned long long>(fnv1a(text, payload)));
  std::string out = format("{} {} {} {} {}\n", kCheckpointMagic, kCheckpointVersion, text.size(),
                           payload.size(), checksum);
  out.reserve(out.size() + text.size() + payload.size());
  out += text;
  out += payload;
  return out;
}

Result<Checkpoint> decode_checkpoint(std::string bytes, std::string_view source) {
  const auto foreign = [&] {
    return fail(ErrorCode::kCorrupt, "{}: not a Mirage checkpoint", source);
  };
  if (!std::string_view(bytes).starts_with(kCheckpointMagic)) return foreign();
  const auto newline = bytes.find('\n');
  if (newline == std::string::npos || newline > 200) return foreign();
  // "<version> <header bytes> <payload bytes> <checksum hex>", each field read whole and strictly
  // (sscanf's overflow behaviour is undefined).
  std::uint64_t fields[4] = {};
  std::string_view rest = std::string_view(bytes).substr(kCheckpointMagic.size(), newline - kCheckpointMagic.size());
  for (int i = 0; i < 4; ++i) {
    if (!rest.starts_with(' ')) return foreign();
    rest.remove_prefix(1);
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), fields[i], i == 3 ? 16 : 10);
    if (error != std::errc() || end == rest.data()) return foreign();
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  }
  if (!rest.empty()) return foreign();
  const std::uint64_t version = fields[0], header_size = fields[1], payload_size = fields[2], checksum = fields[3];
  if (version > static_cast<std::uint64_t>(kCheckpointVersion) || version < 1) {
    return fail(ErrorCode::kUnsupported, "{}: checkpoint format version {} (this build reads {})",
                source, version, kCheckpointVersion);
  }
  const std::size_t body = newline + 1;
  const std::uint64_t available = bytes.size() - body;
  // Compared without adding the two sizes, which could wrap around.
  if (header_size > available || payload_size != available - header_size) {
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (truncated: {} bytes where the first line says {} + {})",
                source, available, header_size, payload_size);
  }
  const std::string_view text(bytes.data() + body, header_size);
  const std::string_view payload(bytes.data() + body + header_size, payload_size);
  if (fnv1a(text, payload) != checksum) {
    return fail(ErrorCode::kCorrupt, "{}: damaged checkpoint (checksum mismatch)", source);
  }
  auto json = parse_json(text, source);
  if (!json) return std::unexpected(json.error());
  Checkpoint checkpoint;
  ConfigReader reader(*json, std::string(source));
  reader.require("preset");
  reader.require("resolution");
  reader.require("step");
  reader.read("preset", checkpoint.header.preset);
  reader.read("resolution", checkpoint.header.resolution, 1, 4096);
  reader.read("step", checkpoint.header.step, 0, std::int64_t{1} << 50);
  std::int64_t seed = 0;
  reader.read("seed", seed, 0, std::numeric_limits<std::int64_t>::max());
  checkpoint.header.crop = kLegacyCrop;  // written by every save since 2026-12-07
  if (find_field(*json, "crop") != nullptr) {
    reader.require("crop.fraction");
    reader.require("crop.shift_y");
    reader.read("crop.fraction", checkpoint.header.crop.fraction, 0.0, 1.0);
    reader.read("crop.shift_y", checkpoint.header.crop.shift_y, -0.5, 0.5);
  }
  if (!reader.ok()) {
    return fail(ErrorCode::kCorrupt, "{}", reader.status().error().message);
  }
  if (auto valid = validate(checkpoint.header.crop); !valid) {
    return fail(ErrorCode::kCorrupt, "{}: {}", source, valid.error().message);
  }
  checkpoint.header.seed = static_cast<std::uint64_t>(seed);
  if (const Json* config = find_field(*json, "config"); config != nullptr) {
    checkpoint.header.config = *config;
  }
  checkpoint.version = static_cast<int>(version);
  checkpoint.payload = std::string(payload);
  return checkpoint;
}

std::string checkpoint_file_name(std::int64_t step) {
  std::string digits = std::to_string(step);
  if (digits.size() < 12) digits.insert(0, 12 - digits.size(), '0');
  return "checkpoint-" + digits + std::string(kCheckpointExtension);
}

std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& model_dir) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(model_dir, ec)) {
    std::int64_t step = 0;
    if (entry.is_regular_file(ec) && parse_step(entry.path(), step)) {
      found.emplace_back(step, entry.path());
    }
  }
  std::ranges::sort(found, std::greater<>{}, [](const auto& f) { return f.first; });
  std::vector<std::filesystem::path> paths;
  for (auto& f : found) paths.push_back(std::move(f.second));
  return paths;
}

Status commit_checkpoint(const std::filesystem::path& model_dir, std::int64_t step,
                         std::string_view bytes, int keep) {
  std::error_code ec;
  std::filesystem::create_directories(model_dir, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create {}: {}", model_dir.string(), ec.message());
  // Temporaries of saves that a kill interrupted (the checkpoint before them stands).
  remove_stale_temporaries(model_dir);
  if (auto s = write_file_atomic(model_dir / checkpoint_file_name(step), bytes); !s) return s;
  const auto existing = list_checkpoints(model_dir);
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 1)); i < existing.size(); ++i) {
    std::filesystem::remove(existing[i], ec);
  }
  return ok();
}

Result<Checkpoint> load_checkpoint(const std::filesystem::path& dir_or_file) {
  std::error_code ec;
  if (!std::filesystem::exists(dir_or_file, ec)) {
    return fail(ErrorCode::kNotFound, "no checkpoint at {}", dir_or_file.string());
  }
  const auto read_one = [](const std::filesystem::path& path) -> Result<Checkpoint> {
    auto bytes = read_file(path);
    if (!bytes) return std::unexpected(bytes.error());
    auto checkpoint = decode_checkpoint(std::move(*bytes), path.string());
    if (checkpoint) checkpoint->path = path;
    return checkpoint;
  };
  if (!std::filesystem::is_directory(dir_or_file, ec)) return read_one(dir_or_file);
  std::optional<Error> first_error;
  for (const auto& path : list_checkpoints(dir_or_file)) {
    auto checkpoint = read_one(path);
    if (checkpoint) return checkpoint;
    log::warn("skipping checkpoint: {}", checkpoint.error().message);
    if (!first_error) first_error = checkpoint.error();
  }
  if (first_error) return std::unexpected(*first_error);
  return fail(ErrorCode::kNotFound, "no checkpoint in {}", dir_or_file.string());
}

Status check_preset(const Checkpoint& checkpoint, std::string_view preset) {
  if (checkpoint.header.preset == preset) return ok();
  return fail(ErrorCode::kInvalidArgument, "checkpoint {} is preset '{}' ({} px), not '{}'",
              checkpoint.path.string(), checkpoint.header.preset, checkpoint.header.resolution,
              preset);
}

}  // namespace mirage::model
