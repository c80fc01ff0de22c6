// Reading what ffmpeg wrote, for tests of clips: a command's stdout and one ffprobe query.
//
//   EXPECT_EQ(ffprobe(clip, "-select_streams a -show_entries stream=codec_name"), "aac");
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace mirage::test {

// The stdout of a /bin/sh command line without its trailing newlines ("" when it cannot run).
inline std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// ffprobe's values for `what` (e.g. "-show_entries format_tags=comment"), one per line, no keys.
inline std::string ffprobe(const std::filesystem::path& file, const std::string& what) {
  return command_output("ffprobe -v error " + what + " -of default=nw=1:nk=1 '" + file.string() + "'");
}

}  // namespace mirage::test
