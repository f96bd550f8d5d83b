#include "common/tool/check.h"

#include <cstdlib>
#include <map>

namespace switchboard::tool {
namespace {

// What the data plane resolves while building: a key's value in place of an
// unset variable. Never sent anywhere; `check` only builds.
constexpr const char* kPlaceholder = "placeholder-for-switchboard-config-check";

}  // namespace

absl::StatusOr<CheckResult> CheckConfig(const config::LoadedConfig& loaded) {
  const auto& config = loaded.config;
  // Variable -> the config path that names it (the first, in sorted order).
  std::map<std::string, std::string> key_variables;
  for (const auto& [name, key] : config.key_providers()) {
    if (key.type() == "environment" && !key.env_var().empty()) {
      std::string path = "keyProviders." + name + ".envVar";
      auto [it, inserted] = key_variables.emplace(key.env_var(), path);
      if (!inserted && path < it->second) it->second = path;
    }
  }
  for (const auto& [name, key] : config.client_keys()) {
    if (!key.env_var().empty()) key_variables.emplace(key.env_var(), "clientKeys." + name + ".envVar");
  }

  std::map<std::string, std::string> missing;  // variable -> "is not set" / "is empty"
  routing::Snapshot::Options options;
  options.getenv = [&](const char* name) -> const char* {
    const char* value = std::getenv(name);
    if ((value == nullptr || *value == '\0') && key_variables.contains(name)) {
      missing.emplace(name, value == nullptr ? "is not set" : "is empty");
      return kPlaceholder;
    }
    return value;
  };
  auto snapshot = routing::Snapshot::Build(config, options);
  if (!snapshot.ok()) return config::AnnotateWithSource(snapshot.status(), loaded);

  CheckResult result;
  result.snapshot = *std::move(snapshot);
  for (const auto& [name, what] : missing) {
    result.warnings.push_back(name + " " + what + " in this environment (" + key_variables.at(name) + ")");
  }
  return result;
}

}  // namespace switchboard::tool
