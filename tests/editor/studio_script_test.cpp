#include "editor/studio_script.h"

#include <gtest/gtest.h>

namespace mirage::studio {
namespace {

TEST(StudioScript, ReadsEveryCommand) {
  auto steps = parse_script(
      "# a comment\nframes 30\nuntil swapped 5\nplay\nseek 1.5\ntrain save\nset feather 20 # inline\n"
      "set colour rct\nview split\nrecord renders/take.mp4\nscreenshot out.png\nquit\n\n");
  ASSERT_TRUE(steps.has_value()) << steps.error().message;
  ASSERT_EQ(steps->size(), 11u);
  EXPECT_EQ((*steps)[0].command, "frames");
  EXPECT_EQ((*steps)[0].number, 30);
  EXPECT_EQ((*steps)[1].word, "swapped");
  EXPECT_EQ((*steps)[1].number, 5);
  EXPECT_EQ((*steps)[3].number, 1.5);
  EXPECT_EQ((*steps)[5].word, "feather");
  EXPECT_EQ((*steps)[5].number, 20);
  EXPECT_EQ((*steps)[5].line, 7);
  EXPECT_EQ((*steps)[8].word, "renders/take.mp4");
}

// Found by tests/fuzz/studio_script_fuzz.cpp: "nan" passed every range check (each comparison is
// false), so "set feather nan" reached the compositor and "frames inf" never ended.
TEST(StudioScript, NumbersMustBeFiniteAndBounded) {
  for (const char* line : {"set feather nan", "set opacity nan", "frames nan", "frames inf", "seek -inf",
                           "until swapped nan", "until swapped inf", "frames 1e7", "until trained 1e9",
                           "seek -1", "frames 3 4", "set feather 1e9", "set nothing 1", "set colour purple"}) {
    auto steps = parse_script(line);
    ASSERT_FALSE(steps.has_value()) << line;
    EXPECT_TRUE(steps.error().message.starts_with("script:1: ")) << steps.error().message;
    EXPECT_EQ(steps.error().message.find('\n'), std::string::npos);
  }
}

TEST(StudioScript, ErrorNamesTheLine) {
  auto steps = parse_script("play\n\nfly away\n");
  ASSERT_FALSE(steps.has_value());
  EXPECT_EQ(steps.error().message, "script:3: unknown command 'fly'");
}

}  // namespace
}  // namespace mirage::studio
