#include "engine/media/video_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <system_error>

#include "engine/core/file_io.h"

extern char** environ;

namespace mirage::media {
namespace fs = std::filesystem;
namespace {

// "24000/1001" for NTSC-style rates, else thousandths.
std::string rational_fps(double fps) {
  const double ntsc = fps * 1001.0 / 1000.0;
  if (std::abs(ntsc - std::round(ntsc)) < 1e-3 && std::abs(fps - std::round(fps)) > 1e-3) {
    return format("{}/1001", static_cast<long long>(std::llround(ntsc * 1000.0)));
  }
  return format("{}/1000", static_cast<long long>(std::llround(fps * 1000.0)));
}

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

std::string last_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last.empty() ? "no message" : last;
}

// Spawns argv with stdin from `stdin_fd` (or /dev/null when -1) and stdout+stderr to `log`.
Result<pid_t> spawn(const std::vector<std::string>& args, int stdin_fd, int close_fd, const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (close_fd >= 0) posix_spawn_file_actions_addclose(&actions, close_fd);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(ErrorCode::kNotFound, "cannot start {}: {}", args[0], std::strerror(rc));
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// write() of the whole buffer with SIGPIPE blocked on this thread (a dead reader gives EPIPE,
// and the pending signal is consumed so it cannot kill the process later).
bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  bool ok = true;
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  if (!ok && errno == EPIPE) {
    const timespec zero{0, 0};
    sigtimedwait(&block, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

// Removes "<prefix><pid>.<ext>" files (a partial clip and its log) that a killed writer left:
// those whose process no longer runs. A kill never leaves more than one run's worth.
void remove_stale_partials(const fs::path& folder, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    long pid = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (error != std::errc() || end == rest.data() || *end != '.') continue;
    if (process_has_ended(pid)) fs::remove(entry.path(), ec);
  }
}

std::vector<std::string> ffmpeg_arguments(const VideoWriterOptions& o, const fs::path& temporary) {
  std::vector<std::string> a = {o.ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                                "-f", "rawvideo", "-pix_fmt", "bgr24",
                                "-s", format("{}x{}", o.width, o.height),
                                "-framerate", rational_fps(o.fps), "-i", "pipe:0"};
  const bool audio = !o.audio_from.empty();
  if (audio) {
    if (o.audio_start_s > 0) a.insert(a.end(), {"-ss", format("{:.6f}", o.audio_start_s)});
    if (o.audio_duration_s > 0) a.insert(a.end(), {"-t", format("{:.6f}", o.audio_duration_s)});
    a.insert(a.end(), {"-i", o.audio_from.string()});
  }
  a.insert(a.end(), {"-map", "0:v:0"});
  if (audio) a.insert(a.end(), {"-map", "1:a:0?", "-c:a", "aac", "-b:a", "160k", "-shortest"});
  if (o.width % 2 != 0 || o.height % 2 != 0) a.insert(a.end(), {"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"});
  a.insert(a.end(), {"-c:v", "libx264", "-preset", o.preset, "-crf", std::to_string(o.crf),
                     "-pix_fmt", "yuv420p", "-map_metadata", "-1"});
  for (const auto& [key, value] : o.metadata) a.insert(a.end(), {"-metadata", key + "=" + value});
  const std::string ext = lower_extension(o.output);
  if (ext == ".mp4" || ext == ".mov" || ext == ".m4v") a.insert(a.end(), {"-movflags", "+faststart+use_metadata_tags"});
  a.push_back(temporary.string());
  return a;
}

}  // namespace

bool ffmpeg_available(const std::string& ffmpeg) {
  auto pid = spawn({ffmpeg, "-hide_banner", "-version"}, -1, -1, "/dev/null");
  return pid && wait_exit(*pid) == 0;
}

Result<VideoWriter> VideoWriter::open(const VideoWriterOptions& options) {
  if (options.width <= 0 || options.height <= 0) {
    return fail(ErrorCode::kInvalidArgument, "video size must be positive, got {}x{}", options.width, options.height);
  }
  if (!(options.fps > 0 && options.fps <= 1000)) {
    return fail(ErrorCode::kInvalidArgument, "frame rate must be in (0, 1000], got {}", options.fps);
  }
  if (options.crf < 0 || options.crf > 51) return fail(ErrorCode::kInvalidArgument, "crf must be in [0, 51]");
  if (options.output.filename().empty()) return fail(ErrorCode::kInvalidArgument, "no output file name");
  std::error_code ec;
  if (fs::exists(options.output, ec) && !options.overwrite) {
    return fail(ErrorCode::kIo, "{} exists (pass --overwrite to replace it)", options.output.string());
  }
  const fs::path folder = options.output.has_parent_path() ? options.output.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec)) return fail(ErrorCode::kIo, "{}: no such folder", folder.string());
  if (::access(folder.c_str(), W_OK) != 0) return fail(ErrorCode::kIo, "{}: not writable", folder.string());

