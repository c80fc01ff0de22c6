#include "engine/workspace/project.h"

#include <system_error>

#include "engine/core/format.h"

namespace mirage::workspace {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kModes[] = {"real-time", "every-frame"};

void read_composite(ConfigReader& reader, CompositeOptions& c) {
  for (const CompositeParam& p : composite_params()) {
    reader.read(format("composite.{}", p.key), c.*p.field, p.min_value, p.max_value);
  }
  std::string colour(to_string(c.colour)), blend(to_string(c.blend));
  reader.read_choice("composite.colour", colour, {"none", "rct", "mean", "hist"});
  reader.read_choice("composite.blend", blend, {"alpha", "seamless"});
  if (auto v = parse_colour_transfer(colour)) c.colour = *v;
  if (auto v = parse_blend_mode(blend)) c.blend = *v;
}

// Unknown keys in "composite" are named, like everywhere else (the keys come from the table).
Status check_composite_keys(const Json& json, const std::string& source_name) {
  const Json* object = find_field(json, "composite");
  if (object == nullptr || !object->is_object()) return ok();
  for (const auto& [key, value] : object->items()) {
    if (find_composite_param(key) || key == "colour" || key == "blend") continue;
    std::string allowed;
    for (const CompositeParam& p : composite_params()) allowed += format("{}, ", p.key);
    return fail(ErrorCode::kInvalidArgument, "{}: composite.{}: unknown field (allowed: {}colour, blend)",
                source_name, printable(key), allowed);
  }
  return ok();
}

}  // namespace

std::string_view to_string(PlayMode mode) { return kModes[static_cast<int>(mode)]; }

std::string_view to_string(SwapTo to) {
  switch (to) {
    case SwapTo::kA: return "a";
    case SwapTo::kB: return "b";
    case SwapTo::kBoth: return "both";
  }
  return "?";
}

Json to_json(const ProjectSettings& s) {
  return Json{{"schema", kProjectSchema},
              {"source", s.source.string()},
              {"faces", {{"a", s.faces_a.string()}, {"b", s.faces_b.string()}}},
              {"train",
               {{"preset", s.train.preset}, {"batch", s.train.batch}, {"learning_rate", s.train.learning_rate},
                {"gan", s.train.gan}, {"warp", s.train.warp}, {"save_every", s.train.save_every},
                {"loss_weights", model::to_json(s.train.loss_weights)}}},
              {"composite", composite_options_json(s.composite)},
              {"player",
               {{"mode", std::string(to_string(s.player.mode))}, {"loop", s.player.loop},
                {"to", std::string(to_string(s.player.to))}, {"snapshot_every_steps", s.player.snapshot_every_steps},
                {"snapshot_every_s", s.player.snapshot_every_s}, {"label", s.player.label}}}};
}

