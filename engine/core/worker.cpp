#include "engine/core/worker.h"

#include <pthread.h>

#include <exception>

#include "engine/core/log.h"

namespace mirage {

Worker::Worker(std::string name, std::function<void(std::stop_token)> body)
    : name_(std::move(name)), state_(std::make_shared<State>()) {
  thread_ = std::jthread([state = state_, name = name_, body = std::move(body)](std::stop_token stop) {
    // Linux limits thread names to 15 characters; the name shows in debuggers and top -H.
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    try {
      body(stop);
    } catch (const std::exception& e) {
      state->failure = format("{} thread failed: {}", name, e.what());
      state->failed.store(true, std::memory_order_release);
      log::error("{}", state->failure);
    } catch (...) {
      state->failure = format("{} thread failed with an unknown exception", name);
      state->failed.store(true, std::memory_order_release);
      log::error("{}", state->failure);
    }
    state->running.store(false, std::memory_order_release);
  });
}

Worker& Worker::operator=(Worker&& other) noexcept {
  if (this != &other) {
    stop();
    name_ = std::move(other.name_);
    state_ = std::move(other.state_);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

Worker::~Worker() { stop(); }

void Worker::request_stop() { thread_.request_stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::stop() {
  request_stop();
  join();
}

bool Worker::running() const { return state_ && state_->running.load(std::memory_order_acquire); }

std::optional<Error> Worker::failure() const {
  if (!state_ || !state_->failed.load(std::memory_order_acquire)) return std::nullopt;
  return Error{ErrorCode::kInternal, state_->failure};
}

}  // namespace mirage
