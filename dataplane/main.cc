// switchboard-dataplane: the OpenAI-compatible router.

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "common/config/load.h"
#include "common/log.h"
#include "dataplane/routing/snapshot.h"
#include "dataplane/server/server.h"

namespace {

using namespace switchboard;

constexpr const char* kUsage = R"(usage: switchboard-dataplane --config FILE [options]

Serves an OpenAI-compatible API (/v1/models, /v1/chat/completions) that routes
each request to the upstream models in FILE (FireRouter's config.yaml format,
YAML or JSON). The file is reloaded when it changes; a reload that fails keeps
the running config.

options:
  --config FILE            config file (YAML or JSON)
  --listen HOST:PORT       API address (default 127.0.0.1:<config port, 3000>)
  --admin-listen HOST:PORT admin address: /healthz, /readyz, /metrics (default 127.0.0.1:9901)
  --node-id ID             name of this replica in logs (default: host name)
  --threads N              I/O threads (default: number of cores)
  --log-level LEVEL        debug, info, warn or error (default info)
  --help                   this text

Port 0 picks a free port; the "ready" log line on stderr names the addresses.
)";

struct Flags {
  std::string config;
  std::string listen;
  std::string admin_listen = "127.0.0.1:9901";
  std::string node_id;
  int threads = 0;
  std::string log_level = "info";
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard-dataplane: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

// Returns -1 to continue, or an exit code.
int ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto next = [&](std::string& out) -> bool {
      if (has_inline) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--config") {
      if (!next(flags.config)) return UsageError("--config needs a file");
    } else if (arg == "--listen") {
      if (!next(flags.listen)) return UsageError("--listen needs HOST:PORT");
    } else if (arg == "--admin-listen") {
      if (!next(flags.admin_listen)) return UsageError("--admin-listen needs HOST:PORT");
    } else if (arg == "--node-id") {
      if (!next(flags.node_id)) return UsageError("--node-id needs a value");
    } else if (arg == "--threads") {
      std::string n;
      if (!next(n)) return UsageError("--threads needs a number");
      flags.threads = std::atoi(n.c_str());
      if (flags.threads < 1 || flags.threads > 256) return UsageError("--threads must be 1-256");
    } else if (arg == "--log-level") {
      if (!next(flags.log_level)) return UsageError("--log-level needs a level");
    } else if (arg == "--config-url" || arg == "--control-plane") {
      return UsageError(arg + " is not supported by this build yet");
    } else {
      return UsageError("unknown argument '" + arg + "'");
    }
  }
  if (flags.config.empty()) return UsageError("--config FILE is required");
  return -1;
}

absl::StatusOr<std::shared_ptr<const routing::Snapshot>> LoadSnapshot(const std::string& path) {
  auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) return loaded.status();
  auto snapshot = routing::Snapshot::Build(loaded->config);
  if (!snapshot.ok()) return config::AnnotateWithSource(snapshot.status(), *loaded);
  return snapshot;
}

// Polls the config file and swaps in a new snapshot when it changes.
class FileWatcher {
 public:
  FileWatcher(std::string path, routing::SnapshotStore& store, metrics::DataPlaneMetrics& metrics)
      : path_(std::move(path)), store_(store), metrics_(metrics) {
    stamp_ = Stamp();
    thread_ = std::thread([this] { Loop(); });
  }
  ~FileWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::string Stamp() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return "";
    return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
           std::to_string(st.st_size) + "/" + std::to_string(st.st_ino);
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      std::string stamp = Stamp();
      if (stamp.empty() || stamp == stamp_) continue;
      stamp_ = stamp;
      auto snapshot = LoadSnapshot(path_);
      if (!snapshot.ok()) {
        metrics_.ConfigRejected();
        log::Error("config reload failed; keeping the current config", {{"error", snapshot.status().message()}});
        continue;
      }
      metrics_.ConfigApplied(**snapshot, ++version_);
      store_.Set(*std::move(snapshot));
      log::Info("config reloaded", {{"config", path_}});
    }
  }

  std::string path_;
  routing::SnapshotStore& store_;
  metrics::DataPlaneMetrics& metrics_;
  uint64_t version_ = 1;  // the file's first load is version 1
  std::string stamp_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (int code = ParseFlags(argc, argv, flags); code >= 0) return code;
  if (flags.log_level == "debug") log::SetMinLevel(log::Level::kDebug);
  else if (flags.log_level == "warn") log::SetMinLevel(log::Level::kWarn);
  else if (flags.log_level == "error") log::SetMinLevel(log::Level::kError);
  else if (flags.log_level != "info") return UsageError("--log-level must be debug, info, warn or error");

  auto snapshot = LoadSnapshot(flags.config);
  if (!snapshot.ok()) {
    log::Error("config error", {{"error", snapshot.status().message()}});
    return 2;
  }
  routing::SnapshotStore store;
  store.Set(*snapshot);
  metrics::DataPlaneMetrics metrics;
  metrics.ConfigApplied(**snapshot, 1);

  server::ServerOptions options;
  options.api_listen = flags.listen.empty() ? "127.0.0.1:" + std::to_string((*snapshot)->settings().port) : flags.listen;
  options.admin_listen = flags.admin_listen;
  options.threads = flags.threads;
  server::Server server(options, store, metrics);
  if (absl::Status bound = server.Bind(); !bound.ok()) {
    log::Error("cannot start", {{"error", bound.message()}});
    return 1;
  }
  FileWatcher watcher(flags.config, store, metrics);
  nlohmann::json ready = {{"api", server.api_address()},
                          {"admin", server.admin_address()},
                          {"config", flags.config},
                          {"models", (*snapshot)->models().size()}};
  if (!flags.node_id.empty()) ready["node_id"] = flags.node_id;
  log::Info("ready", ready);
  server.Run();
  return 0;
}
