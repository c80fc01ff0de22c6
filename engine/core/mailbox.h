// Mailbox<T>: a one-slot hand-off between threads where the latest value wins.
//
//   Mailbox<std::shared_ptr<const Snapshot>> snapshots;
//   snapshots.publish(std::make_shared<const Snapshot>(...));   // trainer thread
//   if (auto s = snapshots.take()) use(*s);                      // player thread: newest, once
//   auto current = snapshots.latest();                           // anyone: newest, read or not
//
// publish() replaces an unread value (the reader only ever wants the newest: stats, weight
// snapshots, preview images). All members are thread-safe; the lock is held only to move or copy
// one T, so keep T cheap to move (a shared_ptr for anything large). Readers never wait on the
// writer's work, only on that move.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>

namespace mirage {

template <class T>
class Mailbox {
 public:
  void publish(T value) {
    {
      const std::lock_guard lock(mutex_);
      value_ = std::move(value);
      unread_ = true;
      ++version_;
    }
    changed_.notify_all();
  }

  // The newest value if it was published since the last take(); consumes it.
  std::optional<T> take() {
    const std::lock_guard lock(mutex_);
    if (!unread_) return std::nullopt;
    unread_ = false;
    return value_;
  }

  // Waits until a value is unread, the stop token fires or the timeout passes.
  template <class Rep, class Period>
  std::optional<T> wait_take(std::stop_token stop, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, stop, timeout, [&] { return unread_; })) return std::nullopt;
    unread_ = false;
    return value_;
  }

  // A copy of the newest value, read or not; nullopt before the first publish.
  std::optional<T> latest() const {
    const std::lock_guard lock(mutex_);
    return value_;
  }

  // How many values were published so far.
  std::uint64_t version() const {
    const std::lock_guard lock(mutex_);
    return version_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::optional<T> value_;
  bool unread_ = false;
  std::uint64_t version_ = 0;
};

}  // namespace mirage
