// A contact sheet of a converted clip: source frames above, the same frames of the clip below.
//
//   if (auto s = swap::write_preview_grid("data/Megamind.avi", "renders/out.mp4", "renders/out.png"); !s) ...
//
// `columns` frames evenly spaced over the clip, each scaled to `width` px, written as a PNG
// (atomically: a temporary in the same folder, renamed). Errors: the videos' (kNotFound,
// kUnsupported), kIo.
#pragma once

#include <filesystem>

#include "engine/core/error.h"

namespace mirage::swap {

Status write_preview_grid(const std::filesystem::path& source, const std::filesystem::path& clip,
                          const std::filesystem::path& png, int columns = 4, int width = 320);

}  // namespace mirage::swap
