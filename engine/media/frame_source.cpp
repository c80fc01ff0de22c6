#include "engine/media/frame_source.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <system_error>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "engine/core/format.h"

namespace mirage::media {
namespace fs = std::filesystem;
namespace {

// How many frames in a row a video may fail to decode before it counts as ended for good.
constexpr int kMaxConsecutiveDecodeFailures = 25;
// A camera that delivers nothing for this long is lost.
constexpr int kCameraReadAttempts = 50;
constexpr double kCameraDefaultFps = 30.0;
using SteadyClock = std::chrono::steady_clock;

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// OpenCV reads 16-bit, grey and 4-channel images; the pipeline wants 8-bit BGR.
cv::Mat to_bgr8(const cv::Mat& image) {
  cv::Mat eight = image;
  if (image.depth() == CV_16U) image.convertTo(eight, CV_8U, 1.0 / 257.0);
  if (eight.channels() == 1) cv::cvtColor(eight, eight, cv::COLOR_GRAY2BGR);
  if (eight.channels() == 4) cv::cvtColor(eight, eight, cv::COLOR_BGRA2BGR);
  return eight;
}

Result<cv::Mat> read_image(const fs::path& path) {
  try {
    cv::Mat image = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
    if (image.empty() || (image.depth() != CV_8U && image.depth() != CV_16U)) {
      return fail(ErrorCode::kCorrupt, "{}: not a readable image", path.string());
    }
    return to_bgr8(image);
  } catch (const cv::Exception& e) {
    return fail(ErrorCode::kCorrupt, "{}: cannot decode image ({})", path.string(), e.msg);
  }
}

}  // namespace

std::optional<int> camera_index(const fs::path& source) {
  const std::string text = source.string();
  for (const std::string prefix : {"camera:", "/dev/video"}) {
    if (text.rfind(prefix, 0) != 0 || text.size() == prefix.size() || text.size() > prefix.size() + 3) continue;
    const std::string digits = text.substr(prefix.size());
    if (!std::ranges::all_of(digits, [](unsigned char c) { return std::isdigit(c) != 0; })) continue;
    return std::stoi(digits);
  }
  return std::nullopt;
}

bool has_image_extension(const fs::path& path) {
  static constexpr std::array kExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff",
                                             ".webp", ".ppm", ".pgm", ".pbm", ".jp2", ".exr"};
  const std::string extension = lower(path.extension().string());
  return std::ranges::find(kExtensions, extension) != kExtensions.end();
}

struct FrameSource::State {
  SourceKind kind = SourceKind::kVideo;
  fs::path path;
  SourceStats stats;
  std::int64_t expected = -1;
  double fps = 0.0;
  // Video.
  cv::VideoCapture capture;
  std::int64_t next_index = 0;
  bool ended = false;
  std::optional<Frame> pending;  // a frame decoded after a reported failure
  // Image and folder.
  std::vector<fs::path> files;
  std::size_t next_file = 0;
  // Live: a camera, or a video paced as one (paced_file).
  bool paced_file = false;
  SteadyClock::time_point opened_at = SteadyClock::now();

  Result<std::optional<Frame>> next_video();
  Result<std::optional<Frame>> next_paced_frame();
  Result<std::optional<Frame>> next_camera_frame();
  Result<std::optional<Frame>> next_file_frame();
  bool read_video_frame(Frame& frame);
};

bool FrameSource::State::read_video_frame(Frame& frame) {
  cv::Mat image;
  bool decoded = false;
  try {
    decoded = capture.read(image) && !image.empty();
  } catch (const cv::Exception&) {
    decoded = false;
  }
  const std::int64_t index = next_index++;
  if (!decoded) return false;
  frame.image = to_bgr8(image);
  frame.index = index;
  frame.timestamp_s = fps > 0 ? static_cast<double>(index) / fps : 0.0;
  frame.path = path;
  return true;
}

