#pragma once
// A socket's deadline, set before each read or write, for the cost of a clock
// read.
//
// beast::tcp_stream's expires_after starts a timer wait with every operation
// and cancels it when the operation completes: per read or write, a timer
// queue insert and removal, a cancelled-wait handler through the scheduler and,
// when the timer was the earliest, a timerfd_settime system call. A stream
// relays an event per read, so that was paid per token.
//
// A Deadline keeps one timer wait instead. ExpiresAfter() only stores the new
// deadline when a wait already ends no later than it (the usual case: each
// operation moves the deadline later); when the timer fires before the
// deadline it waits again for the deadline as it is then. So a connection that
// makes progress pays one wake-up per timeout period, not two timer operations
// per read. When a deadline passes, `expire` runs (it closes the socket, which
// ends pending operations with operation_aborted, as tcp_stream's timeout
// does) and expired() is true from then on.
//
// Like tcp_stream's, the deadline covers the operations it was set for:
// callers set it before an operation and call Clear() after it, so that the
// time between operations (a stream waiting for the client's socket, a pooled
// connection resting) does not count. One Deadline per socket, for its reads
// and writes in turn (never both at once here).
//
// Threading: the executor's thread only, like the socket it guards.
// Destroying a Deadline with a wait pending is safe (the wait's handler finds
// it gone).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace switchboard::upstream {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline(boost::asio::any_io_executor executor, std::function<void()> expire);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // The pending operation must complete within `timeout` from now.
  void ExpiresAfter(Clock::duration timeout) { ExpiresAt(Clock::now() + timeout); }
  void ExpiresAt(Clock::time_point when);
  // No deadline until the next ExpiresAfter/ExpiresAt.
  void Clear() { state_->deadline = Clock::time_point::max(); }

  // A deadline passed (and `expire` ran).
  bool expired() const { return state_->expired; }

 private:
  struct State {
    explicit State(boost::asio::any_io_executor executor) : timer(std::move(executor)) {}
    boost::asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    bool waiting = false;     // a wait is pending, ending at timer.expiry()
    uint64_t generation = 0;  // of the latest wait (bumped too when the Deadline goes); an older one's handler does nothing
    bool expired = false;
    std::function<void()> expire;
  };

  static void Wait(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace switchboard::upstream
