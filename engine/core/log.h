// Leveled logging to stderr and, optionally, a file. Thread-safe; one line per call.
//
//   mirage::log::set_level(LogLevel::kDebug);
//   if (auto s = mirage::log::open_file(project / "mirage.log"); !s) ...;
//   mirage::log::info("extracted {} faces", n);
//
// stderr lines read "[warn] message"; file lines add a UTC timestamp and the thread id. Messages
// below the level are dropped before formatting. Writing never throws and never blocks on I/O
// of another thread for longer than one line.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "engine/core/error.h"
#include "engine/core/format.h"

namespace mirage {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

std::string_view to_string(LogLevel level);
// "trace" | "debug" | "info" | "warn" | "error" | "off"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);

namespace log {

void set_level(LogLevel level);         // default kInfo; MIRAGE_LOG_LEVEL overrides at start-up
LogLevel level();
void set_stderr_level(LogLevel level);  // stderr may be quieter than the file (default: kInfo)
Status open_file(const std::filesystem::path& path);  // appends; replaces a previously open file
void close_file();

bool enabled(LogLevel level);
void write(LogLevel level, std::string_view message);

template <class... Args>
void at(LogLevel level, std::string_view fmt, const Args&... args) {
  if (enabled(level)) write(level, format(fmt, args...));
}
template <class... Args> void trace(std::string_view fmt, const Args&... a) { at(LogLevel::kTrace, fmt, a...); }
template <class... Args> void debug(std::string_view fmt, const Args&... a) { at(LogLevel::kDebug, fmt, a...); }
template <class... Args> void info(std::string_view fmt, const Args&... a) { at(LogLevel::kInfo, fmt, a...); }
template <class... Args> void warn(std::string_view fmt, const Args&... a) { at(LogLevel::kWarn, fmt, a...); }
template <class... Args> void error(std::string_view fmt, const Args&... a) { at(LogLevel::kError, fmt, a...); }

}  // namespace log
}  // namespace mirage
