#include "controlplane/config_manager.h"

#include <algorithm>

#include "common/config/load.h"
#include "common/log.h"
#include "controlplane/config_check.h"

namespace switchboard::controlplane {

absl::StatusOr<std::unique_ptr<ConfigManager>> ConfigManager::Start(std::unique_ptr<StateStore> store,
                                                                    const StartOptions& options) {
  if (absl::Status opened = store->Open(); !opened.ok()) return opened;
  auto loaded = store->Load();
  if (!loaded.ok()) return loaded.status();
  for (const auto& problem : loaded->problems) log::Error("state file skipped", {{"problem", problem}});

  std::vector<VersionPtr> history;
  for (auto& version : loaded->versions) history.push_back(std::make_shared<const ConfigVersion>(std::move(version)));
  uint64_t next = loaded->highest_version + 1;
  std::unique_ptr<ConfigManager> manager(new ConfigManager(std::move(store), std::move(history), next));

  bool from_file = options.reset_from_config || manager->history_.empty();
  if (!from_file) {
    const VersionPtr& current = manager->history_.back();
    log::Info("state loaded", {{"state_dir", manager->store_->dir()},
                               {"version", current->version},
                               {"versions", manager->history_.size()},
                               {"config_ignored", options.config_file}});
    return manager;
  }
  auto file = config::LoadConfigFile(options.config_file);
  if (!file.ok()) return file.status();
  if (absl::Status valid = ValidateForControlPlane(file->config); !valid.ok()) {
    return config::AnnotateWithSource(valid, *file);
  }
  std::string summary = (options.reset_from_config && !manager->history_.empty() ? "reset from " : "initial config from ") +
                        options.config_file + ": " + Summarize(file->config);
  std::lock_guard<std::mutex> lock(manager->mutate_mu_);
  auto committed = manager->Commit("startup", std::move(summary), std::move(file->config));
  if (!committed.ok()) return committed.status();
  return manager;
}

ConfigManager::ConfigManager(std::unique_ptr<StateStore> store, std::vector<VersionPtr> history, uint64_t next_version)
    : store_(std::move(store)), history_(std::move(history)), next_version_(next_version) {}

VersionPtr ConfigManager::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return history_.back();
}

std::vector<VersionPtr> ConfigManager::History(size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VersionPtr> out(history_.rbegin(), history_.rend());
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}

absl::StatusOr<ConfigManager::Result> ConfigManager::Mutate(const std::string& author,
                                                            std::optional<uint64_t> expected_version,
                                                            const Change& change) {
  std::lock_guard<std::mutex> lock(mutate_mu_);
  VersionPtr current = Current();
  if (expected_version && *expected_version != current->version) {
    return absl::FailedPreconditionError("expected version " + std::to_string(*expected_version) +
                                         ", but the current version is " + std::to_string(current->version));
  }
  config::v1::Config next = *current->config;
  auto summary = change(next);
  if (!summary.ok()) return summary.status();
  if (SameConfig(next, *current->config)) return Result{current, false};
  if (absl::Status valid = ValidateForControlPlane(next); !valid.ok()) return valid;
  auto committed = Commit(author, *std::move(summary), std::move(next));
  if (!committed.ok()) return committed.status();
  return Result{*std::move(committed), true};
}

absl::StatusOr<ConfigManager::Result> ConfigManager::Rollback(const std::string& author,
                                                              std::optional<uint64_t> expected_version,
                                                              uint64_t version) {
  VersionPtr target;
  for (const auto& entry : History()) {
    if (entry->version == version) target = entry;
  }
  if (!target) {
    return absl::NotFoundError("version " + std::to_string(version) + " is not kept (see ListVersions)");
  }
  return Mutate(author, expected_version, [&](config::v1::Config& config) -> absl::StatusOr<std::string> {
    config = *target->config;
    return "Rollback to version " + std::to_string(version) + " (" + target->summary + ")";
  });
}

absl::StatusOr<VersionPtr> ConfigManager::Commit(const std::string& author, std::string summary,
                                                 config::v1::Config config) {
  auto version = std::make_shared<ConfigVersion>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    version->version = next_version_;
  }
  version->time = std::chrono::system_clock::now();
  version->author = author;
  version->summary = std::move(summary);
  version->config = std::make_shared<const config::v1::Config>(std::move(config));
  if (absl::Status saved = store_->Save(*version); !saved.ok()) {
    log::Error("cannot save config version", {{"version", version->version}, {"error", saved.message()}});
    return saved;
  }
  uint64_t oldest_kept = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++next_version_;
    history_.push_back(version);
    if (history_.size() > kKeptVersions) {
      history_.erase(history_.begin(), history_.end() - kKeptVersions);
      oldest_kept = history_.front()->version;
    }
  }
  if (oldest_kept > 0) store_->Prune(oldest_kept);
  log::Info("config version accepted",
            {{"version", version->version}, {"author", version->author}, {"summary", version->summary}});
  if (publish_) publish_(version);
  return VersionPtr(version);
}

}  // namespace switchboard::controlplane
