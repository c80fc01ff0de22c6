// Frames from a video file, a single image or a folder of images, in order, with their index and
// timestamp. Frames that cannot be decoded are reported one by one and skipped.
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

enum class SourceKind { kVideo, kImage, kImageFolder };

struct Frame {
  cv::Mat image;              // 8-bit BGR, owned by the frame
  std::int64_t index = 0;     // video: 0-based frame number; folder: position in the sorted listing
  double timestamp_s = 0.0;   // video: index / fps; images: 0
  std::filesystem::path path; // the file the frame came from
};

struct SourceStats {
  std::int64_t frames_read = 0;    // frames handed out by next()
  std::int64_t decode_errors = 0;  // frames or files skipped because they could not be decoded
};

// True for file names whose extension is a still-image format OpenCV reads (case-insensitive).
bool has_image_extension(const std::filesystem::path& path);

class FrameSource {
 public:
  // A video (anything FFmpeg decodes), an image file, or a folder whose files are read in name
  // order. Errors: kNotFound (no such path), kUnsupported (neither a video nor an image, or a
  // folder without a single file), kIo (unreadable).
  static Result<FrameSource> open(const std::filesystem::path& path);

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
  const SourceStats& stats() const;

 private:
  struct State;
  explicit FrameSource(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mirage::media
