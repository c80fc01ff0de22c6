// Whole-file reads and crash-safe writes.
//
//   if (auto s = write_file_atomic(dir / "project.json", text); !s) return s;
//
// write_file_atomic writes to a temporary file in the same folder, fsyncs it, renames it over the
// destination and fsyncs the folder: a crash or a full disk at any moment leaves either the old
// file or the new one, never a mix, and the temporary is removed on failure.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/error.h"

namespace mirage {

Result<std::string> read_file(const std::filesystem::path& path);
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace mirage
