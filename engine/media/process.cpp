#include "engine/media/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace mirage::media {
namespace {

void close_both(int fds[2]) {
  if (fds[0] >= 0) ::close(fds[0]);
  if (fds[1] >= 0) ::close(fds[1]);
}

}  // namespace

Result<ProgramResult> run_program(const std::vector<std::string>& args, bool separate_errors) {
  if (args.empty()) return fail(ErrorCode::kInvalidArgument, "no program to run");
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || (separate_errors && ::pipe2(err, O_CLOEXEC) != 0)) {
    close_both(out);
    close_both(err);
    return fail(ErrorCode::kIo, "cannot make a pipe: {}", std::strerror(errno));
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, separate_errors ? err[1] : out[1], STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  out[1] = -1;
  if (separate_errors) {
    ::close(err[1]);
    err[1] = -1;
  }
  if (rc != 0) {
    close_both(out);
    close_both(err);
    return fail(ErrorCode::kNotFound, "cannot start {}: {}", args[0], std::strerror(rc));
  }
  ProgramResult result;
  std::array<char, 65536> chunk;
  std::vector<pollfd> open_fds = {{out[0], POLLIN, 0}};
  if (separate_errors) open_fds.push_back({err[0], POLLIN, 0});
  while (!open_fds.empty()) {
    if (::poll(open_fds.data(), open_fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < open_fds.size();) {
      if (open_fds[i].revents == 0) {
        ++i;
        continue;
      }
      const ssize_t n = ::read(open_fds[i].fd, chunk.data(), chunk.size());
      if (n > 0) {
        (open_fds[i].fd == out[0] ? result.output : result.errors).append(chunk.data(), static_cast<std::size_t>(n));
        ++i;
      } else if (n < 0 && errno == EINTR) {
        ++i;
      } else {
        open_fds.erase(open_fds.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  close_both(out);
  close_both(err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(ErrorCode::kIo, "waiting for {}: {}", args[0], std::strerror(errno));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace mirage::media
