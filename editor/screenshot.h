// Saving frames to disk.
//
//   if (auto s = write_png(image.view(), "out.png"); !s) ...;   // kIo with the path
#pragma once

#include <filesystem>

#include "engine/core/error.h"
#include "engine/core/image.h"

namespace mirage::studio {

// Writes an RGBA8 or RGB8 image as PNG. kInvalidArgument for other formats, kIo when the file
// cannot be written.
Status write_png(ConstImageView image, const std::filesystem::path& path);

}  // namespace mirage::studio
