#include "dataplane/routing/retry.h"

#include <algorithm>
#include <charconv>

namespace switchboard::routing {

bool IsRetryableStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, Rng& rng) {
  double base = static_cast<double>(policy.backoff.count());
  for (int i = 1; i < retry && base < static_cast<double>(policy.max_backoff.count()); ++i) base *= 2;
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
  return std::chrono::milliseconds(static_cast<int64_t>(base * jitter));
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0 || value.empty()) return std::nullopt;
  return std::chrono::seconds(std::min<int64_t>(seconds, 86'400));
}

}  // namespace switchboard::routing
