// Monotonic time for stage timings and progress rates.
//
//   const Clock::time_point start = Clock::now();
//   ...
//   log::info("decoded in {:.2f} s", seconds_since(start));
#pragma once

#include <chrono>

namespace mirage {

using Clock = std::chrono::steady_clock;

// Seconds from `start` to now.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace mirage
