#include "editor/face_browser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/format.h"

namespace mirage::studio {
namespace {

constexpr float kGap = 6.0f;
constexpr float kHeader = 28.0f;
constexpr double kRestS = 0.25;  // a pointer resting this long on a face asks for its source frame

// The grid's rows, top to bottom: a header for each identity cluster (when the set has them),
// then its faces `columns` at a time. Positions are in content coordinates (from the grid's top).
struct Row {
  float y = 0;
  float height = 0;
  int identity = -2;  // a header row: the cluster it names (-1: faces without one) ...
  std::int64_t members = 0;  // ... and how many faces it has
  int first = 0, count = 0;  // a face row: faces [first, first + count) of the set's order
};

struct Layout {
  std::vector<Row> rows;
  std::vector<ImVec2> positions;  // of every face, content coordinates
  float height = 0;
  float cell = 0;
};

Layout lay_out(const workspace::FaceSetView& set, int columns, float cell) {
  Layout layout;
  layout.cell = cell;
  layout.positions.resize(set.faces.size());
  const bool grouped = std::ranges::any_of(set.faces, [](const workspace::FaceEntry& f) { return f.identity >= 0; });
  float y = 0;
  std::size_t i = 0;
  while (i < set.faces.size()) {
    std::size_t end = set.faces.size();
    if (grouped) {
      const int identity = set.faces[i].identity;
      end = i;
      while (end < set.faces.size() && set.faces[end].identity == identity) ++end;
      layout.rows.push_back({.y = y, .height = kHeader, .identity = identity, .members = static_cast<std::int64_t>(end - i)});
      y += kHeader;
    }
    for (std::size_t first = i; first < end; first += static_cast<std::size_t>(columns)) {
      const int count = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(columns), end - first));
      layout.rows.push_back({.y = y, .height = cell + kGap, .first = static_cast<int>(first), .count = count});
      for (int c = 0; c < count; ++c) layout.positions[first + static_cast<std::size_t>(c)] = ImVec2(static_cast<float>(c) * (cell + kGap), y);
      y += cell + kGap;
    }
    i = end;
  }
  layout.height = y;
  return layout;
}

const char* state_text(workspace::FaceJobState s) {
  switch (s) {
    case workspace::FaceJobState::kQueued: return "queued";
    case workspace::FaceJobState::kRunning: return "running";
    case workspace::FaceJobState::kDone: return "done";
    case workspace::FaceJobState::kFailed: return "failed";
    case workspace::FaceJobState::kCancelled: return "cancelled";
  }
  return "?";
}

void draw_jobs(const std::vector<workspace::FaceJobStatus>& jobs, FaceBrowserActions& actions) {
  for (const workspace::FaceJobStatus& j : jobs) {
    ImGui::PushID(j.id);
    const bool running = j.state == workspace::FaceJobState::kRunning;
    const float share = j.expected > 0 ? static_cast<float>(j.done) / static_cast<float>(j.expected) : 0.0f;
    char label[96];
    std::snprintf(label, sizeof label, "%s %lld faces", state_text(j.state), static_cast<long long>(j.faces));
    ImGui::TextUnformatted(j.label.c_str());
    ImGui::SameLine(260);
    ImGui::ProgressBar(running ? share : j.state == workspace::FaceJobState::kQueued ? 0.0f : 1.0f, ImVec2(180, 0), label);
    if (running || j.state == workspace::FaceJobState::kQueued) {
      ImGui::SameLine();
      if (ImGui::SmallButton("cancel")) actions.cancel_job = j.id;
    }
    ImGui::PopID();
  }
}

}  // namespace

