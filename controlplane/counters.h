#pragma once
// The control plane's own event counters, declared together (metrics.cc
// exposes them). Cumulative since the process started; updated with relaxed
// atomics from any thread.

#include <atomic>
#include <cstdint>

namespace switchboard::controlplane {

struct Counters {
  std::atomic<uint64_t> pushes{0};            // config responses written to data planes
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> nacks{0};
  std::atomic<uint64_t> changes_accepted{0};  // admin mutations that made a new version
  std::atomic<uint64_t> changes_rejected{0};  // admin mutations refused (invalid, precondition, not found)
  std::atomic<uint64_t> stats_reports{0};
  std::atomic<uint64_t> unauthenticated{0};   // calls refused for a missing or wrong token
};

}  // namespace switchboard::controlplane
