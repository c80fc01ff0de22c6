// The studio's face sets: the browser (editor/face_browser.h) and the new-project form, wired to
// the workspace's face library and jobs. Part of StudioApp (studio_app.h).
#include <algorithm>
#include <sstream>

#include "editor/studio_app.h"
#include "engine/core/format.h"

namespace mirage::studio {
namespace {

// The shown set's name in the library: "a", or "a/rejected" for its rejected faces.
std::string library_name(const FaceBrowserView& view) { return view.rejected ? view.set + "/rejected" : view.set; }

// faces/<name> -> <name>.
std::string set_name(const std::filesystem::path& faces_path) { return faces_path.filename().string(); }

}  // namespace

void StudioApp::poll_faces() {
  if (!workspace_) return;
  workspace::Thumbnails& pictures = workspace_->face_pictures();
  for (workspace::Thumbnail& t : pictures.take(ThumbnailAtlas::kUploadsPerFrame)) atlas_.put(t.path.string(), std::move(t.rgba));
  if (auto source = pictures.take_source()) pending_source_ = std::move(*source);
}

void StudioApp::draw_faces() {
  if (!face_view_.open) return;
  workspace::Workspace* ws = workspace_.get();
  if (ws == nullptr) {
    face_view_.open = false;
    return;
  }
  FaceBrowserInput in;
  in.sets = ws->faces().sets_now();
  if (face_view_.set.empty() && !in.sets.empty()) face_view_.set = in.sets.front().name;
  std::shared_ptr<const workspace::FaceSetView> shown;
  if (!face_view_.set.empty()) {
    auto view = ws->faces().view_now(library_name(face_view_));
    if (view && !*view) {
      in.reading = true;
    } else if (view) {
      shown = *view;
      in.faces = shown.get();
    } else if (face_view_.rejected && view.error().code == ErrorCode::kNotFound) {
      in.error = "no face of this set has been rejected";
    } else {
      in.error = view.error().message;
    }
  }
  in.a = set_name(ws->project_settings().faces_a);
  in.b = set_name(ws->project_settings().faces_b);
  in.jobs = ws->face_jobs().status();
  in.undo_label = ws->faces().undo_label();
  in.busy = !face_view_.set.empty() && ws->face_jobs().busy(face_view_.set);
  const FaceBrowserActions a =
      draw_face_browser(face_view_, in, atlas_, ws->face_pictures(), face_source_texture_, face_source_of_);

  const auto report = [&](const Status& s) {
    if (!s) status(s.error().message);
  };
  if (a.reject) {
    report(ws->faces().reject(face_view_.set, *a.reject));
    face_view_.selected.clear();
  }
  if (a.restore) {
    report(ws->faces().restore(face_view_.set, *a.restore));
    face_view_.selected.clear();
  }
  if (a.undo) {
    const std::string label = ws->faces().undo_label();
    const Status s = ws->faces().undo();
    report(s);
    if (s) status(format("undone: {}", label));
    face_view_.selected.clear();
  }
  if (a.split) {
    auto made = ws->faces().split(face_view_.set, *a.split);
    if (made) {
      status(format("person {} of {} is now the set {}", *a.split, face_view_.set, *made));
      face_view_.selected.clear();
    } else {
      status(made.error().message);
    }
  }
  if (a.sort) ws->sort_faces(face_view_.set, *a.sort);
  if (a.use_as_a || a.use_as_b) {
    const std::string set = face_view_.set;
    const Status s = a.use_as_a ? ws->set_face_sets(set, in.b == set ? in.a : in.b)
                                : ws->set_face_sets(in.a == set ? in.b : in.a, set);
    report(s);
    if (s) status(format("faces/{} trains as {}", set, a.use_as_a ? "A" : "B"));
  }
  if (a.cancel_job) ws->face_jobs().cancel(*a.cancel_job);
  if (a.hover) ws->request_face_source(library_name(face_view_), *a.hover, 360);
}

void StudioApp::draw_new_project() {
  if (!new_project_.open) return;
  ImGui::SetNextWindowSize(ImVec2(620, 300), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("New project", &new_project_.open)) {
    ImGui::End();
    return;
  }
  const auto field = [](const char* label, std::string& value, bool multiline) {
    char buffer[2048];
    std::snprintf(buffer, sizeof buffer, "%s", value.c_str());
    const bool changed = multiline ? ImGui::InputTextMultiline(label, buffer, sizeof buffer, ImVec2(-160, 90))
                                   : (ImGui::SetNextItemWidth(-160), ImGui::InputText(label, buffer, sizeof buffer));
    if (changed) value = buffer;
  };
  field("project folder", new_project_.folder, false);
  field("target video (A)", new_project_.target, false);
  ImGui::TextDisabled("whose face gets replaced; its faces go into faces/a");
  field("sources of B", new_project_.b_sources, true);
  ImGui::TextDisabled("videos, images or folders of images, one per line; their faces go into faces/b");
  if (ImGui::Button("Create and extract")) {
    workspace::NewProject sources{.target = new_project_.target};
    std::istringstream lines(new_project_.b_sources);
    for (std::string line; std::getline(lines, line);) {
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos) continue;  // a blank line
      const std::size_t last = line.find_last_not_of(" \t\r");
      sources.b_sources.emplace_back(line.substr(first, last - first + 1));
    }
    workspace::WorkspaceOptions options;
    options.distributed = options_.distributed;
    auto made = workspace::Workspace::create(new_project_.folder, sources, options);
    if (made) {
      adopt_workspace(std::move(*made), new_project_.folder);
      new_project_.open = false;
      face_view_.open = true;
      face_view_.set = "a";
    } else {
      status(format("no project made: {}", made.error().message));
    }
  }
  ImGui::End();
}

}  // namespace mirage::studio
