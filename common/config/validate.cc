#include "common/config/validate.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/suggest.h"
#include "common/status.h"

namespace switchboard::config {
namespace {

namespace v1 = ::switchboard::config::v1;

absl::Status PathError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(path + ": " + message);
}

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& [key, value] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

template <size_t N>
std::vector<std::string> Names(const std::string_view (&list)[N]) {
  return std::vector<std::string>(std::begin(list), std::end(list));
}

// `what`: "key provider", "model provider", "processor".
template <size_t N>
absl::Status CheckType(const std::string& type, const std::string& path, const std::string_view (&known)[N],
                       const std::string& what) {
  std::vector<std::string> names = Names(known);
  if (type.empty()) return PathError(path + ".type", "required (one of: " + JoinNames(names) + ")");
  if (std::find(names.begin(), names.end(), type) != names.end()) return absl::OkStatus();
  std::string hint = DidYouMean(type, names);
  if (hint.empty()) hint = " (expected one of: " + JoinNames(names) + ")";
  return PathError(path + ".type", "unknown " + what + " type '" + type + "'" + hint);
}

absl::Status CheckPositiveWeight(double weight, const std::string& path) {
  if (std::isfinite(weight) && weight > 0) return absl::OkStatus();
  return PathError(path, "weight must be a finite number > 0 (got " + absl::StrCat(weight) + ")");
}

absl::Status CheckPositiveSeconds(bool has, double value, const std::string& path) {
  if (!has || (std::isfinite(value) && value > 0)) return absl::OkStatus();
  return PathError(path, "must be a finite number > 0 (got " + absl::StrCat(value) + ")");
}

absl::Status ValidateKeyProvider(const v1::KeyProvider& kp, const std::string& path) {
  RETURN_IF_ERROR(CheckType(kp.type(), path, kKeyProviderTypes, "key provider"));
  if (kp.type() == "literal" && kp.key().empty()) return PathError(path + ".key", "required when type is 'literal'");
  if (kp.type() == "environment" && kp.env_var().empty()) {
    return PathError(path + ".envVar", "required when type is 'environment'");
  }
  if (kp.model_targets().empty()) {
    return PathError(path + ".modelTargets",
                     "required: a list of regexes choosing the model providers that use this key");
  }
  for (int i = 0; i < kp.model_targets_size(); ++i) {
    const std::string& pattern = kp.model_targets(i);
    RE2 re(pattern, RE2::Quiet);
    if (!re.ok()) {
      return PathError(path + ".modelTargets[" + std::to_string(i) + "]",
                       "RE2 cannot compile '" + pattern + "': " + re.error());
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMember(const v1::Config& config, const std::string& member, const std::string& path) {
  if (config.model_providers().contains(member)) return absl::OkStatus();
  return PathError(
      path, "unknown model provider '" + member + "'" + DidYouMean(member, SortedKeys(config.model_providers())));
}

// The gemini-only keys: a config error on any other type; names from Gemini's
// vocabulary.
absl::Status ValidateGeminiOptions(const v1::ModelProvider& mp, const std::string& path) {
  if (mp.type() != "gemini") {
    const char* key = mp.has_system_instruction()    ? "systemInstruction"
                      : !mp.safety_settings().empty() ? "safetySettings"
                      : mp.has_thinking_budget()       ? "thinkingBudget"
                      : mp.has_include_thoughts()      ? "includeThoughts"
                                                       : nullptr;
    if (key == nullptr) return absl::OkStatus();
    return PathError(path + "." + key, "only for type 'gemini' (this provider's type is '" + mp.type() + "')");
  }
  std::vector<std::string> categories = Names(kGeminiHarmCategories);
  std::vector<std::string> thresholds = Names(kGeminiHarmThresholds);
  for (const auto& category : SortedKeys(mp.safety_settings())) {
    std::string item_path = path + ".safetySettings." + category;
    if (std::find(categories.begin(), categories.end(), category) == categories.end()) {
      std::string hint = DidYouMean(category, categories);
      if (hint.empty()) hint = " (expected one of: " + JoinNames(categories) + ")";
      return PathError(item_path, "unknown harm category '" + category + "'" + hint);
    }
    const std::string& threshold = mp.safety_settings().at(category);
    if (std::find(thresholds.begin(), thresholds.end(), threshold) == thresholds.end()) {
      std::string hint = DidYouMean(threshold, thresholds);
      if (hint.empty()) hint = " (expected one of: " + JoinNames(thresholds) + ")";
      return PathError(item_path, "unknown threshold '" + threshold + "'" + hint);
    }
  }
  if (mp.has_thinking_budget() && mp.thinking_budget() < -1) {
    return PathError(path + ".thinkingBudget", "must be -1 (the model decides), 0 (no thinking) or a token count (got " +
                                                   std::to_string(mp.thinking_budget()) + ")");
  }
  return absl::OkStatus();
}

absl::Status ValidateModelProvider(const v1::Config& config, const v1::ModelProvider& mp, const std::string& path) {
  RETURN_IF_ERROR(CheckType(mp.type(), path, kModelProviderTypes, "model provider"));
  RETURN_IF_ERROR(ValidateGeminiOptions(mp, path));
  const std::string& type = mp.type();
  if ((type == "genericoai" || type == "openrouter" || type == "gemini") && mp.model_name().empty()) {
    return PathError(path + ".modelName", "required when type is '" + type + "'");
  }
  if (!mp.url().empty() && !absl::StartsWithIgnoreCase(mp.url(), "http://") &&
      !absl::StartsWithIgnoreCase(mp.url(), "https://")) {
    return PathError(path + ".url", "must start with http:// or https:// (got '" + mp.url() + "')");
  }
  if (!mp.processor_chain().empty() && !config.processor_chains().contains(mp.processor_chain())) {
    return PathError(path + ".processorChain",
                     "unknown processor chain '" + mp.processor_chain() + "'" +
                         DidYouMean(mp.processor_chain(), SortedKeys(config.processor_chains())));
  }
  if (type == "random") {
    // modelWeights wins over modelList when both are set (FireRouter).
    if (!mp.model_weights().empty()) {
      for (const auto& member : SortedKeys(mp.model_weights())) {
        std::string member_path = path + ".modelWeights." + member;
        RETURN_IF_ERROR(CheckMember(config, member, member_path));
        RETURN_IF_ERROR(CheckPositiveWeight(mp.model_weights().at(member), member_path));
      }
    } else if (!mp.model_list().empty()) {
      for (int i = 0; i < mp.model_list_size(); ++i) {
        RETURN_IF_ERROR(CheckMember(config, mp.model_list(i), path + ".modelList[" + std::to_string(i) + "]"));
      }
    } else {
      return PathError(path, "a random provider needs modelList or modelWeights");
    }
  }
  if (mp.has_chunk_delay_ms() && !(std::isfinite(mp.chunk_delay_ms()) && mp.chunk_delay_ms() >= 0)) {
    return PathError(path + ".chunkDelayMs",
                     "must be a finite number >= 0 (got " + absl::StrCat(mp.chunk_delay_ms()) + ")");
  }
  return absl::OkStatus();
}

// Depth-first search over the random providers; a member still on the stack
// closes a cycle, reported at the edge that leaves its first node.
class CycleFinder {
 public:
  explicit CycleFinder(const v1::Config& config) : config_(config) {}

  absl::Status Run() {
    for (const auto& name : SortedKeys(config_.model_providers())) {
      if (IsRandom(name) && state_[name] == State::kUnvisited) RETURN_IF_ERROR(Visit(name));
    }
    return absl::OkStatus();
  }

 private:
  enum class State { kUnvisited, kOnStack, kDone };
  struct Edge {
    std::string member;
    std::string path;  // "modelProviders.a.modelList[0]"
  };
  struct StackEntry {
    std::string node;
    std::string edge_path;  // the edge followed out of `node`
  };

  bool IsRandom(const std::string& name) const {
    auto it = config_.model_providers().find(name);
    return it != config_.model_providers().end() && it->second.type() == "random";
  }

  std::vector<Edge> Edges(const std::string& name) const {
    const v1::ModelProvider& mp = config_.model_providers().at(name);
    const std::string path = "modelProviders." + name;
    std::vector<Edge> edges;
    if (!mp.model_weights().empty()) {
      for (const auto& member : SortedKeys(mp.model_weights()))
        edges.push_back({member, path + ".modelWeights." + member});
    } else {
      for (int i = 0; i < mp.model_list_size(); ++i) {
        edges.push_back({mp.model_list(i), path + ".modelList[" + std::to_string(i) + "]"});
      }
    }
    return edges;
  }

  absl::Status Visit(const std::string& name) {
    state_[name] = State::kOnStack;
    for (const Edge& edge : Edges(name)) {
      if (!IsRandom(edge.member)) continue;
      stack_.push_back({name, edge.path});
      State member_state = state_[edge.member];
      if (member_state == State::kOnStack) {
        size_t start = 0;
        while (stack_[start].node != edge.member) ++start;
        std::string cycle;
        for (size_t i = start; i < stack_.size(); ++i) cycle += stack_[i].node + " -> ";
        cycle += edge.member;
        return PathError(stack_[start].edge_path, "random providers form a cycle: " + cycle);
      }
      if (member_state == State::kUnvisited) RETURN_IF_ERROR(Visit(edge.member));
      stack_.pop_back();
    }
    state_[name] = State::kDone;
    return absl::OkStatus();
  }

  const v1::Config& config_;
  std::map<std::string, State> state_;
  std::vector<StackEntry> stack_;
};

absl::Status ValidateProcessor(const v1::Processor& p, const std::string& path) {
  RETURN_IF_ERROR(CheckType(p.type(), path, kProcessorTypes, "processor"));
  if (p.type() == "random") {
    // processorWeights wins over processorList when both are set (FireRouter).
    if (!p.processor_weights().empty()) {
      for (int i = 0; i < p.processor_weights_size(); ++i) {
        const v1::WeightedProcessor& weighted = p.processor_weights(i);
        std::string item_path = path + ".processorWeights[" + std::to_string(i) + "]";
        RETURN_IF_ERROR(CheckPositiveWeight(weighted.weight(), item_path + ".weight"));
        if (!weighted.has_config()) return PathError(item_path + ".config", "required");
        RETURN_IF_ERROR(ValidateProcessor(weighted.config(), item_path + ".config"));
      }
    } else if (!p.processor_list().empty()) {
      for (int i = 0; i < p.processor_list_size(); ++i) {
        RETURN_IF_ERROR(ValidateProcessor(p.processor_list(i), path + ".processorList[" + std::to_string(i) + "]"));
      }
    } else {
      return PathError(path, "a random processor needs processorList or processorWeights");
    }
  }
  if (p.type() == "chain") {
    for (int i = 0; i < p.processors_size(); ++i) {
      RETURN_IF_ERROR(ValidateProcessor(p.processors(i), path + ".processors[" + std::to_string(i) + "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSettings(const v1::Config& config) {
  const v1::ServerSettings& s = config.server();
  if (s.has_body_limit_bytes() && s.body_limit_bytes() == 0) return PathError("server.bodyLimitBytes", "must be > 0");
  RETURN_IF_ERROR(
      CheckPositiveSeconds(s.has_header_timeout_seconds(), s.header_timeout_seconds(), "server.headerTimeoutSeconds"));
  RETURN_IF_ERROR(
      CheckPositiveSeconds(s.has_body_timeout_seconds(), s.body_timeout_seconds(), "server.bodyTimeoutSeconds"));
  RETURN_IF_ERROR(
      CheckPositiveSeconds(s.has_idle_timeout_seconds(), s.idle_timeout_seconds(), "server.idleTimeoutSeconds"));
  RETURN_IF_ERROR(CheckPositiveSeconds(s.has_keep_alive_interval_seconds(), s.keep_alive_interval_seconds(),
                                       "server.keepAliveIntervalSeconds"));
  RETURN_IF_ERROR(
      CheckPositiveSeconds(s.has_shutdown_grace_seconds(), s.shutdown_grace_seconds(), "server.shutdownGraceSeconds"));
  const v1::UpstreamSettings& u = config.upstream();
  RETURN_IF_ERROR(CheckPositiveSeconds(u.has_connect_timeout_seconds(), u.connect_timeout_seconds(),
                                       "upstream.connectTimeoutSeconds"));
  RETURN_IF_ERROR(CheckPositiveSeconds(u.has_first_byte_timeout_seconds(), u.first_byte_timeout_seconds(),
                                       "upstream.firstByteTimeoutSeconds"));
  RETURN_IF_ERROR(
      CheckPositiveSeconds(u.has_idle_timeout_seconds(), u.idle_timeout_seconds(), "upstream.idleTimeoutSeconds"));
  if (u.has_response_limit_bytes() && u.response_limit_bytes() == 0) {
    return PathError("upstream.responseLimitBytes", "must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(const v1::Config& config) {
  if (config.has_port() && config.port() > 65535) {
    return PathError("port", "must be between 0 and 65535 (got " + std::to_string(config.port()) + ")");
  }
  for (const auto& name : SortedKeys(config.key_providers())) {
    RETURN_IF_ERROR(ValidateKeyProvider(config.key_providers().at(name), "keyProviders." + name));
  }
  for (const auto& name : SortedKeys(config.model_providers())) {
    RETURN_IF_ERROR(ValidateModelProvider(config, config.model_providers().at(name), "modelProviders." + name));
  }
  RETURN_IF_ERROR(CycleFinder(config).Run());
  for (const auto& name : SortedKeys(config.processor_chains())) {
    const v1::ProcessorChain& chain = config.processor_chains().at(name);
    for (int i = 0; i < chain.processors_size(); ++i) {
      RETURN_IF_ERROR(
          ValidateProcessor(chain.processors(i), "processorChains." + name + "[" + std::to_string(i) + "]"));
    }
  }
  return ValidateSettings(config);
}

}  // namespace switchboard::config
