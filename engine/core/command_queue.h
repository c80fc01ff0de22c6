// CommandQueue<T>: a bounded multi-producer, multi-consumer FIFO for commands to a worker.
//
//   CommandQueue<TrainerCommand> commands(64);
//   commands.push(Pause{});                          // UI thread; blocks only while full
//   for (auto& c : commands.drain()) apply(c);       // trainer thread, between steps
//   while (auto c = commands.pop(stop)) handle(*c);  // or a worker that waits for work
//
// close() wakes everyone: later pushes fail, pops return what is left and then nullopt.
// A stop request on the token passed to push()/pop() makes them return false/nullopt.
// All members are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "engine/core/check.h"

namespace mirage {

template <class T>
class CommandQueue {
 public:
  explicit CommandQueue(std::size_t capacity) : capacity_(capacity) { MIRAGE_CHECK(capacity > 0); }

  // Blocks while the queue is full. False when closed or stopped (the command is dropped).
  bool push(T command, std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_full_.wait(lock, stop, [&] { return closed_ || items_.size() < capacity_; })) {
      return false;
    }
    if (closed_) return false;
    items_.push_back(std::move(command));
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Never blocks. False when full or closed.
  bool try_push(T command) {
    {
      const std::lock_guard lock(mutex_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(command));
    }
    not_empty_.notify_one();
    return true;
  }

  // Blocks until a command arrives; nullopt when closed and empty, or stopped.
  std::optional<T> pop(std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait(lock, stop, [&] { return closed_ || !items_.empty(); })) {
      return std::nullopt;
    }
    return take_front(lock);
  }

  // Like pop() but gives up after the timeout.
  template <class Rep, class Period>
  std::optional<T> pop_for(std::chrono::duration<Rep, Period> timeout, std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, stop, timeout, [&] { return closed_ || !items_.empty(); })) {
      return std::nullopt;
    }
    return take_front(lock);
  }

  std::optional<T> try_pop() {
    std::unique_lock lock(mutex_);
    return take_front(lock);
  }

  // Everything queued right now, oldest first.
  std::vector<T> drain() {
    std::vector<T> out;
    {
      const std::lock_guard lock(mutex_);
      out.reserve(items_.size());
      for (T& item : items_) out.push_back(std::move(item));
      items_.clear();
    }
    not_full_.notify_all();
    return out;
  }

  void close() {
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool closed() const {
    const std::lock_guard lock(mutex_);
    return closed_;
  }
  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return items_.size();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  std::optional<T> take_front(std::unique_lock<std::mutex>& lock) {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_full_;
  std::condition_variable_any not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace mirage
