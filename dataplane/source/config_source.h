#pragma once
// Where a standalone data plane's config comes from: a file (`--config`) or a
// URL (`--config-url`, or FunTimeRouter's CONFIG_URL), in any form
// common/crypto/open_config.h reads — FireRouter YAML/JSON, providers.json, or
// either sealed with a password (SWITCHBOARD_CONFIG_PASSWORD, CONFIG_PASSWORD
// or `--config-password-file`).
//
// ConfigSource reads, opens, parses and builds a snapshot. ConfigWatcher keeps
// it current: a file is reloaded when it changes (polled every second), a URL
// refetched every `refetch` when that is set. A reload or refetch that fails
// (unreachable, wrong password, altered file, invalid config) keeps the
// running snapshot and logs one line: the source (a URL without its query)
// and the error, never the plaintext nor the password.
//
// Threading: ConfigSource is used by one thread at a time (main at start,
// then the watcher's thread). ConfigWatcher owns one thread; its destructor
// stops and joins it. Both must outlive nothing they are handed: the watcher
// keeps references to the source, the store and the metrics.

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "dataplane/metrics/metrics.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::source {

struct SourceOptions {
  std::string file;           // --config
  std::string url;            // --config-url (or CONFIG_URL)
  std::string password_file;  // --config-password-file
  std::chrono::milliseconds fetch_timeout{30'000};
};

class ConfigSource {
 public:
  // Exactly one of file and url. Checks the URL (https, or http to loopback);
  // reads nothing yet.
  static absl::StatusOr<std::unique_ptr<ConfigSource>> Create(SourceOptions options);

  // Reads or fetches, opens when sealed, parses, builds. Errors name the
  // source and, for config errors, the line and path
  // ("https://host/p.enc: wrong password or the file was altered (GCM tag mismatch)").
  absl::StatusOr<std::shared_ptr<const routing::Snapshot>> Load();

  // Like Load, but when the bytes read are the ones of the last successful
  // load, returns nullptr without opening or building anything. `cancelled`
  // (polled while fetching) abandons a fetch in progress.
  absl::StatusOr<std::shared_ptr<const routing::Snapshot>> LoadIfChanged(const std::function<bool()>& cancelled = {});

  bool remote() const { return !options_.url.empty(); }
  const std::string& file() const { return options_.file; }
  // The file path, or the URL without its query: what logs show.
  const std::string& name() const { return name_; }

 private:
  explicit ConfigSource(SourceOptions options);
  absl::StatusOr<std::string> Read(const std::function<bool()>& cancelled = {}) const;
  absl::StatusOr<std::string> Password();
  absl::StatusOr<std::shared_ptr<const routing::Snapshot>> Build(const std::string& bytes);

  SourceOptions options_;
  std::string name_;
  std::optional<std::string> password_;  // read once, when first needed
  std::string last_bytes_;               // of the last successful load
};

class ConfigWatcher {
 public:
  // `refetch` zero: a URL is never refetched (a file is still watched).
  // `first_version` is the metrics version of the snapshot already applied.
  ConfigWatcher(ConfigSource& source, std::chrono::milliseconds refetch, routing::SnapshotStore& store,
                metrics::DataPlaneMetrics& metrics, uint64_t first_version = 1);
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

 private:
  void Loop();
  std::string FileStamp() const;

  ConfigSource& source_;
  std::chrono::milliseconds period_;
  routing::SnapshotStore& store_;
  metrics::DataPlaneMetrics& metrics_;
  uint64_t version_;
  std::string stamp_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                   // guarded by mu_
  std::atomic<bool> stopping_{false};   // the same, for a fetch to poll
  std::thread thread_;
};

}  // namespace switchboard::source
