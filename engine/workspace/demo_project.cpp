#include "engine/workspace/demo_project.h"

#include <system_error>

#include "engine/core/format.h"
#include "engine/face/extract.h"
#include "engine/face/face_set.h"
#include "engine/face/sort.h"
#include "engine/workspace/project.h"

namespace mirage::workspace {

namespace fs = std::filesystem;

Status make_two_person_project(const fs::path& video, const fs::path& folder,
                               const std::function<void(const DemoProgress&)>& progress,
                               const std::function<bool()>& cancelled) {
  std::error_code ec;
  if (!fs::exists(video, ec)) return fail(ErrorCode::kNotFound, "{} is missing", video.string());
  for (const fs::path& sub : {folder / "faces", folder / "model", folder / "renders"}) {
    fs::create_directories(sub, ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", sub.string(), ec.message());
  }
  const auto report = [&](DemoProgress p) {
    if (progress) progress(p);
  };
  const fs::path all = folder / "faces" / "all";
  if (!fs::exists(all / face::kFaceSetFile, ec)) {
    // Into a folder of its own first: faces/all exists only once it is complete.
    const fs::path partial = folder / "faces" / "all.partial";
    fs::remove_all(partial, ec);
    face::ExtractCallbacks callbacks;
    callbacks.on_progress = [&](const face::ExtractProgress& p) {
      report({"extracting faces", p.frames_done, p.frames_expected, p.faces});
    };
    callbacks.cancelled = cancelled;
    auto summary = face::extract_faces({.input = video, .output = partial}, callbacks);
    if (!summary) {
      fs::remove_all(partial, ec);
      return std::unexpected(summary.error());
    }
    fs::remove_all(all, ec);
    fs::rename(partial, all, ec);
    if (ec) return fail(ErrorCode::kIo, "{}: {}", all.string(), ec.message());
  }
  if (cancelled && cancelled()) return fail(ErrorCode::kCancelled, "making the project was cancelled");
  const fs::path a = folder / "faces" / "a", b = folder / "faces" / "b";
  if (!fs::exists(a / face::kFaceSetFile, ec) || !fs::exists(b / face::kFaceSetFile, ec)) {
    report({"sorting faces into two people"});
    auto set = face::FaceSet::load(all);
    if (!set) return std::unexpected(set.error());
    auto sorted = face::sort_face_set(*set, {.key = face::SortKey::kIdentity, .clusters = 2, .split = true});
    if (!sorted) return std::unexpected(sorted.error());
    for (const auto& [from, to] : {std::pair{all / "identity_0", a}, std::pair{all / "identity_1", b}}) {
      fs::remove_all(to, ec);
      fs::copy(from, to, fs::copy_options::recursive, ec);
      if (ec) return fail(ErrorCode::kIo, "{}: cannot copy the identity's faces: {}", to.string(), ec.message());
    }
  }
  if (!fs::exists(folder / kProjectFile, ec)) {
    ProjectSettings settings;
    settings.source = fs::absolute(video, ec).lexically_normal();
    settings.player.to = SwapTo::kBoth;
    auto project = Project::open(folder);
    if (!project) return std::unexpected(project.error());
    if (auto s = project->save(settings); !s) return s;
  }
  report({"done"});
  return ok();
}

}  // namespace mirage::workspace