Result<ProjectSettings> settings_from_json(const Json& json, const std::string& source_name) {
  if (!json.is_object()) return fail(ErrorCode::kInvalidArgument, "{}: expected a JSON object", source_name);
  ConfigReader reader(json, source_name);
  reader.allow_only("", {"schema", "source", "faces", "train", "composite", "player"});
  reader.allow_only("faces", {"a", "b"});
  reader.allow_only("train", {"preset", "batch", "learning_rate", "gan", "warp", "save_every", "loss_weights"});
  reader.allow_only("player", {"mode", "loop", "to", "snapshot_every_steps", "snapshot_every_s", "label"});
  reader.require("schema");
  int schema = kProjectSchema;
  reader.read("schema", schema, 1, 1000);
  if (reader.ok() && schema > kProjectSchema) {
    return fail(ErrorCode::kUnsupported, "{}: schema {} is newer than this Mirage reads ({})", source_name, schema,
                kProjectSchema);
  }
  ProjectSettings s;
  std::string source, a = s.faces_a.string(), b = s.faces_b.string();
  reader.read("source", source);
  reader.read("faces.a", a);
  reader.read("faces.b", b);
  reader.read_choice("train.preset", s.train.preset, {"tiny", "lite", "lite-d", "lite-liae", "original", "hd"});
  reader.read("train.batch", s.train.batch, 1, 1024);
  reader.read("train.learning_rate", s.train.learning_rate, 0.0, 1.0);
  reader.read("train.gan", s.train.gan);
  reader.read("train.warp", s.train.warp);
  reader.read("train.save_every", s.train.save_every, 0, 1000000);
  if (const Json* weights = find_field(json, "train.loss_weights"); weights != nullptr && reader.ok()) {
    if (auto status = model::read_loss_weights(*weights, source_name + ": train.loss_weights", s.train.loss_weights);
        !status) {
      return std::unexpected(status.error());
    }
  }
  read_composite(reader, s.composite);
  // A project saved before the sharpening core existed renders as it did: sharpened over the
  // whole mask (its "sharpen" amount was chosen for that).
  if (find_field(json, "composite.sharpen") != nullptr && find_field(json, "composite.sharpen-core") == nullptr) {
    s.composite.sharpen_core = 0;
  }
  std::string mode(to_string(s.player.mode)), to(to_string(s.player.to));
  reader.read_choice("player.mode", mode, {"real-time", "every-frame"});
  reader.read("player.loop", s.player.loop);
  reader.read_choice("player.to", to, {"a", "b", "both"});
  reader.read("player.snapshot_every_steps", s.player.snapshot_every_steps, 1, 1000000);
  reader.read("player.snapshot_every_s", s.player.snapshot_every_s, 0.1, 3600.0);
  reader.read("player.label", s.player.label);
  if (auto status = reader.status(); !status) return std::unexpected(status.error());
  if (auto status = check_composite_keys(json, source_name); !status) return std::unexpected(status.error());
  s.source = source;
  s.faces_a = a;
  s.faces_b = b;
  s.player.mode = mode == "every-frame" ? PlayMode::kEveryFrame : PlayMode::kRealTime;
  s.player.to = to == "a" ? SwapTo::kA : to == "both" ? SwapTo::kBoth : SwapTo::kB;
  return s;
}

Result<Project> Project::open(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return fail(ErrorCode::kNotFound, "no such project folder: {}", folder.string());
  Project project;
  project.folder_ = folder;
  const fs::path file = folder / kProjectFile;
  if (fs::exists(file, ec)) {
    auto json = load_json(file);
    if (!json) return std::unexpected(json.error());
    auto settings = settings_from_json(*json, file.string());
    if (!settings) return std::unexpected(settings.error());
    project.settings_ = std::move(*settings);
    project.has_file_ = true;
    return project;
  }
  if (!fs::is_directory(folder / "faces", ec) && !fs::is_directory(folder / "model", ec)) {
    return fail(ErrorCode::kNotFound, "{} is no Mirage project (no project.json, faces/ or model/)", folder.string());
  }
  // A folder `mirage demo` made: its clip is the sample one, beside the project in data/.
  for (const fs::path& candidate : {folder / ".." / "data" / "Megamind.avi", fs::path("data") / "Megamind.avi"}) {
    if (fs::exists(candidate, ec)) {
      project.settings_.source = fs::absolute(candidate, ec).lexically_normal();
      break;
    }
  }
  return project;
}

Result<Project> Project::open_or_new(const fs::path& folder) {
  std::error_code ec;
  if (fs::exists(folder / kProjectFile, ec) || fs::is_directory(folder / "faces", ec) ||
      fs::is_directory(folder / "model", ec)) {
    return open(folder);
  }
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder, ec)) {
    return fail(ErrorCode::kIo, "cannot make the project folder {}{}", folder.string(), ec ? ": " + ec.message() : "");
  }
  Project project;
  project.folder_ = folder;
  return project;
}

Result<Project> Project::create(const fs::path& folder, const ProjectSettings& settings) {
  std::error_code ec;
  if (fs::exists(folder / kProjectFile, ec)) {
    return fail(ErrorCode::kIo, "{} already holds a project", folder.string());
  }
  for (const fs::path& sub : {folder / "faces", folder / "model", folder / "renders"}) {
    fs::create_directories(sub, ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", sub.string(), ec.message());
  }
  Project project;
  project.folder_ = folder;
  if (auto s = project.save(settings); !s) return std::unexpected(s.error());
  return project;
}

Status Project::save(const ProjectSettings& settings) {
  if (auto s = validate(settings.composite); !s) return s;
  if (auto s = save_json(folder_ / kProjectFile, to_json(settings)); !s) return s;
  settings_ = settings;
  has_file_ = true;
  return ok();
}

fs::path Project::resolve(const fs::path& path) const {
  if (path.empty() || path.is_absolute()) return path;
  return folder_ / path;
}

}  // namespace mirage::workspace
