// Decodes frames on a thread of its own, a few frames ahead of the consumer, so that decoding
// overlaps with detection. Same contract as FrameSource::next().
//
//   auto source = media::FrameSource::open(path);
//   media::FramePrefetcher frames(std::move(*source), 8);
//   while (true) {
//     auto frame = frames.next();
//     if (!frame) { report(frame.error()); continue; }
//     if (!*frame) break;
//     process(**frame);
//   }
//   frames.stats();  // valid after the end was returned
//
// next() is for one consumer thread. Destroying the prefetcher stops the decode thread promptly.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/core/command_queue.h"
#include "engine/core/worker.h"
#include "engine/media/frame_source.h"

namespace mirage::media {

class FramePrefetcher {
 public:
  // depth: frames decoded ahead (>= 1).
  FramePrefetcher(FrameSource source, std::size_t depth);
  ~FramePrefetcher();
  FramePrefetcher(const FramePrefetcher&) = delete;
  FramePrefetcher& operator=(const FramePrefetcher&) = delete;

  Result<std::optional<Frame>> next();

  SourceKind kind() const { return kind_; }
  std::int64_t expected_frames() const { return expected_; }
  double fps() const { return fps_; }
  // The source's counts; complete once next() has returned the end.
  SourceStats stats() const;

 private:
  using Item = Result<std::optional<Frame>>;
  SourceKind kind_;
  std::int64_t expected_;
  double fps_;
  std::unique_ptr<FrameSource> source_;
  CommandQueue<Item> queue_;
  Worker decoder_;
  bool ended_ = false;
};

}  // namespace mirage::media
