#pragma once
// The source of truth: the current config version and the history before it.
//
// Every change goes through Mutate, which is serialized: it edits a copy of
// the current config, validates it with the data plane's snapshot builder
// (config_check.h), gives it the next version, writes it to the state
// directory, makes it current, and then calls the publish callback (the
// data-plane registry's Broadcast) — still under the mutation lock, so data
// planes receive versions in order. A change that fails any step changes
// nothing.
//
// Thread-safety: every method may be called from any thread (gRPC callback
// threads). Lifetime: one per process, created before the gRPC server and
// destroyed after it.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/state_store.h"
#include "controlplane/version.h"

namespace switchboard::controlplane {

class ConfigManager {
 public:
  // At most this many versions are kept (in memory and on disk).
  static constexpr size_t kKeptVersions = 200;

  struct StartOptions {
    std::string config_file;        // --config
    bool reset_from_config = false;  // --reset-from-config
  };
  // Loads the state directory. With no good version in it (first start), or
  // with reset_from_config, the config file becomes a new version; otherwise
  // the newest good version is current and the file is not read. Problems
  // with state files are logged. Errors: the config file's (INVALID_ARGUMENT,
  // "<file>:<line>: <path>: <what>"), or the state directory's.
  static absl::StatusOr<std::unique_ptr<ConfigManager>> Start(std::unique_ptr<StateStore> store,
                                                              const StartOptions& options);

  VersionPtr Current() const;
  // Newest first, at most `limit` (0 = all kept).
  std::vector<VersionPtr> History(size_t limit = 0) const;

  // Called with every accepted version, under the mutation lock. Set once,
  // before serving.
  void SetPublisher(std::function<void(const VersionPtr&)> publish) { publish_ = std::move(publish); }

  // Returns the summary of the change, or why it cannot be made.
  using Change = std::function<absl::StatusOr<std::string>(config::v1::Config&)>;

  struct Result {
    VersionPtr version;   // the new current version (or the unchanged one)
    bool changed = true;  // false: the change left the config as it was; no new version
  };
  // FAILED_PRECONDITION when `expected_version` is set and is not current;
  // the change's own error; INVALID_ARGUMENT from validation; UNAVAILABLE
  // when the state directory cannot be written.
  absl::StatusOr<Result> Mutate(const std::string& author, std::optional<uint64_t> expected_version,
                                const Change& change);
  // A new version with the config of `version`. NOT_FOUND when it is not kept.
  absl::StatusOr<Result> Rollback(const std::string& author, std::optional<uint64_t> expected_version,
                                  uint64_t version);

 private:
  ConfigManager(std::unique_ptr<StateStore> store, std::vector<VersionPtr> history, uint64_t next_version);
  // Assigns the next version, persists and publishes. Holds mutate_mu_.
  absl::StatusOr<VersionPtr> Commit(const std::string& author, std::string summary, config::v1::Config config);

  std::unique_ptr<StateStore> store_;
  std::function<void(const VersionPtr&)> publish_;
  std::mutex mutate_mu_;    // serializes changes; taken before mu_
  mutable std::mutex mu_;   // guards history_ and next_version_
  std::vector<VersionPtr> history_;  // oldest first; back() is current
  uint64_t next_version_;
};

}  // namespace switchboard::controlplane
