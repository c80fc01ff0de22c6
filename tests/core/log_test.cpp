#include "engine/core/log.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/core/file_io.h"
#include "tests/core/temp_dir.h"

namespace mirage {
namespace {

TEST(Log, ParsesLevels) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
}

TEST(Log, FileGetsLinesAtOrAboveItsLevel) {
  const TempDir dir;
  const auto path = dir.path() / "mirage.log";
  log::set_level(LogLevel::kWarn);
  ASSERT_TRUE(log::open_file(path));
  log::info("hidden {}", 1);
  log::warn("shown {}", 2);
  log::error("also {}", 3);
  log::close_file();
  log::set_level(LogLevel::kInfo);
  const std::string text = *read_file(path);
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_NE(text.find("[warn]"), std::string::npos);
  EXPECT_NE(text.find("shown 2"), std::string::npos);
  EXPECT_NE(text.find("[error]"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(Log, UnwritableFileIsAnError) {
  const TempDir dir;
  EXPECT_FALSE(log::open_file(dir.path() / "no" / "such" / "dir.log"));
}

}  // namespace
}  // namespace mirage
