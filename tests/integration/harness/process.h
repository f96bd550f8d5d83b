#pragma once
// Runs a binary under test (the data plane) as a child process and watches
// its stderr, where it logs JSON lines.
//
// Threading: a reader thread collects output lines; every public method is
// thread-safe. The child gets SIGKILL when the object is destroyed (and when
// the test process dies), so a failing test never leaks a server.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace switchboard::testing {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

class ChildProcess {
 public:
  // Starts `binary` with `args`, in the test's environment plus `env`
  // (overriding names that exist). stdout and stderr are both captured.
  // Throws std::runtime_error when the process cannot be started.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const EnvVars& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  void Signal(int signal);
  void Terminate();  // SIGTERM
  void Kill();       // SIGKILL

  // The exit status (a signal's death reported as 128 + signal number, as a
  // shell does), or nullopt when it is still running after `timeout`. Once it
  // has returned a status, Logs() holds all the child's output.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);

  std::vector<std::string> Logs() const;
  std::string LogText() const;  // all lines, newline-terminated
  // True once a line containing `needle` has been captured.
  bool WaitForLog(std::string_view needle, std::chrono::milliseconds timeout) const;

 protected:
  // True once `predicate(line)` holds for some captured line, false when the
  // output ends (the child exited) or `timeout` passes first.
  template <class Predicate>
  bool WaitForLine(Predicate predicate, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    size_t checked = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      for (; checked < lines_.size(); ++checked) {
        if (predicate(lines_[checked])) return true;
      }
      if (output_closed_) return false;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && checked == lines_.size()) return false;
    }
  }

 private:
  void ReadOutput(int fd);

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::mutex wait_mu_;  // serialises waitpid
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool output_closed_ = false;
  std::thread reader_;
};

// One thread of a running process, from /proc/PID/task/TID/stat.
struct ThreadInfo {
  int tid = 0;
  std::string name;  // its comm, as `top -H` shows it
  int nice = 0;
};

// The threads of process `pid` now (none once it is gone).
std::vector<ThreadInfo> ThreadsOf(pid_t pid);
// Thread `tid` of process `pid` (its first thread: tid == pid), or nullopt.
std::optional<ThreadInfo> ThreadOf(pid_t pid, pid_t tid);

// Polls ThreadsOf(pid) until a thread named by each of `names` runs at `nice`.
// True when they all do before `timeout`; `last` (when given) gets the last
// threads seen, "name=nice name=nice ...", for the failure message.
bool WaitForThreadsAtNice(pid_t pid, const std::vector<std::string>& names, int nice,
                          std::chrono::milliseconds timeout, std::string* last = nullptr);

// The data plane, started as tests and scripts start it (see DEVELOPERS.md):
// `--config FILE --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0` plus
// `extra_args`, ready once it logs {"msg":"ready","api":..,"admin":..}.
class DataPlaneProcess : public ChildProcess {
 public:
  DataPlaneProcess(const std::string& binary, const std::string& config_file,
                   const std::vector<std::string>& extra_args = {}, const EnvVars& env = {});

  // True once the ready line has been logged; fills api(), admin() and
  // ready_allocator(). False when the process exits or `timeout` passes first.
  bool WaitReady(std::chrono::milliseconds timeout);
  const std::string& api() const { return api_; }      // "127.0.0.1:PORT"
  const std::string& admin() const { return admin_; }  // "127.0.0.1:PORT"
  // The "allocator" field of the ready line ("" when it has none).
  const std::string& ready_allocator() const { return allocator_; }

 private:
  std::string api_;
  std::string admin_;
  std::string allocator_;
};

}  // namespace switchboard::testing