Result<std::optional<Frame>> FrameSource::State::next_video() {
  if (pending) {
    std::optional<Frame> frame = std::move(pending);
    pending.reset();
    ++stats.frames_read;
    return frame;
  }
  if (ended) return std::optional<Frame>{};
  Frame frame;
  if (read_video_frame(frame)) {
    ++stats.frames_read;
    return std::optional<Frame>(std::move(frame));
  }
  const std::int64_t failed = next_index - 1;
  // A read failing at (or past) the announced end is the end; an unknown length ends there too.
  // So does one failing on the last announced frame: Matroska and AVI announce a count computed
  // from the duration, which is often one more than the frames there are.
  if (expected < 0 || failed >= expected - 1) {
    ended = true;
    return std::optional<Frame>{};
  }
  ++stats.decode_errors;
  for (int attempt = 0; attempt < kMaxConsecutiveDecodeFailures && next_index < expected; ++attempt) {
    if (read_video_frame(frame)) {
      const std::int64_t skipped = frame.index - failed;
      stats.decode_errors += skipped - 1;
      pending = std::move(frame);
      return fail(ErrorCode::kCorrupt, "{}: could not decode {} frame(s) from frame {}, skipped",
                  path.string(), skipped, failed);
    }
  }
  ended = true;
  stats.decode_errors += std::max<std::int64_t>(0, expected - failed - 1);
  return fail(ErrorCode::kCorrupt, "{}: decoding stopped at frame {} of {}", path.string(), failed,
              expected);
}

Result<std::optional<Frame>> FrameSource::State::next_paced_frame() {
  // Frame i arrives at opened_at + i / fps. One that is older than the newest arrived frame is
  // gone, as a camera's driver overwrites what nobody read.
  const double since = std::chrono::duration<double>(SteadyClock::now() - opened_at).count();
  const auto newest = static_cast<std::int64_t>(std::floor(since * fps));
  const auto upcoming = [&] { return pending ? pending->index : next_index; };
  while (!ended && upcoming() < newest && (expected < 0 || upcoming() < expected - 1)) {
    if (pending) {
      pending.reset();
    } else if (capture.grab()) {
      ++next_index;
    } else {
      ended = true;
      break;
    }
    ++stats.frames_missed;
  }
  std::this_thread::sleep_until(opened_at + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(static_cast<double>(upcoming()) / fps)));
  return next_video();
}

Result<std::optional<Frame>> FrameSource::State::next_camera_frame() {
  cv::Mat image;
  for (int attempt = 0; attempt < kCameraReadAttempts; ++attempt) {
    try {
      if (capture.read(image) && !image.empty()) break;
    } catch (const cv::Exception&) {
      image.release();
    }
  }
  if (image.empty()) {
    ended = true;
    return fail(ErrorCode::kDevice, "{}: the camera stopped delivering frames", path.string());
  }
  ++stats.frames_read;
  Frame frame{to_bgr8(image), next_index++, std::chrono::duration<double>(SteadyClock::now() - opened_at).count(), path};
  return std::optional<Frame>(std::move(frame));
}

Result<std::optional<Frame>> FrameSource::State::next_file_frame() {
  if (next_file >= files.size()) return std::optional<Frame>{};
  const std::size_t position = next_file++;
  const fs::path& file = files[position];
  auto image = read_image(file);
  if (!image) {
    ++stats.decode_errors;
    if (kind == SourceKind::kImageFolder && !has_image_extension(file)) {
      return fail(ErrorCode::kUnsupported, "{}: not an image, skipped", file.string());
    }
    return fail(ErrorCode::kCorrupt, "{}: cannot decode image, skipped", file.string());
  }
  ++stats.frames_read;
  return std::optional<Frame>(Frame{std::move(*image), static_cast<std::int64_t>(position), 0.0, file});
}

FrameSource::FrameSource(std::unique_ptr<State> state) : state_(std::move(state)) {}
FrameSource::FrameSource(FrameSource&&) noexcept = default;
FrameSource& FrameSource::operator=(FrameSource&&) noexcept = default;
FrameSource::~FrameSource() = default;

