#include "dataplane/control/backoff.h"

#include <algorithm>
#include <cmath>

namespace switchboard::control {

std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int attempt, double unit_random) {
  double base = static_cast<double>(policy.initial.count()) * std::pow(policy.multiplier, std::max(attempt, 0));
  double capped = std::min(base, static_cast<double>(policy.max.count()));
  double jitter = 0.5 + 0.5 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(capped * jitter)));
}

}  // namespace switchboard::control
