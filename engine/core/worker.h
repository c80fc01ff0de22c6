// Worker: a named thread that stops cooperatively.
//
//   Worker trainer("trainer", [&](std::stop_token stop) {
//     while (!stop.stop_requested()) step();
//   });
//   ...
//   trainer.stop();                      // request_stop() + join()
//   if (auto e = trainer.failure()) ...  // an exception that escaped the body, as an Error
//
// The destructor stops and joins. The body must poll its stop_token (or pass it to blocking
// calls such as CommandQueue::pop) so that stop() returns promptly. An exception escaping the
// body ends the thread and is kept as an Error (kInternal, with its what()). Move-only.
// request_stop()/running()/failure() are thread-safe; stop()/join() are for the owner thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "engine/core/error.h"

namespace mirage {

class Worker {
 public:
  Worker() = default;
  Worker(std::string name, std::function<void(std::stop_token)> body);
  Worker(Worker&&) noexcept = default;
  Worker& operator=(Worker&& other) noexcept;
  ~Worker();

  void request_stop();
  void join();
  void stop();  // request_stop() then join()
  bool running() const;
  std::optional<Error> failure() const;
  const std::string& name() const { return name_; }

 private:
  struct State {
    std::atomic<bool> running{true};
    std::atomic<bool> failed{false};
    std::string failure;  // written before `failed` is set, read after
  };
  std::string name_;
  std::shared_ptr<State> state_;
  std::jthread thread_;
};

}  // namespace mirage