Result<FrameSource> FrameSource::open(const fs::path& path) {
  // FFmpeg's own messages ("moov atom not found") would be a second line beside ours; a user who
  // wants them sets OPENCV_FFMPEG_LOGLEVEL (or OPENCV_FFMPEG_DEBUG) themselves.
  ::setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
  if (const auto camera = camera_index(path)) return open_camera(*camera);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return fail(ErrorCode::kIo, "{}: {}", path.string(), ec.message());
    }
    return fail(ErrorCode::kNotFound, "no such file or folder: {}", path.string());
  }
  auto state = std::make_unique<State>();
  state->path = path;

  if (fs::is_directory(status)) {
    state->kind = SourceKind::kImageFolder;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) state->files.push_back(entry.path());
    }
    if (ec) return fail(ErrorCode::kIo, "{}: cannot list folder: {}", path.string(), ec.message());
    if (state->files.empty()) return fail(ErrorCode::kUnsupported, "{}: the folder holds no files", path.string());
    std::ranges::sort(state->files);
    state->expected = static_cast<std::int64_t>(state->files.size());
    return FrameSource(std::move(state));
  }

  bool is_image = false;
  try {
    is_image = cv::haveImageReader(path.string());
  } catch (const cv::Exception&) {
    is_image = false;
  }
  if (is_image) {
    state->kind = SourceKind::kImage;
    state->files.push_back(path);
    state->expected = 1;
    return FrameSource(std::move(state));
  }

  try {
    state->capture.open(path.string(), cv::CAP_FFMPEG);
    if (!state->capture.isOpened()) {
      return fail(ErrorCode::kUnsupported, "{}: neither a video nor an image that can be decoded",
                  path.string());
    }
    state->fps = state->capture.get(cv::CAP_PROP_FPS);
    if (!std::isfinite(state->fps) || state->fps <= 0 || state->fps > 1000) state->fps = 0.0;
    const double count = state->capture.get(cv::CAP_PROP_FRAME_COUNT);
    state->expected = count > 0 && std::isfinite(count) ? static_cast<std::int64_t>(count) : -1;
  } catch (const cv::Exception& e) {
    return fail(ErrorCode::kUnsupported, "{}: cannot open as a video ({})", path.string(), e.msg);
  }
  // A file FFmpeg opens but cannot decode a single frame of is not a video for our purposes.
  Frame first;
  if (!state->read_video_frame(first)) {
    bool any = false;
    for (int attempt = 0; attempt < kMaxConsecutiveDecodeFailures && !any; ++attempt) {
      any = state->read_video_frame(first);
    }
    if (!any) {
      return fail(ErrorCode::kUnsupported, "{}: no frame of it can be decoded (not a video?)",
                  path.string());
    }
    state->stats.decode_errors += first.index;
  }
  state->pending = std::move(first);
  return FrameSource(std::move(state));
}

Result<FrameSource> FrameSource::open_camera(int index) {
  const fs::path device = format("/dev/video{}", index);
  std::error_code ec;
  if (index < 0 || !fs::exists(device, ec)) {
    return fail(ErrorCode::kNotFound, "no camera {} ({} does not exist)", index, device.string());
  }
  auto state = std::make_unique<State>();
  state->kind = SourceKind::kCamera;
  state->path = device;
  try {
    if (!state->capture.open(index, cv::CAP_V4L2) || !state->capture.isOpened()) {
      return fail(ErrorCode::kDevice, "camera {} ({}): cannot be opened for capture (busy, or not a capture device)",
                  index, device.string());
    }
    state->capture.set(cv::CAP_PROP_BUFFERSIZE, 1);  // the newest frame, not a queue of old ones
    state->fps = state->capture.get(cv::CAP_PROP_FPS);
  } catch (const cv::Exception& e) {
    return fail(ErrorCode::kDevice, "camera {} ({}): {}", index, device.string(), e.msg);
  }
  if (!std::isfinite(state->fps) || state->fps <= 0 || state->fps > 1000) state->fps = kCameraDefaultFps;
  state->opened_at = SteadyClock::now();
  return FrameSource(std::move(state));
}

Result<FrameSource> FrameSource::open_live(const fs::path& video) {
  auto source = open(video);
  if (!source) return source;
  State& state = *source->state_;
  if (state.kind != SourceKind::kVideo || state.fps <= 0) {
    return fail(ErrorCode::kUnsupported, "{}: only a video with a frame rate can stand in for a camera", video.string());
  }
  state.kind = SourceKind::kCamera;
  state.paced_file = true;
  state.opened_at = SteadyClock::now();
  return source;
}

Result<std::optional<Frame>> FrameSource::next() {
  if (state_->kind == SourceKind::kCamera) {
    return state_->paced_file ? state_->next_paced_frame() : state_->next_camera_frame();
  }
  if (state_->kind == SourceKind::kVideo) return state_->next_video();
  return state_->next_file_frame();
}

SourceKind FrameSource::kind() const { return state_->kind; }
const fs::path& FrameSource::path() const { return state_->path; }
std::int64_t FrameSource::expected_frames() const { return state_->expected; }
double FrameSource::fps() const { return state_->fps; }
const SourceStats& FrameSource::stats() const { return state_->stats; }

}  // namespace mirage::media
