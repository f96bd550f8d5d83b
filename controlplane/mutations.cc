#include "controlplane/mutations.h"

#include <cmath>
#include <cstdio>

#include "controlplane/config_check.h"

namespace switchboard::controlplane {
namespace {

std::string FormatWeight(double weight) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", weight);
  return buffer;
}

absl::Status CheckName(const std::string& name, const char* section) {
  if (name.empty()) return absl::InvalidArgumentError(std::string(section) + ": name is required");
  return absl::OkStatus();
}

// Keeps the current key of a literal key provider written without one.
void KeepLiteralKey(const Config& current, const std::string& name, config::v1::KeyProvider& provider) {
  if (provider.type() != "literal" || !provider.key().empty()) return;
  auto it = current.key_providers().find(name);
  if (it != current.key_providers().end() && it->second.type() == "literal") provider.set_key(it->second.key());
}

template <typename Map>
absl::StatusOr<std::string> Erase(Map& map, const std::string& name, const char* section, const char* what,
                                  const char* rpc) {
  if (absl::Status s = CheckName(name, section); !s.ok()) return s;
  if (map.erase(name) == 0) {
    return absl::NotFoundError(std::string(section) + "." + name + ": no " + what + " named '" + name + "'");
  }
  return std::string(rpc) + " " + name;
}

}  // namespace

absl::StatusOr<std::string> SetWeights(Config& config, const std::string& name,
                                       const std::map<std::string, double>& weights) {
  if (name.empty()) return absl::InvalidArgumentError("name: the random model provider to change is required");
  auto& providers = *config.mutable_model_providers();
  auto it = providers.find(name);
  if (it == providers.end()) {
    return absl::NotFoundError("modelProviders." + name + ": no model provider named '" + name + "'");
  }
  std::string path = "modelProviders." + name;
  config::v1::ModelProvider& provider = it->second;
  if (provider.type() != "random") {
    return absl::InvalidArgumentError(path + ": is of type '" + provider.type() +
                                      "'; SetWeights needs a provider of type 'random'");
  }
  if (weights.empty()) return absl::InvalidArgumentError(path + ".modelWeights: at least one member is required");
  std::string summary = "SetWeights " + name + ":";
  for (const auto& [member, weight] : weights) {
    std::string member_path = path + ".modelWeights." + member;
    if (providers.find(member) == providers.end()) {
      return absl::InvalidArgumentError(member_path + ": unknown model provider '" + member + "'");
    }
    if (!std::isfinite(weight) || weight <= 0) {
      return absl::InvalidArgumentError(member_path + ": weight must be a finite number > 0, got " +
                                        FormatWeight(weight));
    }
    summary += " " + member + "=" + FormatWeight(weight);
  }
  provider.clear_model_list();
  provider.mutable_model_weights()->clear();
  for (const auto& [member, weight] : weights) (*provider.mutable_model_weights())[member] = weight;
  return summary;
}

absl::StatusOr<std::string> PutModelProvider(Config& config, const std::string& name,
                                             const config::v1::ModelProvider& provider) {
  if (absl::Status s = CheckName(name, "modelProviders"); !s.ok()) return s;
  bool existed = config.model_providers().count(name) > 0;
  (*config.mutable_model_providers())[name] = provider;
  return "PutModelProvider " + name + " (" + (existed ? "replaced" : "added") + ", type " + provider.type() + ")";
}

absl::StatusOr<std::string> DeleteModelProvider(Config& config, const std::string& name) {
  return Erase(*config.mutable_model_providers(), name, "modelProviders", "model provider", "DeleteModelProvider");
}

absl::StatusOr<std::string> PutKeyProvider(Config& config, const std::string& name,
                                           const config::v1::KeyProvider& provider) {
  if (absl::Status s = CheckName(name, "keyProviders"); !s.ok()) return s;
  config::v1::KeyProvider next = provider;
  KeepLiteralKey(config, name, next);
  bool existed = config.key_providers().count(name) > 0;
  (*config.mutable_key_providers())[name] = std::move(next);
  return "PutKeyProvider " + name + " (" + (existed ? "replaced" : "added") + ", type " + provider.type() + ")";
}

absl::StatusOr<std::string> DeleteKeyProvider(Config& config, const std::string& name) {
  return Erase(*config.mutable_key_providers(), name, "keyProviders", "key provider", "DeleteKeyProvider");
}

absl::StatusOr<std::string> PutProcessorChain(Config& config, const std::string& name,
                                              const config::v1::ProcessorChain& chain) {
  if (absl::Status s = CheckName(name, "processorChains"); !s.ok()) return s;
  bool existed = config.processor_chains().count(name) > 0;
  (*config.mutable_processor_chains())[name] = chain;
  return "PutProcessorChain " + name + " (" + (existed ? "replaced" : "added") + ", " +
         std::to_string(chain.processors_size()) + " processors)";
}

absl::StatusOr<std::string> DeleteProcessorChain(Config& config, const std::string& name) {
  return Erase(*config.mutable_processor_chains(), name, "processorChains", "processor chain", "DeleteProcessorChain");
}

absl::StatusOr<std::string> ReplaceConfig(Config& config, Config next) {
  for (auto& [name, provider] : *next.mutable_key_providers()) KeepLiteralKey(config, name, provider);
  config = std::move(next);
  return "ApplyConfig: " + Summarize(config);
}

}  // namespace switchboard::controlplane
