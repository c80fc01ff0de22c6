#include "engine/core/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mirage {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Unique per process and call, so two writers of the same file never share a temporary.
std::filesystem::path temporary_name(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() /
         format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter.fetch_add(1));
}

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, "write failed: {}", errno_text());
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok();
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(ErrorCode::kNotFound, "no such file: {}", path.string());
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::kInvalidArgument, "{} is a folder, not a file", path.string());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot read {}: {}", path.string(), errno_text());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "cannot read {}", path.string());
  return text.str();
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path full = path.has_parent_path() ? path : std::filesystem::path(".") / path;
  const std::filesystem::path folder = full.parent_path();
  const std::filesystem::path temporary = temporary_name(full);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot write {}: {}", path.string(), errno_text());

  Status status = write_all(fd, bytes);
  if (status && ::fsync(fd) != 0) status = fail(ErrorCode::kIo, "fsync failed: {}", errno_text());
  if (::close(fd) != 0 && status) status = fail(ErrorCode::kIo, "close failed: {}", errno_text());
  if (status && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = fail(ErrorCode::kIo, "rename failed: {}", errno_text());
  }
  if (!status) {
    ::unlink(temporary.c_str());
    return std::unexpected(status.error().with_context("cannot write " + path.string()));
  }
  // The rename is durable only once the folder entry is on disk.
  if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return ok();
}

bool process_has_ended(long pid) {
  // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it runs, not ours).
  return pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

int remove_stale_temporaries(const std::filesystem::path& folder, std::string_view file_name) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    // ".<file>.tmp.<pid>.<n>"
    const std::size_t tmp = name.rfind(".tmp.");
    if (name.size() < 2 || name[0] != '.' || tmp == std::string::npos || tmp < 2) continue;
    if (!file_name.empty() && std::string_view(name).substr(1, tmp - 1) != file_name) continue;
    const std::string_view rest = std::string_view(name).substr(tmp + 5);
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos) continue;
    long pid = 0;
    unsigned counter = 0;
    const auto [pid_end, pid_error] = std::from_chars(rest.data(), rest.data() + dot, pid);
    const auto [n_end, n_error] = std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), counter);
    if (pid_error != std::errc() || pid_end != rest.data() + dot || n_error != std::errc() ||
        n_end != rest.data() + rest.size() || pid <= 0) {
      continue;
    }
    if (process_has_ended(pid) && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace mirage
