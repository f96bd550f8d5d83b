#pragma once
// Retry policy of a model: how many attempts, how long to wait between them.
// Pure functions; the handler (dataplane/server/chat.cc) drives the attempts.

#include <chrono>
#include <optional>
#include <string_view>

#include "common/random.h"

namespace switchboard::routing {

struct RetryPolicy {
  int attempts = 3;  // in all, the first included
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

// Statuses worth another attempt: 429 and the 5xx that mean "not now".
bool IsRetryableStatus(int status);

// The wait before retry number `retry` (1 = the first retry):
// backoff * 2^(retry-1), capped at max_backoff, times a jitter in [0.5, 1.5).
std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, Rng& rng);

// A Retry-After header in delta-seconds form ("30"); the HTTP-date form and
// anything else are ignored.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

}  // namespace switchboard::routing
