#pragma once
// Reconnect delays: capped exponential backoff with jitter. Pure; thread-safe.

#include <chrono>

namespace switchboard::control {

struct BackoffPolicy {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{10'000};
  double multiplier = 2.0;
};

// The delay before reconnect attempt `attempt` (0 = the first after a
// failure): min(max, initial * multiplier^attempt), scaled by a factor in
// [0.5, 1.0] taken from `unit_random` (in [0, 1)), so that data planes
// disconnected together do not reconnect in lockstep.
std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int attempt, double unit_random);

}  // namespace switchboard::control
