#include "dataplane/source/config_source.h"

#include <sys/stat.h>

#include "common/background_thread.h"
#include "common/config/load.h"
#include "common/crypto/open_config.h"
#include "common/crypto/password.h"
#include "common/log.h"
#include "dataplane/source/fetch.h"

namespace switchboard::source {

ConfigSource::ConfigSource(SourceOptions options) : options_(std::move(options)) {
  name_ = remote() ? RedactUrl(options_.url) : options_.file;
}

absl::StatusOr<std::unique_ptr<ConfigSource>> ConfigSource::Create(SourceOptions options) {
  if (options.file.empty() == options.url.empty()) {
    return absl::InvalidArgumentError("give a config file or a config URL, not both");
  }
  if (!options.url.empty()) {
    if (absl::Status allowed = CheckConfigUrl(options.url); !allowed.ok()) return allowed;
  }
  return std::unique_ptr<ConfigSource>(new ConfigSource(std::move(options)));
}

absl::StatusOr<std::string> ConfigSource::Read(const std::function<bool()>& cancelled) const {
  if (!remote()) return config::ReadConfigFile(options_.file);
  FetchOptions fetch;
  fetch.timeout = options_.fetch_timeout;
  fetch.cancelled = cancelled;
  return FetchUrl(options_.url, fetch);
}

absl::StatusOr<std::string> ConfigSource::Password() {
  if (password_) return *password_;
  if (!options_.password_file.empty()) {
    auto password = crypto::ReadPasswordFile(options_.password_file);
    if (!password.ok()) return password.status();
    password_ = std::move(password->value);
  } else if (auto password = crypto::PasswordFromEnvironment()) {
    password_ = std::move(password->value);
  } else {
    return absl::FailedPreconditionError(
        "the config is sealed and no password is set: set SWITCHBOARD_CONFIG_PASSWORD (or CONFIG_PASSWORD), or "
        "use --config-password-file FILE");
  }
  return *password_;
}

absl::StatusOr<std::shared_ptr<const routing::Snapshot>> ConfigSource::Build(const std::string& bytes) {
  auto opened = crypto::OpenConfigText(bytes, name_, [this] { return Password(); });
  if (!opened.ok()) return opened.status();
  auto snapshot = routing::Snapshot::Build(opened->loaded.config);
  if (!snapshot.ok()) return config::AnnotateWithSource(snapshot.status(), opened->loaded);
  last_bytes_ = bytes;
  return snapshot;
}

absl::StatusOr<std::shared_ptr<const routing::Snapshot>> ConfigSource::Load() {
  auto bytes = Read();
  if (!bytes.ok()) return bytes.status();
  return Build(*bytes);
}

absl::StatusOr<std::shared_ptr<const routing::Snapshot>> ConfigSource::LoadIfChanged(
    const std::function<bool()>& cancelled) {
  auto bytes = Read(cancelled);
  if (!bytes.ok()) return bytes.status();
  if (*bytes == last_bytes_) return std::shared_ptr<const routing::Snapshot>();
  return Build(*bytes);
}

ConfigWatcher::ConfigWatcher(ConfigSource& source, std::chrono::milliseconds refetch, routing::SnapshotStore& store,
                             metrics::DataPlaneMetrics& metrics, uint64_t first_version)
    : source_(source),
      period_(source.remote() ? refetch : std::chrono::milliseconds(1000)),
      store_(store),
      metrics_(metrics),
      version_(first_version) {
  if (source_.remote() && period_.count() <= 0) return;  // nothing to watch
  stamp_ = FileStamp();
  thread_ = std::thread([this] { Loop(); });
}

ConfigWatcher::~ConfigWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ConfigWatcher::FileStamp() const {
  if (source_.remote()) return "";
  struct stat st {};
  if (::stat(source_.file().c_str(), &st) != 0) return "";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
         std::to_string(st.st_size) + "/" + std::to_string(st.st_ino);
}

void ConfigWatcher::Loop() {
  BecomeBackgroundThread("config-watcher");  // a reload builds a snapshot beside the I/O threads
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
    absl::StatusOr<std::shared_ptr<const routing::Snapshot>> snapshot;
    if (source_.remote()) {
      // A slow fetch must not hold the lock the destructor needs to stop us.
      lock.unlock();
      snapshot = source_.LoadIfChanged([this] { return stopping_.load(); });
      lock.lock();
      if (stop_) break;
      if (snapshot.ok() && *snapshot == nullptr) continue;  // unchanged
      if (!snapshot.ok()) {
        metrics_.ConfigRejected();
        log::Warn("config refetch failed; keeping the current config",
                  {{"config", source_.name()}, {"error", snapshot.status().message()}});
        continue;
      }
    } else {
      std::string stamp = FileStamp();
      if (stamp.empty() || stamp == stamp_) continue;
      stamp_ = stamp;
      snapshot = source_.Load();
      if (!snapshot.ok()) {
        metrics_.ConfigRejected();
        log::Error("config reload failed; keeping the current config", {{"error", snapshot.status().message()}});
        continue;
      }
    }
    metrics_.ConfigApplied(**snapshot, ++version_);
    store_.Set(*std::move(snapshot));
    log::Info(source_.remote() ? "config refetched" : "config reloaded", {{"config", source_.name()}});
  }
}

}  // namespace switchboard::source
