// A progress line for long commands: a bar with items/s and ETA on a terminal, plain lines
// (about every 5 s) when stderr is not a terminal, nothing with quiet = true.
//
//   ProgressBar bar("extract", total_frames);    // total < 0: unknown
//   bar.update(done, "123 faces");               // cheap; redraws at most 10 times a second
//   bar.finish();                                // ends the line
//
// Writes to stderr only. Not thread-safe: call it from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mirage::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, bool quiet = false);
  void update(std::int64_t done, std::string_view note = {});
  void finish();

 private:
  void draw(std::int64_t done, std::string_view note, bool final);

  std::string label_;
  std::int64_t total_;
  bool quiet_;
  bool terminal_;
  bool drawn_ = false;
  std::int64_t last_done_ = 0;
  std::string last_note_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace mirage::cli
