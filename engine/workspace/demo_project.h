// A two-person project made from one video, as `mirage demo` and the studio's first run do:
// the faces of the video extracted to faces/all, sorted into its two main characters, copied
// to faces/a and faces/b, and project.json written with the video as the target.
//
//   auto s = workspace::make_two_person_project("data/Megamind.avi", "demo",
//                                               [](const DemoProgress& p) { show(p); });
//
// Every step whose result exists is reused, so a second call only completes what is missing:
// faces are extracted into faces/all.partial and renamed to faces/all only when complete, so an
// interrupted or cancelled extraction starts again. Thread-safe for different folders;
// `progress` and `cancelled` run on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "engine/core/error.h"

namespace mirage::workspace {

struct DemoProgress {
  std::string stage;            // "extracting faces", "sorting faces into two people", "done"
  std::int64_t done = 0;        // frames (extraction)
  std::int64_t expected = -1;
  std::int64_t faces = 0;
};

// Errors: the video's and extraction's (kNotFound, kUnsupported), sorting's (too few faces),
// kIo for the folder.
// kCancelled when `cancelled` said so (polled every frame of the extraction): nothing half-made
// is left.
Status make_two_person_project(const std::filesystem::path& video, const std::filesystem::path& folder,
                               const std::function<void(const DemoProgress&)>& progress = {},
                               const std::function<bool()>& cancelled = {});

}  // namespace mirage::workspace
