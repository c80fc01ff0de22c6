#include "engine/core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace mirage {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "?";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (const LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                               LogLevel::kError, LogLevel::kOff}) {
    if (text == to_string(level)) return level;
  }
  return std::nullopt;
}

namespace log {
namespace {

struct Sinks {
  std::mutex mutex;
  std::ofstream file;
  std::atomic<LogLevel> file_level{LogLevel::kInfo};
  std::atomic<LogLevel> stderr_level{LogLevel::kInfo};

  Sinks() {
    if (const char* env = std::getenv("MIRAGE_LOG_LEVEL")) {
      if (const auto level = parse_log_level(env)) {
        file_level = *level;
        stderr_level = *level;
      }
    }
  }
};

Sinks& sinks() {
  static Sinks instance;
  return instance;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  return format("{}.{}{}{}Z", text, millis / 100, (millis / 10) % 10, millis % 10);
}

}  // namespace

void set_level(LogLevel level) {
  sinks().file_level = level;
  sinks().stderr_level = level;
}
LogLevel level() { return sinks().file_level; }
void set_stderr_level(LogLevel level) { sinks().stderr_level = level; }

Status open_file(const std::filesystem::path& path) {
  std::ofstream file(path, std::ios::app);
  if (!file) return fail(ErrorCode::kIo, "cannot open log file {}", path.string());
  const std::lock_guard lock(sinks().mutex);
  sinks().file = std::move(file);
  return ok();
}

void close_file() {
  const std::lock_guard lock(sinks().mutex);
  sinks().file.close();
}

bool enabled(LogLevel level) {
  Sinks& s = sinks();
  return level != LogLevel::kOff && (level >= s.stderr_level.load(std::memory_order_relaxed) ||
                                     level >= s.file_level.load(std::memory_order_relaxed));
}

void write(LogLevel level, std::string_view message) {
  Sinks& s = sinks();
  const std::lock_guard lock(s.mutex);
  if (level >= s.stderr_level) {
    std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(to_string(level).size()),
                 to_string(level).data(), static_cast<int>(message.size()), message.data());
  }
  if (s.file.is_open() && level >= s.file_level) {
    std::ostringstream thread_id;
    thread_id << std::this_thread::get_id();
    s.file << timestamp() << " [" << to_string(level) << "] (" << thread_id.str() << ") " << message
           << '\n';
    s.file.flush();
  }
}

}  // namespace log
}  // namespace mirage
