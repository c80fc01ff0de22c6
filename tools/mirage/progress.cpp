#include "tools/mirage/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace mirage::cli {
namespace {

std::string clock_text(double seconds) {
  const long s = static_cast<long>(std::max(0.0, seconds) + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::int64_t total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(std::int64_t done, std::string_view note) {
  last_done_ = done;
  last_note_ = note;
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ < interval) return;  // also keeps the first, noisy rate off the screen
  last_draw_ = now;
  draw(done, note, false);
}

void ProgressBar::finish() {
  if (quiet_ || last_done_ == 0) return;
  draw(last_done_, last_note_, true);
}

void ProgressBar::draw(std::int64_t done, std::string_view note, bool final) {
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  std::string eta = "--:--";
  if (total_ > 0 && rate > 0) eta = clock_text((total_ - std::min(done, total_)) / rate);
  std::string line;
  char buffer[160];
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const double share = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
    const int filled = static_cast<int>(share * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::snprintf(buffer, sizeof buffer, "%s [%s] %3d%% %lld/%lld  %.1f frames/s  %s %s", label_.c_str(),
                  bar.c_str(), static_cast<int>(share * 100), static_cast<long long>(done),
                  static_cast<long long>(total_), rate, final ? "took" : "ETA",
                  final ? clock_text(elapsed).c_str() : eta.c_str());
  } else {
    std::snprintf(buffer, sizeof buffer, "%s %lld  %.1f frames/s  %s", label_.c_str(),
                  static_cast<long long>(done), rate, clock_text(elapsed).c_str());
  }
  line = buffer;
  if (!note.empty()) line += "  " + std::string(note);
  if (terminal_) {
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace mirage::cli
