// A script of UI actions for mirage-studio (--script FILE): what a person would do, one line
// each, so the studio can be driven under Xvfb in tests and demos.
//
//   # comment
//   frames 30                  draw 30 frames
//   until swapped 120          draw until the viewport shows a swapped face (at most 120 s)
//   until recorded 300         ... until the recording has finished
//   until trained | training   ... until a step is done | the trainer runs
//   until masked 30            ... until the viewport has the mask overlay to show
//   play | pause | step | seek 1.5
//   train start|pause|resume|save|stop
//   set feather 20             any compositing option by its key (the one table); colour rct
//   view swapped|original|split|mask
//   record renders/take.mp4    relative paths are relative to the project
//   key E                      press a key (A-Z, 0-9, space, period, comma, F1) for one frame
//   faces a                    open the face browser on the set faces/a
//   select 3                   select the first 3 faces the browser shows
//   reject | restore | undo    the browser's reject / restore of the selection, its undo
//   until thumbnails 60        ... until every face the browser has in view shows its thumbnail
//   scroll 40                  scroll the browser's grid 40 px down every frame (0 stops)
//   hover 5                    show the browser's 6th face as hovered: its source frame (-1 stops)
//   until source 30            ... until the hovered face's source frame is shown
//   screenshot out.png         save the window as it is drawn this frame
//   quit
//
// parse_script() refuses an unknown command or a bad value with "script:<line>: <what>"; numbers
// are finite, frames at most kMaxScriptFrames and until's timeout at most kMaxScriptWaitSeconds,
// so a script always ends.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::studio {

inline constexpr double kMaxScriptFrames = 1e6;
inline constexpr double kMaxScriptWaitSeconds = 86400;

struct ScriptStep {
  int line = 0;
  std::string command;              // frames, until, play, pause, step, seek, train, set, view, record, screenshot,
                                    // key, faces, select, reject, restore, undo, scroll, hover, quit
  std::string word;                 // train's and view's argument, until's condition, set's key, paths
  std::string value;                // set's value as written
  double number = 0;                // frames' count, until's timeout, seek's seconds, key's GLFW code
};

Result<std::vector<ScriptStep>> parse_script(const std::string& text);
Result<std::vector<ScriptStep>> load_script(const std::filesystem::path& path);

}  // namespace mirage::studio
