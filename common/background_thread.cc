#include "common/background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace switchboard {
namespace {

// Linux's setpriority(PRIO_PROCESS, tid) applies to that one thread.
id_t ThisThread() { return static_cast<id_t>(syscall(SYS_gettid)); }

}  // namespace

int ThreadNice() {
  errno = 0;  // -1 is a nice value as well as the error return
  int nice = getpriority(PRIO_PROCESS, ThisThread());
  return errno == 0 ? nice : 0;
}

void BecomeBackgroundThread(std::string_view name) {
  constexpr size_t kMaxName = 15;  // the kernel's 16 bytes with the terminating NUL
  pthread_setname_np(pthread_self(), std::string(name.substr(0, kMaxName)).c_str());
  if (ThreadNice() >= kBackgroundNice) return;
  setpriority(PRIO_PROCESS, ThisThread(), kBackgroundNice);
}

}  // namespace switchboard
