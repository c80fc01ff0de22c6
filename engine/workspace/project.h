// A Mirage project folder: what a user opens in the studio and what the CLI works in.
//
//   auto project = workspace::Project::open("demo");         // project.json, or a `mirage demo` folder
//   if (!project) { status_line(project.error().to_string()); ... }
//   ProjectSettings s = project->settings();
//   s.composite.feather_px = 20;
//   if (auto saved = project->save(s); !saved) ...;          // atomic: the old file stays on error
//
// Layout (docs/ARCHITECTURE.md): project.json, faces/<set>/ (faceset.json + PNGs), model/
// (checkpoints, train_log.jsonl), renders/ (clips). project.json is schema-versioned; unknown
// keys and out-of-range values are errors that name the field ("project.json: composite.feather:
// expected a number in [0, 400], got -3"). A folder made by `mirage demo` before project.json
// existed (faces/a, faces/b, model/, renders/) opens with the defaults and Megamind.avi as its
// source when data/Megamind.avi is beside it; saving then writes project.json.
// Not thread-safe: one owner (the workspace) reads and saves it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/core/composite_options.h"
#include "engine/core/config.h"
#include "engine/core/error.h"
#include "engine/model/loss_weights.h"

namespace mirage::workspace {

inline constexpr int kProjectSchema = 1;
inline constexpr const char* kProjectFile = "project.json";

enum class PlayMode { kRealTime, kEveryFrame };
std::string_view to_string(PlayMode mode);

// Which identity the faces of the target video become.
enum class SwapTo { kA = 0, kB = 1, kBoth = -1 };
std::string_view to_string(SwapTo to);

struct PlayerSettings {
  PlayMode mode = PlayMode::kRealTime;  // real time keeps the clock and drops frames (counted)
  bool loop = true;
  SwapTo to = SwapTo::kB;
  int snapshot_every_steps = 100;       // the trainer publishes weights this often ...
  double snapshot_every_s = 5.0;        // ... or at least this often (seconds), whichever first
  bool label = true;                    // the visible "synthetic" mark on what is shown
  bool operator==(const PlayerSettings&) const = default;
};

struct TrainSettings {
  std::string preset = "lite";
  int batch = 16;
  double learning_rate = 0;  // 0: the preset's
  bool gan = false;
  bool warp = true;
  int save_every = 500;
  model::LossWeights loss_weights;
  bool operator==(const TrainSettings&) const = default;
};

struct ProjectSettings {
  std::filesystem::path source;                 // the target video (whose faces are replaced)
  std::filesystem::path faces_a = "faces/a";    // relative paths are relative to the project
  std::filesystem::path faces_b = "faces/b";
  TrainSettings train;
  CompositeOptions composite;
  PlayerSettings player;
  bool operator==(const ProjectSettings&) const = default;
};

Json to_json(const ProjectSettings& settings);
// Errors: kInvalidArgument naming the field (ConfigReader), kUnsupported for a newer schema.
Result<ProjectSettings> settings_from_json(const Json& json, const std::string& source_name);

class Project {
 public:
  // Errors: kNotFound (no such folder, or a folder that is no project: no project.json, no
  // faces/ and no model/), kCorrupt (project.json is not JSON), kInvalidArgument (a bad field).
  static Result<Project> open(const std::filesystem::path& folder);
  // open(), or for a folder that is no project yet (made if missing) a project with the default
  // settings and no file: project.json is written by the first save(). kIo for a folder that
  // cannot be made; open()'s errors for a project.json that is broken.
  static Result<Project> open_or_new(const std::filesystem::path& folder);
  // A new project in `folder` (made if missing) with project.json; kIo when one exists already.
  static Result<Project> create(const std::filesystem::path& folder, const ProjectSettings& settings);

  const std::filesystem::path& folder() const { return folder_; }
  const ProjectSettings& settings() const { return settings_; }
  bool has_file() const { return has_file_; }  // false for a demo folder not saved yet

  // Writes project.json atomically and takes the settings; on error nothing changes.
  Status save(const ProjectSettings& settings);

  std::filesystem::path resolve(const std::filesystem::path& path) const;  // against folder()
  std::filesystem::path source() const { return resolve(settings_.source); }
  std::filesystem::path faces_a() const { return resolve(settings_.faces_a); }
  std::filesystem::path faces_b() const { return resolve(settings_.faces_b); }
  std::filesystem::path model_dir() const { return folder_ / "model"; }
  std::filesystem::path renders_dir() const { return folder_ / "renders"; }

 private:
  std::filesystem::path folder_;
  ProjectSettings settings_;
  bool has_file_ = false;
};

}  // namespace mirage::workspace
