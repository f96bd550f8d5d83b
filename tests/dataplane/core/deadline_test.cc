// Deadline: one lazy timer wait per socket instead of a timer operation per
// read or write. Real io_context, real clock, short timeouts; only lower bounds
// on time are asserted (a deadline never passes early), upper bounds are the
// run limits.

#include "dataplane/upstream/deadline.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

namespace switchboard::upstream {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kRunLimit = 10s;  // every test's io_context runs at most this long

struct Fixture {
  boost::asio::io_context ioc;
  std::optional<Clock::time_point> fired;
  int expire_calls = 0;
  Deadline deadline{ioc.get_executor(), [this] {
                      ++expire_calls;
                      fired = Clock::now();
                      ioc.stop();
                    }};
};

TEST(DeadlineTest, PassesWhenNothingMovesIt) {
  Fixture f;
  const auto start = Clock::now();
  f.deadline.ExpiresAfter(50ms);
  EXPECT_FALSE(f.deadline.expired());
  f.ioc.run_for(kRunLimit);
  ASSERT_TRUE(f.fired.has_value());
  EXPECT_TRUE(f.deadline.expired());
  EXPECT_EQ(f.expire_calls, 1);
  EXPECT_GE(*f.fired - start, 50ms);
}

// Progress moves the deadline later without a new timer wait: the wait that
// ends first finds the deadline moved and waits again; expiry comes at the
// last deadline, not the first.
TEST(DeadlineTest, MovingItLaterPostponesExpiry) {
  Fixture f;
  const auto start = Clock::now();
  f.deadline.ExpiresAfter(100ms);
  Clock::time_point last_set{};
  int moves = 0;
  boost::asio::steady_timer progress(f.ioc);
  std::function<void()> step = [&] {
    progress.expires_after(40ms);
    progress.async_wait([&](const boost::system::error_code& ec) {
      if (ec || f.fired) return;
      last_set = Clock::now();
      f.deadline.ExpiresAfter(100ms);  // "a read completed, the next one starts"
      if (++moves < 5) step();
    });
  };
  step();
  f.ioc.run_for(kRunLimit);
  ASSERT_TRUE(f.fired.has_value());
  EXPECT_EQ(moves, 5);
  EXPECT_GE(*f.fired - last_set, 100ms);
  EXPECT_GE(*f.fired - start, 300ms);  // five moves 40 ms apart, then 100 ms
  EXPECT_EQ(f.expire_calls, 1);
}

TEST(DeadlineTest, AnEarlierDeadlineReplacesALaterWait) {
  Fixture f;
  const auto start = Clock::now();
  f.deadline.ExpiresAfter(1h);
  f.deadline.ExpiresAfter(30ms);
  f.ioc.run_for(kRunLimit);
  ASSERT_TRUE(f.fired.has_value()) << "the 1 h wait was not replaced";
  EXPECT_GE(*f.fired - start, 30ms);
  EXPECT_EQ(f.expire_calls, 1);
}

// Cleared, the pending wait ends without expiring and without waiting again:
// run() returns once it has nothing left to do.
TEST(DeadlineTest, ClearedItNeverPasses) {
  Fixture f;
  f.deadline.ExpiresAfter(30ms);
  f.deadline.Clear();
  const auto start = Clock::now();
  f.ioc.run_for(kRunLimit);
  EXPECT_FALSE(f.fired.has_value());
  EXPECT_FALSE(f.deadline.expired());
  EXPECT_LT(Clock::now() - start, kRunLimit) << "a cleared deadline kept a wait going";

  // Set again after the old wait ended: a new wait starts.
  f.ioc.restart();
  f.deadline.ExpiresAfter(20ms);
  f.ioc.run_for(kRunLimit);
  EXPECT_TRUE(f.fired.has_value());
}

TEST(DeadlineTest, OnceExpiredItStaysExpired) {
  Fixture f;
  f.deadline.ExpiresAfter(10ms);
  f.ioc.run_for(kRunLimit);
  ASSERT_TRUE(f.deadline.expired());
  f.ioc.restart();
  f.deadline.ExpiresAfter(10ms);  // the socket is closed: nothing to time
  f.ioc.run_for(kRunLimit);
  EXPECT_TRUE(f.deadline.expired());
  EXPECT_EQ(f.expire_calls, 1);
}

TEST(DeadlineTest, DestroyedWithAWaitPendingItNeverCallsBack) {
  boost::asio::io_context ioc;
  bool called = false;
  auto deadline = std::make_unique<Deadline>(ioc.get_executor(), [&] { called = true; });
  deadline->ExpiresAfter(20ms);
  deadline.reset();
  const auto start = Clock::now();
  ioc.run_for(kRunLimit);  // the cancelled wait's handler runs, finds it gone
  EXPECT_FALSE(called);
  EXPECT_LT(Clock::now() - start, kRunLimit);
}

}  // namespace
}  // namespace switchboard::upstream
