// `mirage demo`: the whole studio on the sample clip. Extract the faces of Megamind.avi, sort them
// into its two main characters, train the lite preset for a set time, convert the clip with the
// two swapped, evaluate it and say where everything is. A second run reuses every step's result
// that exists (faces, identities, model, clip) and only redoes what is missing.
#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/core/format.h"
#include "engine/model/checkpoint.h"
#include "engine/swap/preview.h"
#include "engine/workspace/demo_project.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"
#include "tools/mirage/progress.h"

namespace mirage::cli {
namespace {

namespace fs = std::filesystem;

void step(const char* what) { std::printf("== %s\n", what); std::fflush(stdout); }

// The two-person project through the workspace (the studio's first run makes it the same way).
Status extract_and_sort(const fs::path& input, const fs::path& project) {
  ProgressBar bar("extract", -1);
  std::string stage;
  auto s = workspace::make_two_person_project(input, project, [&](const workspace::DemoProgress& p) {
    if (p.stage != stage) {
      if (stage == "extracting faces") bar.finish();
      stage = p.stage;
      if (stage != "done") step(stage.c_str());
      if (stage == "extracting faces") bar = ProgressBar("extract", p.expected);
    }
    if (stage == "extracting faces") bar.update(p.done, format("{} faces", p.faces));
  });
  if (stage == "extracting faces") bar.finish();
  return s;
}

}  // namespace

int run_demo(const Args& args) {
  Options opts("demo");
  opts.add("--data", "data", "the set-up data folder holding Megamind.avi");
  opts.add("--project", "demo", "the project folder to create or reuse");
  opts.add("--minutes", "10", "training time of the lite preset (only when no model exists yet)");
  opts.flag("--retrain", "train again even when the project has a model (continues from it)");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  auto minutes = opts.get_double("--minutes", 0.1, 10000);
  if (!minutes) return usage_error(opts, minutes.error());
  const fs::path input = fs::path(opts.get("--data")) / "Megamind.avi";
  const fs::path project = opts.get("--project");
  if (!fs::exists(input)) {
    return command_error("demo", {ErrorCode::kNotFound, format("{} is missing (tools/setup copies it)", input.string())});
  }
  std::error_code ec;
  fs::create_directories(project / "renders", ec);
  if (ec) return command_error("demo", {ErrorCode::kIo, format("{}: {}", project.string(), ec.message())});

  if (auto s = extract_and_sort(input, project); !s) return command_error("demo", s.error());
  const bool has_model = !model::list_checkpoints(project / "model").empty();
  if (!has_model || opts.has("--retrain")) {
    step("training the lite preset");
    if (const int rc = run_train({"--project", project.string(), "--preset", "lite", "--minutes",
                                  format("{}", *minutes), "--holdout", "5"});
        rc != 0) {
      return rc;
    }
  }
  const fs::path clip = project / "renders" / "Megamind_swapped.mp4";
  if (!fs::exists(clip) || !has_model || opts.has("--retrain")) {
    step("converting the clip, the two characters swapped");
    if (const int rc = run_convert({"--project", project.string(), "--input", input.string(), "--output",
                                    clip.string(), "--to", "both", "--overwrite"});
        rc != 0) {
      return rc;
    }
  }
  const fs::path preview = project / "renders" / "Megamind_preview.png";
  if (auto s = swap::write_preview_grid(input, clip, preview); !s) return command_error("demo", s.error());
  step("evaluating");
  if (const int rc = run_eval({"--project", project.string(), "--source", input.string(), "--clip", clip.string(),
                               "--to", "both"});
      rc != 0) {
    return rc;
  }
  std::printf("\nclip:     %s\npreview:  %s (source above, swapped below)\nfaces:    %s\nmodel:    %s\n",
              clip.string().c_str(), preview.string().c_str(), (project / "faces").string().c_str(),
              (project / "model").string().c_str());
  std::printf("numbers:  mirage eval --project %s --source %s --clip %s --to both --json\n", project.string().c_str(),
              input.string().c_str(), clip.string().c_str());
  return 0;
}

}  // namespace mirage::cli
