// mirage-studio's command line and its "no display" failure: no X server or GPU needed.
// argv[1] is the mirage-studio binary (see CMakeLists.txt).
#include <gtest/gtest.h>

#include <string>

#include "tests/editor/run_command.h"

namespace mirage::studio::test {
namespace {

std::string g_studio;

class StudioCli : public testing::Test {
 protected:
  void SetUp() override { scratch_ = scratch_folder("mirage-studio-cli"); }
  void TearDown() override { std::filesystem::remove_all(scratch_); }
  CommandResult run(const std::string& arguments, const std::string& env = "") {
    return run_command(env + " '" + g_studio + "' " + arguments, scratch_);
  }
  std::filesystem::path scratch_;
};

TEST_F(StudioCli, NoDisplayIsOneLineAndAFailure) {
  const CommandResult result = run("--frames 5", "env -u DISPLAY -u WAYLAND_DISPLAY");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.exit_code, -1) << "crashed";
  const auto stderr_lines = lines(result.stderr_text);
  ASSERT_EQ(stderr_lines.size(), 1u) << result.stderr_text;
  EXPECT_EQ(stderr_lines[0], "mirage-studio: no display: set DISPLAY, run under xvfb-run, or use the headless 'mirage demo'");
}

TEST_F(StudioCli, BadOptionsAreOneLineAndExitTwo) {
  for (const std::string arguments :
       {"--bogus", "--frames", "--frames 0", "--frames ten", "--screenshot=", "--world-size 0",
        "--world-size 2.5", "--master nohost", "--master 127.0.0.1:29500", "--world-size 2 --dist-timeout -1"}) {
    const CommandResult result = run(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments;
    EXPECT_EQ(lines(result.stderr_text).size(), 1u) << arguments << ": " << result.stderr_text;
    EXPECT_TRUE(result.stderr_text.starts_with("mirage-studio: ")) << result.stderr_text;
  }
}

TEST_F(StudioCli, HelpPrintsUsage) {
  const CommandResult result = run("--help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.stdout_text.find("usage: mirage-studio"), std::string::npos)
      << result.stdout_text;
  EXPECT_TRUE(result.stderr_text.empty()) << result.stderr_text;
}

}  // namespace
}  // namespace mirage::studio::test

int main(int argc, char** argv) {
  mirage::studio::test::g_studio = mirage::studio::test::studio_from_arguments(argc, argv);
  if (mirage::studio::test::g_studio.empty()) return 2;
  return RUN_ALL_TESTS();
}
