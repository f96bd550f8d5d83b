#pragma once
// A one-shot latch: a test opens it to let a fake upstream (or anything else
// running on another thread) go on. Thread-safe. Copies share one latch, so a
// handler can hold its own copy and never outlive the state it waits on,
// even when the test that made the gate has already returned.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace switchboard::testing {

class Gate {
 public:
  void Open() const {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->open = true;
    }
    state_->cv.notify_all();
  }

  bool IsOpen() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->open;
  }

  // True once the gate is open; false if `timeout` passes first.
  bool Wait(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(state_->mu);
    return state_->cv.wait_for(lock, timeout, [this] { return state_->open; });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace switchboard::testing
