// Runs mirage-studio as a child process and captures what it prints, for the e2e tests.
//
//   const CommandResult r = run_command("'" + studio + "' --frames 1", dir);
//   EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mirage::studio::test {

// The start of each editor test's main(): Google Test's own flags, then the path of
// mirage-studio as the one argument. Returns the path, or "" after printing the usage.
inline std::string studio_from_arguments(int& argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <path to mirage-studio>\n", argv[0]);
    return {};
  }
  return argv[1];
}

struct CommandResult {
  int exit_code = -1;  // -1 when the child did not exit normally (a crash)
  std::string stdout_text;
  std::string stderr_text;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// command is a /bin/sh command line; its output goes through files in scratch.
inline CommandResult run_command(const std::string& command, const std::filesystem::path& scratch) {
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  const int status =
      std::system((command + " >'" + out.string() + "' 2>'" + err.string() + "'").c_str());
  CommandResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.stdout_text = read_text(out);
  result.stderr_text = read_text(err);
  return result;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

inline bool on_path(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// A fresh folder for one test binary's files, removed by the caller.
inline std::filesystem::path scratch_folder(const std::string& name) {
  const auto folder =
      std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

}  // namespace mirage::studio::test
