#include "engine/media/frame_prefetcher.h"

namespace mirage::media {

FramePrefetcher::FramePrefetcher(FrameSource source, std::size_t depth)
    : kind_(source.kind()),
      expected_(source.expected_frames()),
      fps_(source.fps()),
      source_(std::make_unique<FrameSource>(std::move(source))),
      queue_(depth) {
  decoder_ = Worker("decode", [this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      Item item = source_->next();
      const bool end = item && !item->has_value();
      if (!queue_.push(std::move(item), stop) || end) break;
    }
    queue_.close();
  });
}

FramePrefetcher::~FramePrefetcher() {
  queue_.close();
  decoder_.stop();
}

Result<std::optional<Frame>> FramePrefetcher::next() {
  if (ended_) return std::optional<Frame>{};
  std::optional<Item> item = queue_.pop();
  if (!item) {
    ended_ = true;
    decoder_.join();
    if (auto failure = decoder_.failure()) return std::unexpected(*failure);
    return std::optional<Frame>{};
  }
  if (*item && !(*item)->has_value()) {
    ended_ = true;
    decoder_.join();
  }
  return std::move(*item);
}

SourceStats FramePrefetcher::stats() const {
  // The decode thread owns the source until it ends; before that the counts are not stable.
  return ended_ ? source_->stats() : SourceStats{};
}

}  // namespace mirage::media