  VideoWriter writer;
  writer.options_ = options;
  std::string stem(".");  // built step by step: GCC 12 warns (-Wrestrict, a false positive) on "." + string
  stem += options.output.stem().string();
  stem += ".partial-";
  stem += std::to_string(::getpid());
  remove_stale_partials(folder, stem.substr(0, stem.size() - std::to_string(::getpid()).size()));
  writer.temporary_ = folder / (stem + options.output.extension().string());
  writer.log_ = folder / (stem + ".log");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrorCode::kIo, "cannot create a pipe: {}", std::strerror(errno));
  auto pid = spawn(ffmpeg_arguments(options, writer.temporary_), fds[0], fds[1], writer.log_);
  ::close(fds[0]);
  if (!pid) {
    ::close(fds[1]);
    fs::remove(writer.log_, ec);
    return std::unexpected(pid.error());
  }
  writer.child_ = *pid;
  writer.pipe_ = fds[1];
  return writer;
}

VideoWriter::VideoWriter(VideoWriter&& other) noexcept { *this = std::move(other); }

VideoWriter& VideoWriter::operator=(VideoWriter&& other) noexcept {
  if (this != &other) {
    if (!done_ && child_ > 0) abort();
    options_ = std::move(other.options_);
    temporary_ = std::move(other.temporary_);
    log_ = std::move(other.log_);
    child_ = std::exchange(other.child_, -1);
    pipe_ = std::exchange(other.pipe_, -1);
    frames_ = other.frames_;
    done_ = std::exchange(other.done_, true);
  }
  return *this;
}

VideoWriter::~VideoWriter() {
  if (!done_) abort();
}

void VideoWriter::release() {
  if (pipe_ >= 0) ::close(pipe_);
  pipe_ = -1;
}

Status VideoWriter::write(const cv::Mat& frame) {
  if (done_) return fail(ErrorCode::kInternal, "write() after the video was finished or aborted");
  if (frame.type() != CV_8UC3 || frame.cols != options_.width || frame.rows != options_.height) {
    return fail(ErrorCode::kInvalidArgument, "frame must be 8-bit BGR {}x{}, got {}x{}", options_.width,
                options_.height, frame.cols, frame.rows);
  }
  bool written = true;
  if (frame.isContinuous()) {
    written = write_all(pipe_, frame.data, frame.total() * 3);
  } else {
    for (int y = 0; y < frame.rows && written; ++y) {
      written = write_all(pipe_, frame.ptr(y), static_cast<std::size_t>(frame.cols) * 3);
    }
  }
  if (!written) {
    release();
    wait_exit(child_);
    child_ = -1;
    const std::string reason = last_line(log_);
    abort();
    return fail(ErrorCode::kIo, "{}: ffmpeg stopped: {}", options_.output.string(), reason);
  }
  ++frames_;
  return ok();
}

Status VideoWriter::finish() {
  if (done_) return fail(ErrorCode::kInternal, "finish() after the video was finished or aborted");
  if (frames_ == 0) {
    abort();
    return fail(ErrorCode::kInvalidArgument, "{}: no frames to write", options_.output.string());
  }
  release();
  const int status = wait_exit(child_);
  child_ = -1;
  if (status != 0) {
    const std::string reason = last_line(log_);
    abort();
    return fail(ErrorCode::kIo, "{}: ffmpeg failed (exit {}): {}", options_.output.string(), status, reason);
  }
  std::error_code ec;
  fs::rename(temporary_, options_.output, ec);
  if (ec) {
    abort();
    return fail(ErrorCode::kIo, "{}: cannot move the finished video into place: {}", options_.output.string(), ec.message());
  }
  fs::remove(log_, ec);
  done_ = true;
  return ok();
}

void VideoWriter::abort() {
  release();
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    wait_exit(child_);
    child_ = -1;
  }
  std::error_code ec;
  if (!temporary_.empty()) fs::remove(temporary_, ec);
  if (!log_.empty()) fs::remove(log_, ec);
  done_ = true;
}

}  // namespace mirage::media