FaceBrowserActions draw_face_browser(FaceBrowserView& view, const FaceBrowserInput& in, ThumbnailAtlas& atlas,
                                     workspace::Thumbnails& thumbs, const UiTexture& source,
                                     const std::string& source_of) {
  FaceBrowserActions actions;
  if (!view.open) return actions;
  ImGui::SetNextWindowSize(ImVec2(900, 560), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Faces", &view.open)) {
    ImGui::End();
    return actions;
  }
  // The sets and their counts.
  std::string current = view.set;
  if (current.empty() && !in.sets.empty()) current = view.set = in.sets.front().name;
  const auto summary_text = [&](const workspace::FaceSetSummary& s) {
    const std::string role = s.name == in.a ? "  [A]" : s.name == in.b ? "  [B]" : "";
    if (s.faces < 0) return format("{}: reading ...{}", s.name, role);
    const std::string people = s.identities > 0 ? format(", {} {}", s.identities, s.identities == 1 ? "person" : "people") : "";
    const std::string rejected = s.rejected < 0 ? std::string("...") : std::to_string(s.rejected);
    return format("{}: {} faces, {} rejected{}{}", s.name, s.faces, rejected, people, role);
  };
  // Every set with its counts, always in view (wrapped to the window); a click shows it.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right_edge = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (in.sets.empty()) ImGui::TextDisabled("no face set yet");
  for (std::size_t i = 0; i < in.sets.size(); ++i) {
    const workspace::FaceSetSummary& s = in.sets[i];
    const std::string label = summary_text(s);
    const float w = ImGui::CalcTextSize(label.c_str()).x + 2 * style.FramePadding.x;
    if (i > 0 && ImGui::GetItemRectMax().x + style.ItemSpacing.x + w < right_edge) ImGui::SameLine();
    ImGui::PushID(static_cast<int>(i));
    if (ImGui::Selectable(label.c_str(), s.name == current, 0, ImVec2(w, 0)) && s.name != current) {
      view.set = s.name;
      view.selected.clear();
      view.anchor = -1;
    }
    ImGui::PopID();
  }
  if (ImGui::Checkbox("rejected", &view.rejected)) {
    view.selected.clear();
    view.anchor = -1;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("sort:");
  static constexpr std::pair<const char*, workspace::FaceOrder> kOrders[] = {
      {"identity", workspace::FaceOrder::kIdentity}, {"blur", workspace::FaceOrder::kBlur},
      {"size", workspace::FaceOrder::kSize}, {"yaw", workspace::FaceOrder::kYaw}};
  for (const auto& [name, order] : kOrders) {
    ImGui::SameLine();
    ImGui::BeginDisabled(in.busy || view.rejected || in.faces == nullptr);
    if (ImGui::SmallButton(name)) actions.sort = order;
    ImGui::EndDisabled();
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(current.empty() || view.rejected);
  if (ImGui::SmallButton("train as A")) actions.use_as_a = true;
  ImGui::SameLine();
  if (ImGui::SmallButton("train as B")) actions.use_as_b = true;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(in.undo_label.empty());
  if (ImGui::SmallButton("undo")) actions.undo = true;
  ImGui::EndDisabled();
  if (!in.undo_label.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("undo: %s (Ctrl+Z)", in.undo_label.c_str());

  // Selection actions.
  ImGui::TextDisabled("%zu selected", view.selected.size());
  ImGui::SameLine();
  ImGui::BeginDisabled(view.selected.empty() || in.busy);
  if (ImGui::SmallButton(view.rejected ? "restore (R)" : "reject (Del)")) {
    std::vector<std::string> files(view.selected.begin(), view.selected.end());
    (view.rejected ? actions.restore : actions.reject) = std::move(files);
  }
  ImGui::EndDisabled();
  if (in.busy) {
    ImGui::SameLine();
    ImGui::TextDisabled("a job is writing this set: edits wait for it");
  }
  if (!in.jobs.empty()) draw_jobs(in.jobs, actions);

  // Keys: Delete / R, Ctrl+Z, Ctrl+A.
  const ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) && !io.WantTextInput) {
    if (!view.selected.empty() && !in.busy &&
        (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Delete), false) || ImGui::IsKeyPressed('R', false))) {
      std::vector<std::string> files(view.selected.begin(), view.selected.end());
      (view.rejected ? actions.restore : actions.reject) = std::move(files);
    }
    if (io.KeyCtrl && ImGui::IsKeyPressed('Z', false) && !in.undo_label.empty()) actions.undo = true;
    if (io.KeyCtrl && ImGui::IsKeyPressed('A', false) && in.faces != nullptr) {
      for (const auto& f : in.faces->faces) view.selected.insert(f.file);
    }
  }

  ImGui::Separator();
  if (in.faces == nullptr) {
    ImGui::TextDisabled("%s", in.reading          ? "reading the set ..."
                              : in.error.empty() ? "no faces here yet"
                                                 : in.error.c_str());
    ImGui::End();
    return actions;
  }
  const workspace::FaceSetView& set = *in.faces;
  ImGui::BeginChild("grid", ImVec2(0, 0), false, ImGuiWindowFlags_NoMove);
  if (view.scroll_per_frame != 0) ImGui::SetScrollY(std::clamp(ImGui::GetScrollY() + view.scroll_per_frame, 0.0f, ImGui::GetScrollMaxY()));
  const float cell = static_cast<float>(atlas.cell());
  const float width = ImGui::GetContentRegionAvail().x;
  const int columns = std::max(1, static_cast<int>((width + kGap) / (cell + kGap)));
  const Layout layout = lay_out(set, columns, cell);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float scroll = ImGui::GetScrollY();
  const float visible_top = scroll - cell, visible_bottom = scroll + ImGui::GetWindowHeight() + cell;
  ImDrawList* list = ImGui::GetWindowDrawList();
  const ImVec2 mouse = io.MousePos;
  const ImVec2 mouse_content(mouse.x - origin.x, mouse.y - origin.y);
  int hovered = -1;

  // The screen below and half the one above are asked for before the faces in view, which the
  // thumbnail thread then serves first (newest first): scrolling finds them made.
  const float screen = ImGui::GetWindowHeight();
  for (const Row& row : layout.rows) {
    const bool below = row.y > visible_bottom && row.y < visible_bottom + screen;
    const bool above = row.y + row.height < visible_top && row.y + row.height > visible_top - screen / 2;
    if (row.identity != -2 || !(below || above)) continue;
    for (int i = row.first; i < row.first + row.count; ++i) {
      const auto& face = set.faces[static_cast<std::size_t>(i)];
      const std::string key = (set.folder / face.file).string();
      if (!atlas.find(key) && !atlas.pending(key)) thumbs.request(set.folder / face.file);
    }
  }
  // Thumbnails first, in one batch between the atlas's bind and the font's (see thumbnail_atlas.h).
  view.visible_faces = 0;
  view.drawn_faces = 0;
  if (atlas.ready()) atlas.begin(list);
  for (const Row& row : layout.rows) {
    if (row.y + row.height < visible_top || row.y > visible_bottom || row.identity != -2) continue;
    for (int i = row.first; i < row.first + row.count; ++i) {
      const auto& face = set.faces[static_cast<std::size_t>(i)];
      const std::string key = (set.folder / face.file).string();
      const ImVec2 p = layout.positions[static_cast<std::size_t>(i)];
      const ImVec2 min(origin.x + p.x, origin.y + p.y), max(min.x + cell, min.y + cell);
      ++view.visible_faces;
      if (auto c = atlas.find(key)) {
        if (atlas.ready()) atlas.add_image(list, *c, min, max);
        ++view.drawn_faces;
      } else if (!atlas.pending(key)) {
        thumbs.request(set.folder / face.file);
      }
      if (mouse_content.x >= p.x && mouse_content.x < p.x + cell && mouse_content.y >= p.y && mouse_content.y < p.y + cell &&
          ImGui::IsWindowHovered()) {
        hovered = i;
      }
    }
  }
  if (atlas.ready()) atlas.end(list);
  if (view.hover_face >= 0 && view.hover_face < static_cast<int>(set.faces.size())) hovered = view.hover_face;
  // Then the frames, headers and selection marks (the font's texture again).
  for (const Row& row : layout.rows) {
    if (row.y + row.height < visible_top || row.y > visible_bottom) continue;
    if (row.identity != -2) {
      ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + row.y + 4));
      const std::int64_t members = row.members;
      if (row.identity >= 0) {
        ImGui::Text("person %d - %lld faces", row.identity, static_cast<long long>(members));
      } else {
        ImGui::Text("not sorted by identity - %lld faces", static_cast<long long>(members));
      }
      if (row.identity >= 0 && !view.rejected) {
        ImGui::SameLine();
        ImGui::PushID(row.identity);
        ImGui::BeginDisabled(in.busy);
        if (ImGui::SmallButton("split into its own set")) actions.split = row.identity;
        ImGui::SameLine();
        if (ImGui::SmallButton("select")) {
          for (const auto& f : set.faces) {
            if (f.identity == row.identity) view.selected.insert(f.file);
          }
        }
        ImGui::EndDisabled();
        ImGui::PopID();
      }
      continue;
    }
    for (int i = row.first; i < row.first + row.count; ++i) {
      const ImVec2 p = layout.positions[static_cast<std::size_t>(i)];
      const ImVec2 min(origin.x + p.x, origin.y + p.y), max(min.x + cell, min.y + cell);
      const bool selected = view.selected.contains(set.faces[static_cast<std::size_t>(i)].file);
      if (selected) list->AddRect(ImVec2(min.x - 2, min.y - 2), ImVec2(max.x + 2, max.y + 2), IM_COL32(255, 200, 60, 255), 0, 0, 3);
      if (i == hovered) list->AddRect(min, max, IM_COL32(255, 255, 255, 180));
    }
  }
  ImGui::SetCursorScreenPos(origin);
  ImGui::Dummy(ImVec2(width, std::max(layout.height, 1.0f)));

  // Clicks: plain selects one, Ctrl toggles, Shift extends from the anchor; a drag from a free
  // spot draws a box that selects what it touches.
  if (ImGui::IsWindowHovered() && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    if (hovered >= 0) {
      const std::string& file = set.faces[static_cast<std::size_t>(hovered)].file;
      if (io.KeyShift && view.anchor >= 0) {
        if (!io.KeyCtrl) view.selected.clear();
        for (int i = std::min(view.anchor, hovered); i <= std::max(view.anchor, hovered); ++i) {
          view.selected.insert(set.faces[static_cast<std::size_t>(i)].file);
        }
      } else if (io.KeyCtrl) {
        if (!view.selected.erase(file)) view.selected.insert(file);
        view.anchor = hovered;
      } else {
        view.selected = {file};
        view.anchor = hovered;
      }
    } else {
      view.drag_from = mouse_content;
    }
  }
  if (view.drag_from) {
    const ImVec2 a = *view.drag_from;
    const ImVec2 lo(std::min(a.x, mouse_content.x), std::min(a.y, mouse_content.y));
    const ImVec2 hi(std::max(a.x, mouse_content.x), std::max(a.y, mouse_content.y));
    list->AddRect(ImVec2(origin.x + lo.x, origin.y + lo.y), ImVec2(origin.x + hi.x, origin.y + hi.y),
                  IM_COL32(120, 180, 255, 255));
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      if (!io.KeyCtrl && !io.KeyShift) view.selected.clear();
      for (std::size_t i = 0; i < set.faces.size(); ++i) {
        const ImVec2 p = layout.positions[i];
        if (p.x + cell >= lo.x && p.x <= hi.x && p.y + cell >= lo.y && p.y <= hi.y) view.selected.insert(set.faces[i].file);
      }
      view.drag_from.reset();
    }
  }
  // Hover: the face, its numbers, and the frame it came from with its landmarks.
  if (hovered >= 0) {
    const auto& face = set.faces[static_cast<std::size_t>(hovered)];
    // The source frame is asked for once the pointer rests on a face (a seek in a video takes
    // longer than a frame; a pointer passing over the grid while it scrolls asks for nothing).
    const double now = ImGui::GetTime();
    if (view.resting_on != face.file) {
      view.resting_on = face.file;
      view.resting_since = now;
    }
    if (view.hovered != face.file && (now - view.resting_since >= kRestS || view.hover_face >= 0)) {
      view.hovered = face.file;
      actions.hover = face.file;
    }
    ImGui::BeginTooltip();
    ImGui::Text("%s", face.file.c_str());
    ImGui::TextDisabled("%s, frame %lld", face.source.c_str(), static_cast<long long>(face.frame));
    ImGui::TextDisabled("sharpness %.0f   detector %.2f   %.0f px wide   person %d", face.blur, face.score,
                        face.width_px, face.identity);
    if (source_of == face.file && source.ready()) {
      source.draw(ImVec2(static_cast<float>(source.width()), static_cast<float>(source.height())));
    } else {
      ImGui::TextDisabled("reading the source frame ...");
    }
    ImGui::EndTooltip();
  }
  ImGui::EndChild();
  ImGui::End();
  return actions;
}

}  // namespace mirage::studio
