// H.264 video output with the source's audio and container metadata, through an `ffmpeg` child
// process (OpenCV's VideoWriter can carry neither audio nor metadata).
//
//   media::VideoWriterOptions o{.output = "renders/out.mp4", .width = 720, .height = 528,
//                               .fps = 23.976, .audio_from = "data/Megamind.avi"};
//   o.metadata = {{"comment", "synthetic: made with Mirage 0.1.0, model lite"}};
//   auto writer = media::VideoWriter::open(o);      // fails at once if out.mp4 exists
//   if (!writer) return std::unexpected(writer.error());
//   for (...) if (auto s = writer->write(frame); !s) return s;   // 8-bit BGR, width x height
//   if (auto s = writer->finish(); !s) return s;   // only now does out.mp4 appear
//
// Frames are piped raw (bgr24) to `ffmpeg`, which encodes libx264 (yuv420p; an odd width or
// height is padded by one black pixel row/column, as 4:2:0 needs even sides) and, when
// audio_from has an audio stream, maps its first one (from audio_start_s, for audio_duration_s)
// re-encoded as AAC. Everything goes to a temporary file in the output's folder
// (".<name>.partial-<pid><ext>"), renamed over the output by finish() after ffmpeg exited with
// status 0. abort(), a failed write/finish and the destructor of an unfinished writer kill
// ffmpeg and remove the temporary: no partial file is ever left under the output name.
// ffmpeg's messages go to a log next to the temporary; a failure reports its last line. A
// process killed while writing leaves its temporary and log; the next writer of the same output
// removes those of processes that no longer run.
// Not thread-safe: one thread writes. SIGPIPE is blocked on the writing thread while it writes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/core/error.h"

namespace mirage::media {

struct VideoWriterOptions {
  std::filesystem::path output;      // .mp4, .mkv, .mov (the extension picks the container)
  int width = 0;
  int height = 0;
  double fps = 25.0;                 // written as a rational (N/1001 when that is what it is)
  std::filesystem::path audio_from;  // empty: no audio; a file without audio: no audio either
  double audio_start_s = 0.0;
  double audio_duration_s = -1.0;    // < 0: to the end of the video
  std::vector<std::pair<std::string, std::string>> metadata;  // container tags (key, value)
  std::string preset = "veryfast";   // libx264 preset
  int crf = 18;                      // libx264 constant quality, 0..51
  bool overwrite = false;            // replace an existing output (only at finish())
  std::string ffmpeg = "ffmpeg";     // program name or path
};

// True when `ffmpeg` can be started (it answers `-version`).
bool ffmpeg_available(const std::string& ffmpeg = "ffmpeg");

class VideoWriter {
 public:
  // Starts ffmpeg. Errors: kInvalidArgument (size, fps, crf), kIo (the output exists and
  // overwrite is false; its folder does not exist or is not writable), kNotFound (no ffmpeg).
  static Result<VideoWriter> open(const VideoWriterOptions& options);

  VideoWriter(VideoWriter&& other) noexcept;
  VideoWriter& operator=(VideoWriter&& other) noexcept;
  ~VideoWriter();  // abort() unless finished

  // One 8-bit BGR frame of exactly width x height (else kInvalidArgument). kIo when ffmpeg has
  // died (the writer is then aborted).
  Status write(const cv::Mat& frame_bgr8);
  // Closes the pipe, waits for ffmpeg, checks its exit status and renames the temporary to the
  // output. At least one frame must have been written (else kInvalidArgument, aborted).
  Status finish();
  // Kills ffmpeg and removes the temporary (and its log). Safe to call more than once.
  void abort();

  std::int64_t frames_written() const { return frames_; }
  const std::filesystem::path& temporary_path() const { return temporary_; }

 private:
  VideoWriter() = default;
  void release();

  VideoWriterOptions options_;
  std::filesystem::path temporary_;
  std::filesystem::path log_;
  pid_t child_ = -1;
  int pipe_ = -1;
  std::int64_t frames_ = 0;
  bool done_ = false;
};

}  // namespace mirage::media
