#pragma once
// overridesamplers: sets or removes sampler fields of the request.
//
// Accepted sampler names
// ----------------------
// Each key of an `overridesamplers` processor other than `type` names a
// sampler, in camelCase (FireRouter's spelling) or snake_case; it always sets
// the snake_case request field. The value is a number, or "unset" to remove the
// field. A sampler the client did not send is added; "unset" of a field the
// client did not send does nothing; 0 is a value like any other. Samplers
// marked (integer) are written as JSON integers when the configured number is
// integral (`topK: 40` sends `"top_k": 40`, not `40.0`); other numbers are sent
// as given. Any other name is a config error.
//
//   config key (camelCase | snake_case)                request field
//   temperature                                        temperature
//   topP | top_p                                       top_p
//   topK | top_k                                       top_k (integer)
//   topA | top_a                                       top_a
//   minP | min_p                                       min_p
//   frequencyPenalty | frequency_penalty               frequency_penalty
//   repetitionPenalty | repetition_penalty             repetition_penalty
//   presencePenalty | presence_penalty                 presence_penalty
//   maxTokens | max_tokens                             max_tokens (integer)
//   maxCompletionTokens | max_completion_tokens        max_completion_tokens (integer)
//   minTokens | min_tokens                             min_tokens (integer)
//   seed                                               seed (integer)
//   n                                                  n (integer)
//   topLogprobs | top_logprobs                         top_logprobs (integer)
//   typicalP | typical_p                               typical_p
//   tfs                                                tfs
//   topNSigma | top_n_sigma                            top_n_sigma
//   minKeep | min_keep                                 min_keep (integer)
//   repetitionPenaltyRange | repetition_penalty_range  repetition_penalty_range (integer)
//   repeatPenalty | repeat_penalty                     repeat_penalty
//   repeatLastN | repeat_last_n                        repeat_last_n (integer)
//   mirostat                                           mirostat (integer)
//   mirostatMode | mirostat_mode                       mirostat_mode (integer)
//   mirostatTau | mirostat_tau                         mirostat_tau
//   mirostatEta | mirostat_eta                         mirostat_eta
//   dryMultiplier | dry_multiplier                     dry_multiplier
//   dryBase | dry_base                                 dry_base
//   dryAllowedLength | dry_allowed_length              dry_allowed_length (integer)
//   dryPenaltyLastN | dry_penalty_last_n               dry_penalty_last_n (integer)
//   xtcThreshold | xtc_threshold                       xtc_threshold
//   xtcProbability | xtc_probability                   xtc_probability
//   smoothingFactor | smoothing_factor                 smoothing_factor
//   smoothingCurve | smoothing_curve                   smoothing_curve
//   dynatempRange | dynatemp_range                     dynatemp_range
//   dynatempExponent | dynatemp_exponent               dynatemp_exponent
//
// Config errors (path = the processor's path plus the key as written):
//   unknown name      "processorChains.x[0].foo: unknown sampler 'foo' (accepted: ...)"
//   bad value         "...topK: expected a number or \"unset\"", "...: must be a finite number"
//   two spellings     "...top_p: sets top_p, which topP already sets"
// Later processors in a chain win over earlier ones. Immutable, thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/processors/factory.h"

namespace switchboard::processors {

struct SamplerName {
  std::string_view camel_case;  // FireRouter's config key
  std::string_view snake_case;  // the request field (also accepted as a key)
  bool integer;                 // written as a JSON integer when integral
};

// The allow-list above, in that order.
const std::vector<SamplerName>& AcceptedSamplers();

// The entry whose camelCase or snake_case name is `key`, or nullptr.
const SamplerName* FindSampler(std::string_view key);

class OverrideSamplersProcessor final : public Processor {
 public:
  struct Override {
    std::string field;                   // snake_case request field
    std::optional<nlohmann::json> value;  // nullopt: remove the field
  };
  explicit OverrideSamplersProcessor(std::vector<Override> overrides)
      : overrides_(std::move(overrides)) {}
  void Apply(nlohmann::json& request, Rng& rng) const override;

 private:
  const std::vector<Override> overrides_;
};

absl::StatusOr<ProcessorPtr> BuildOverrideSamplers(const ProcessorConfig& config,
                                                   const std::string& path);

}  // namespace switchboard::processors
