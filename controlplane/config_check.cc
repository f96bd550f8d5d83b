#include "controlplane/config_check.h"

#include <set>

#include <google/protobuf/util/message_differencer.h>

#include "dataplane/routing/snapshot.h"

namespace switchboard::controlplane {
namespace {

constexpr const char* kResolvedByDataPlane = "(resolved by each data plane)";

std::string Count(size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

absl::Status ValidateForControlPlane(const config::v1::Config& config) {
  std::set<std::string, std::less<>> env_keys;
  for (const auto& [name, provider] : config.key_providers()) {
    if (provider.type() == "environment") env_keys.insert(provider.env_var());
  }
  routing::Snapshot::Options options;
  options.getenv = [&env_keys](const char* name) -> const char* {
    return env_keys.count(std::string_view(name)) > 0 ? kResolvedByDataPlane : nullptr;
  };
  auto snapshot = routing::Snapshot::Build(config, options);
  if (!snapshot.ok()) return absl::InvalidArgumentError(snapshot.status().message());
  return absl::OkStatus();
}

config::v1::Config Redacted(const config::v1::Config& config) {
  config::v1::Config out = config;
  for (auto& [name, provider] : *out.mutable_key_providers()) provider.clear_key();
  return out;
}

std::string Summarize(const config::v1::Config& config) {
  return Count(config.model_providers_size(), "model provider", "model providers") + ", " +
         Count(config.key_providers_size(), "key provider", "key providers") + ", " +
         Count(config.processor_chains_size(), "processor chain", "processor chains");
}

bool SameConfig(const config::v1::Config& a, const config::v1::Config& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace switchboard::controlplane
