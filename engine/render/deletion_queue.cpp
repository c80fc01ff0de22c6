#include "engine/render/deletion_queue.h"

#include "engine/core/check.h"

namespace mirage::render {

void DeletionQueue::push(std::uint64_t after, std::function<void()> destroy) {
  MIRAGE_CHECK(entries_.empty() || entries_.back().first <= after);
  entries_.emplace_back(after, std::move(destroy));
}

std::size_t DeletionQueue::collect(std::uint64_t completed) {
  std::size_t ran = 0;
  while (!entries_.empty() && entries_.front().first <= completed) {
    // Pop before running so that a destroy that pushes more work cannot see itself.
    auto destroy = std::move(entries_.front().second);
    entries_.pop_front();
    destroy();
    ++ran;
  }
  return ran;
}

void DeletionQueue::flush() {
  while (!entries_.empty()) {
    auto destroy = std::move(entries_.front().second);
    entries_.pop_front();
    destroy();
  }
}

}  // namespace mirage::render
