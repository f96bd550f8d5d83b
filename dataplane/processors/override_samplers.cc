#include "dataplane/processors/override_samplers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

namespace switchboard::processors {
namespace {

// Keep in the order of the table in the header.
const std::vector<SamplerName> kSamplerNames = {
    {"temperature", "temperature", false},
    {"topP", "top_p", false},
    {"topK", "top_k", true},
    {"topA", "top_a", false},
    {"minP", "min_p", false},
    {"frequencyPenalty", "frequency_penalty", false},
    {"repetitionPenalty", "repetition_penalty", false},
    {"presencePenalty", "presence_penalty", false},
    {"maxTokens", "max_tokens", true},
    {"maxCompletionTokens", "max_completion_tokens", true},
    {"minTokens", "min_tokens", true},
    {"seed", "seed", true},
    {"n", "n", true},
    {"topLogprobs", "top_logprobs", true},
    {"typicalP", "typical_p", false},
    {"tfs", "tfs", false},
    {"topNSigma", "top_n_sigma", false},
    {"minKeep", "min_keep", true},
    {"repetitionPenaltyRange", "repetition_penalty_range", true},
    {"repeatPenalty", "repeat_penalty", false},
    {"repeatLastN", "repeat_last_n", true},
    {"mirostat", "mirostat", true},
    {"mirostatMode", "mirostat_mode", true},
    {"mirostatTau", "mirostat_tau", false},
    {"mirostatEta", "mirostat_eta", false},
    {"dryMultiplier", "dry_multiplier", false},
    {"dryBase", "dry_base", false},
    {"dryAllowedLength", "dry_allowed_length", true},
    {"dryPenaltyLastN", "dry_penalty_last_n", true},
    {"xtcThreshold", "xtc_threshold", false},
    {"xtcProbability", "xtc_probability", false},
    {"smoothingFactor", "smoothing_factor", false},
    {"smoothingCurve", "smoothing_curve", false},
    {"dynatempRange", "dynatemp_range", false},
    {"dynatempExponent", "dynatemp_exponent", false},
};

std::string AcceptedList() {
  std::string text;
  for (const SamplerName& name : kSamplerNames) {
    if (!text.empty()) text += ", ";
    text += name.camel_case;
    if (name.snake_case != name.camel_case) {
      text += '/';
      text += name.snake_case;
    }
  }
  return text;
}

nlohmann::json SamplerValue(const SamplerName& name, double number) {
  // 2^63: the first double outside int64_t.
  constexpr double kInt64Limit = 9223372036854775808.0;
  if (name.integer && std::trunc(number) == number && number >= -kInt64Limit &&
      number < kInt64Limit) {
    return static_cast<std::int64_t>(number);
  }
  return number;
}

}  // namespace

const std::vector<SamplerName>& AcceptedSamplers() { return kSamplerNames; }

const SamplerName* FindSampler(std::string_view key) {
  for (const SamplerName& name : kSamplerNames) {
    if (key == name.camel_case || key == name.snake_case) return &name;
  }
  return nullptr;
}

void OverrideSamplersProcessor::Apply(nlohmann::json& request, Rng&) const {
  if (!request.is_object()) return;
  for (const Override& override_entry : overrides_) {
    if (override_entry.value.has_value()) {
      request[override_entry.field] = *override_entry.value;
    } else {
      request.erase(override_entry.field);
    }
  }
}

absl::StatusOr<ProcessorPtr> BuildOverrideSamplers(const ProcessorConfig& config,
                                                   const std::string& path) {
  // Proto maps have no order; sort so errors and the order of writes are stable.
  std::vector<std::string> keys;
  keys.reserve(config.samplers_size());
  for (const auto& [key, value] : config.samplers()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());

  std::map<std::string_view, std::string_view> set_by;  // field -> config key
  std::vector<OverrideSamplersProcessor::Override> overrides;
  for (const std::string& key : keys) {
    const std::string key_path = FieldPath(path, key);
    const SamplerName* name = FindSampler(key);
    if (name == nullptr) {
      return ConfigError(key_path, "unknown sampler '" + key + "' (accepted: " + AcceptedList() + ")");
    }
    auto [previous, inserted] = set_by.emplace(name->snake_case, key);
    if (!inserted) {
      return ConfigError(key_path, "sets " + std::string(name->snake_case) + ", which " +
                                       std::string(previous->second) + " already sets");
    }
    const auto& value = config.samplers().at(key);
    OverrideSamplersProcessor::Override override_entry{std::string(name->snake_case), std::nullopt};
    if (value.value_case() == ::switchboard::config::v1::SamplerOverride::kNumber) {
      if (!std::isfinite(value.number())) return ConfigError(key_path, "must be a finite number");
      override_entry.value = SamplerValue(*name, value.number());
    } else if (value.value_case() != ::switchboard::config::v1::SamplerOverride::kUnset ||
               !value.unset()) {
      return ConfigError(key_path, "expected a number or \"unset\"");
    }
    overrides.push_back(std::move(override_entry));
  }
  return std::make_unique<const OverrideSamplersProcessor>(std::move(overrides));
}

}  // namespace switchboard::processors
