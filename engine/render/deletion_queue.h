// Deferred destruction: a GPU object dropped on the CPU may still be read by submitted work, so
// its destroy call waits until the submission it might be used by has finished.
//
//   DeletionQueue queue;
//   queue.push(context.last_submitted(), [device, buffer] { vkDestroyBuffer(device, buffer,
//   nullptr); });
//   ...
//   queue.collect(context.completed());   // runs every entry whose key <= completed
//   queue.flush();                         // device idle: run everything
//
// Keys are submission numbers (Context's timeline values) and must not decrease from one push to
// the next. Entries run in push order. Not thread-safe: the render thread owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace mirage::render {

class DeletionQueue {
 public:
  DeletionQueue() = default;
  DeletionQueue(const DeletionQueue&) = delete;
  DeletionQueue& operator=(const DeletionQueue&) = delete;
  ~DeletionQueue() { flush(); }

  // Runs destroy once collect() sees a completed value >= after.
  void push(std::uint64_t after, std::function<void()> destroy);
  // Runs (and drops) the entries whose key <= completed; returns how many ran.
  std::size_t collect(std::uint64_t completed);
  // Runs every entry; the caller has made sure the GPU is idle.
  void flush();
  std::size_t size() const { return entries_.size(); }

 private:
  std::deque<std::pair<std::uint64_t, std::function<void()>>> entries_;
};

}  // namespace mirage::render
