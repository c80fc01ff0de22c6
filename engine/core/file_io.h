// Whole-file reads and crash-safe writes.
//
//   if (auto s = write_file_atomic(dir / "project.json", text); !s) return s;
//
// write_file_atomic writes to a temporary file in the same folder, fsyncs it, renames it over the
// destination and fsyncs the folder: a crash or a full disk at any moment leaves either the old
// file or the new one, never a mix, and the temporary is removed on failure. A process killed
// mid-write leaves its temporary (".<name>.tmp.<pid>.<n>"); remove_stale_temporaries() deletes
// those of processes that no longer run, so kills never pile them up.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/error.h"

namespace mirage {

Result<std::string> read_file(const std::filesystem::path& path);
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
// Deletes the temporaries write_file_atomic left in `folder` for `file_name` (any name when
// empty) whose writing process has ended; returns how many. Never touches anything else.
int remove_stale_temporaries(const std::filesystem::path& folder, std::string_view file_name = {});
// True when no process `pid` runs (so a file named after it is a leftover); never for this one.
bool process_has_ended(long pid);

}  // namespace mirage
