// Frames from a video file, a single image, a folder of images or a camera, in order, with their
// index and timestamp. Frames that cannot be decoded are reported one by one and skipped.
//
//   auto source = media::FrameSource::open("data/Megamind.avi");
//   if (!source) { print(source.error().to_string()); return 1; }
//   while (true) {
//     auto frame = source->next();
//     if (!frame) { log::warn("{}", frame.error().to_string()); continue; }  // skipped, go on
//     if (!*frame) break;                                                     // the end
//     use((*frame)->image, (*frame)->index, (*frame)->timestamp_s);
//   }
//
// Live sources (a camera, or a file delivered as a camera would: open_live()) hand out frames as
// they arrive: next() waits for the next one, and a frame nobody read in time is gone, as in a
// camera driver's ring buffer (counted in stats().frames_missed where it can be known).
// Not thread-safe: one reader at a time (FramePrefetcher moves reading onto its own thread).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"

namespace mirage::media {

enum class SourceKind { kVideo, kImage, kImageFolder, kCamera };

struct Frame {
  cv::Mat image;              // 8-bit BGR, owned by the frame
  std::int64_t index = 0;     // video: 0-based frame number; folder: position in the sorted listing
  double timestamp_s = 0.0;   // video: index / fps; images: 0; live: seconds since the source opened
  std::filesystem::path path; // the file the frame came from
};

struct SourceStats {
  std::int64_t frames_read = 0;    // frames handed out by next()
  std::int64_t decode_errors = 0;  // frames or files skipped because they could not be decoded
  std::int64_t frames_missed = 0;  // live: frames that arrived and were gone before next() was called
};

// True for file names whose extension is a still-image format OpenCV reads (case-insensitive).
bool has_image_extension(const std::filesystem::path& path);

// "camera:N" or "/dev/videoN" -> N; nullopt for anything else.
std::optional<int> camera_index(const std::filesystem::path& source);

class FrameSource {
 public:
  // A video (anything FFmpeg decodes), an image file, a folder whose files are read in name
  // order, or a camera ("camera:N" or "/dev/videoN": open_camera()). Errors: kNotFound (no such
  // path, no such camera), kUnsupported (neither a video nor an image, or a folder without a
  // single file), kIo (unreadable), kDevice (a camera that cannot capture).
  static Result<FrameSource> open(const std::filesystem::path& path);
  // Camera N through OpenCV's V4L2 capture (/dev/videoN), kind kCamera, fps as the driver
  // reports it (30 when it does not). kNotFound when the device node does not exist, kDevice
  // when it cannot be opened or delivers no frame.
  static Result<FrameSource> open_camera(int index);
  // A video file delivered as a camera would (kind kCamera): in real time from this call, each
  // frame at its moment; next() waits for the next one, and frames whose moment passed while
  // nobody asked are skipped (stats().frames_missed). Ends with the file. For tests and demos of
  // the live path where no camera exists. open()'s errors.
  static Result<FrameSource> open_live(const std::filesystem::path& video);

  FrameSource(FrameSource&&) noexcept;
  FrameSource& operator=(FrameSource&&) noexcept;
  ~FrameSource();

  // The next frame, or nullopt at the end. An Error means one frame (or one file of a folder)
  // was skipped: the message names it and the next call continues after it. A video that stops
  // decoding for good before its announced end reports that once and then ends.
  Result<std::optional<Frame>> next();

  SourceKind kind() const;
  const std::filesystem::path& path() const;
  // Frames announced by the container (video), or the number of files (folder); -1 if unknown.
  std::int64_t expected_frames() const;
  double fps() const;  // 0 for images
  bool live() const { return kind() == SourceKind::kCamera; }
  const SourceStats& stats() const;

 private:
  struct State;
  explicit FrameSource(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::media
