#include "dataplane/upstream/deadline.h"

#include <utility>

namespace switchboard::upstream {

Deadline::Deadline(boost::asio::any_io_executor executor, std::function<void()> expire)
    : state_(std::make_shared<State>(std::move(executor))) {
  state_->expire = std::move(expire);
}

Deadline::~Deadline() {
  ++state_->generation;  // a pending wait's handler finds itself outdated
  state_->timer.cancel();
}

void Deadline::ExpiresAt(Clock::time_point when) {
  State& state = *state_;
  if (state.expired) return;  // the socket is closed: nothing left to time
  state.deadline = when;
  // A pending wait that ends no later than the deadline will find it and wait
  // again; only an earlier deadline needs a new wait.
  if (!state.waiting || when < state.timer.expiry()) Wait(state_);
}

void Deadline::Wait(const std::shared_ptr<State>& state) {
  state->waiting = true;
  const uint64_t generation = ++state->generation;
  state->timer.expires_at(state->deadline);  // (cancels a pending wait: its handler sees a newer generation)
  state->timer.async_wait([state, generation](const boost::system::error_code&) {
    if (generation != state->generation) return;  // replaced by a newer wait, or the Deadline is gone
    state->waiting = false;
    if (state->deadline == Clock::time_point::max()) return;  // cleared: the next deadline starts a wait
    if (Clock::now() < state->deadline) {
      Wait(state);  // the deadline moved on since this wait began
      return;
    }
    state->expired = true;
    state->deadline = Clock::time_point::max();
    state->expire();
  });
}

}  // namespace switchboard::upstream
