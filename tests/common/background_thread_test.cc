// BecomeBackgroundThread names the calling thread and lowers it, only it, and
// never raises one.

#include "common/background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace switchboard {
namespace {

struct Seen {
  int nice = 0;
  std::string name;
};

// Runs f on a thread of its own, then reads that thread's nice value and name.
template <typename F>
Seen OnNewThread(F f) {
  Seen seen;
  std::thread thread([&] {
    f();
    seen.nice = ThreadNice();
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    seen.name = name;
  });
  thread.join();
  return seen;
}

TEST(BackgroundThreadTest, NamesAndLowersTheCallingThreadOnly) {
  const int before = ThreadNice();
  char before_name[16] = {};
  pthread_getname_np(pthread_self(), before_name, sizeof before_name);
  Seen seen = OnNewThread([] { BecomeBackgroundThread("log-writer"); });
  // A thread starts at its creator's nice value; a test runner already at
  // nice 10 or more keeps its own.
  EXPECT_EQ(seen.nice, std::max(before, kBackgroundNice));
  EXPECT_EQ(seen.name, "log-writer");
  EXPECT_EQ(ThreadNice(), before);
  char after_name[16] = {};
  pthread_getname_np(pthread_self(), after_name, sizeof after_name);
  EXPECT_STREQ(after_name, before_name);
}

TEST(BackgroundThreadTest, ANameLongerThanLinuxKeepsIsCut) {
  Seen seen = OnNewThread([] { BecomeBackgroundThread("a-background-thread"); });
  EXPECT_EQ(seen.name, "a-background-th");
  EXPECT_EQ(seen.nice, std::max(ThreadNice(), kBackgroundNice));
}

TEST(BackgroundThreadTest, AThreadBelowTheBackgroundLevelIsNotRaised) {
  // Lower than the background level, and never above the runner's own (only
  // privileged threads may raise their priority).
  const int lower = std::max(ThreadNice(), std::min(kBackgroundNice + 5, 19));
  Seen seen = OnNewThread([&] {
    ASSERT_EQ(setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), lower), 0);
    BecomeBackgroundThread("lower");
  });
  EXPECT_EQ(seen.nice, lower);
}

}  // namespace
}  // namespace switchboard
