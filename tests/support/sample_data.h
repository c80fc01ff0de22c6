// Where tests find the repository and its sample clip (tools/setup copies Megamind.avi to data/).
// CTest sets MIRAGE_SOURCE_DIR; a test run by hand from the repository root uses the current folder.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace mirage::test {

inline std::filesystem::path source_dir() {
  const char* dir = std::getenv("MIRAGE_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::current_path();
}

inline std::filesystem::path megamind_clip() { return source_dir() / "data" / "Megamind.avi"; }

}  // namespace mirage::test
