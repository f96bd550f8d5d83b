#include "tests/integration/harness/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

extern char** environ;

namespace switchboard::testing {
namespace {

std::vector<std::string> MergedEnvironment(const EnvVars& extra) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    vars[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args, const EnvVars& env) {
  // Everything the child needs is built before fork: after fork in a
  // multi-threaded process only async-signal-safe calls are allowed.
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = MergedEnvironment(env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t parent = getpid();

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + strerror(errno));
  pid_ = fork();
  if (pid_ < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw std::runtime_error(std::string("fork: ") + strerror(errno));
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    // The test's own sockets (fake upstreams, clients) must not leak into the
    // child: a copy held there would keep connections open that a test
    // expects to see closed.
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadOutput(fd); });
}

ChildProcess::~ChildProcess() {
  if (!exit_status_) {
    Kill();
    WaitExit(std::chrono::seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::ReadOutput(int fd) {
  std::string partial;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buffer, static_cast<size_t>(n));
    size_t newline;
    std::vector<std::string> complete;
    while ((newline = partial.find('\n')) != std::string::npos) {
      complete.push_back(partial.substr(0, newline));
      partial.erase(0, newline + 1);
    }
    if (complete.empty()) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& line : complete) lines_.push_back(std::move(line));
    }
    cv_.notify_all();
  }
  close(fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!partial.empty()) lines_.push_back(std::move(partial));
    output_closed_ = true;
  }
  cv_.notify_all();
}

void ChildProcess::Signal(int signal) {
  std::lock_guard<std::mutex> lock(wait_mu_);
  // Once reaped, the pid may belong to someone else.
  if (!exit_status_) kill(pid_, signal);
}

void ChildProcess::Terminate() { Signal(SIGTERM); }

void ChildProcess::Kill() { Signal(SIGKILL); }

std::optional<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(wait_mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_status_) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // Its last lines may still be in the pipe; once the reader has drained
      // it, Logs() is complete for anyone who has seen the exit.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)),
                     [this] { return output_closed_; });
      break;
    }
    if (done < 0 && errno != EINTR) {
      exit_status_ = -1;  // not our child any more; nothing to wait for
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_status_;
}

std::vector<std::string> ChildProcess::Logs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

std::string ChildProcess::LogText() const {
  std::string out;
  for (const auto& line : Logs()) out += line + "\n";
  return out;
}

bool ChildProcess::WaitForLog(std::string_view needle, std::chrono::milliseconds timeout) const {
  return WaitForLine([&](const std::string& line) { return line.find(needle) != std::string::npos; }, timeout);
}

DataPlaneProcess::DataPlaneProcess(const std::string& binary, const std::string& config_file,
                                   const std::vector<std::string>& extra_args, const EnvVars& env)
    : ChildProcess(binary,
                   [&] {
                     std::vector<std::string> args{"--config", config_file, "--listen", "127.0.0.1:0",
                                                   "--admin-listen", "127.0.0.1:0"};
                     args.insert(args.end(), extra_args.begin(), extra_args.end());
                     return args;
                   }(),
                   env) {}

bool DataPlaneProcess::WaitReady(std::chrono::milliseconds timeout) {
  std::string api, admin, allocator;
  bool ready = WaitForLine(
      [&](const std::string& line) {
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        if (!parsed.is_object() || parsed["msg"] != "ready") return false;
        if (parsed["api"].is_string()) api = parsed["api"].get<std::string>();
        if (parsed["admin"].is_string()) admin = parsed["admin"].get<std::string>();
        if (parsed["allocator"].is_string()) allocator = parsed["allocator"].get<std::string>();
        return true;
      },
      timeout);
  if (ready) {
    api_ = api;
    admin_ = admin;
    allocator_ = allocator;
  }
  return ready;
}

namespace {

// One /proc/PID/task/TID directory's thread, or nullopt when it is gone.
std::optional<ThreadInfo> ReadThread(const std::filesystem::path& task) {
  std::ifstream in(task / "stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "TID (NAME) STATE ...": the name may hold spaces and parentheses; the
  // fields after its last ')' count from 3 (state), and nice is the 19th.
  size_t name_start = stat.find('(');
  size_t name_end = stat.rfind(')');
  if (name_start == std::string::npos || name_end == std::string::npos || name_end < name_start) return std::nullopt;
  ThreadInfo info;
  info.tid = std::atoi(task.filename().c_str());
  info.name = stat.substr(name_start + 1, name_end - name_start - 1);
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int i = 3; i <= 19 && fields >> field; ++i) {
    if (i == 19) {
      info.nice = std::atoi(field.c_str());
      return info;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<ThreadInfo> ThreadsOf(pid_t pid) {
  std::vector<ThreadInfo> threads;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    if (std::optional<ThreadInfo> info = ReadThread(task.path())) threads.push_back(std::move(*info));
  }
  return threads;
}

std::optional<ThreadInfo> ThreadOf(pid_t pid, pid_t tid) {
  return ReadThread("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid));
}

bool WaitForThreadsAtNice(pid_t pid, const std::vector<std::string>& names, int nice,
                          std::chrono::milliseconds timeout, std::string* last) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<ThreadInfo> threads = ThreadsOf(pid);
    bool all = std::all_of(names.begin(), names.end(), [&](const std::string& name) {
      return std::any_of(threads.begin(), threads.end(),
                         [&](const ThreadInfo& t) { return t.name == name && t.nice == nice; });
    });
    if (last) {
      last->clear();
      for (const auto& t : threads) *last += t.name + "=" + std::to_string(t.nice) + " ";
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace switchboard::testing
