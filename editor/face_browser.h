// The face-set browser: a grid of a set's aligned faces (thumbnails from the atlas, only the
// rows on screen), grouped by identity when the set is sorted so, with click, ctrl-click,
// shift-click and box selection; the face's source frame and landmarks on hover; the sets with
// their counts; the extraction and sort jobs with progress and cancel. It draws what it is given
// and returns what the user asked for; the app applies that through the workspace.
//
//   FaceBrowserActions a = draw_face_browser(view, {.sets = ..., .faces = set.get(), ...});
//   if (a.reject) ws.faces().reject(view.set, *a.reject);
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "editor/thumbnail_atlas.h"
#include "editor/ui_texture.h"
#include "engine/workspace/face_jobs.h"
#include "engine/workspace/face_library.h"
#include "engine/workspace/thumbnails.h"

namespace mirage::studio {

// What the browser remembers between frames.
struct FaceBrowserView {
  bool open = false;
  std::string set;              // the set shown ("a"); empty: the first there is
  bool rejected = false;        // its rejected faces instead
  std::set<std::string> selected;  // PNG file names
  int anchor = -1;              // where a shift-click range starts (face index)
  std::optional<ImVec2> drag_from;  // box selection, in content coordinates
  std::string hovered;          // the face whose source frame was asked for
  std::string resting_on;       // the face under the pointer, since when (seconds, ImGui's clock)
  double resting_since = 0;
  int visible_faces = 0;        // faces in view at the last draw ...
  int drawn_faces = 0;          // ... and how many of them had their thumbnail
  float scroll_per_frame = 0;   // scripts and benchmarks: the grid scrolls by itself ...
  int hover_face = -1;          // ... and shows this face (its index) as hovered
};

struct FaceBrowserInput {
  std::vector<workspace::FaceSetSummary> sets;
  const workspace::FaceSetView* faces = nullptr;  // the shown set (null: none or unreadable)
  std::string error;                     // why not
  bool reading = false;                  // the shown set is being read (a big set takes a moment)
  std::string a, b;                      // the sets that train as A and B
  std::vector<workspace::FaceJobStatus> jobs;
  std::string undo_label;                // empty: nothing to undo
  bool busy = false;                     // a job writes the shown set: no edits now
};

struct FaceBrowserActions {
  std::optional<std::vector<std::string>> reject, restore;
  bool undo = false;
  std::optional<int> split;              // identity cluster
  std::optional<workspace::FaceOrder> sort;
  std::optional<std::string> hover;      // a face whose source frame to show (newly hovered)
  bool use_as_a = false, use_as_b = false;
  std::optional<int> cancel_job;
};

// `atlas` and `thumbs` give the pictures: thumbnails missing from the atlas are asked of
// `thumbs` (what it made is put into the atlas by the app); `source` shows the hovered face's
// source frame (asked for through `hover`) once it is made; `source_of` names the face it shows.
FaceBrowserActions draw_face_browser(FaceBrowserView& view, const FaceBrowserInput& in, ThumbnailAtlas& atlas,
                                     workspace::Thumbnails& thumbs, const UiTexture& source,
                                     const std::string& source_of);

}  // namespace mirage::studio
