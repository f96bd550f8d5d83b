#pragma once
// The edits the admin API makes to a config, as pure functions on a copy of
// the current config. Each returns a one-line summary for the version history
// (never containing a key), or an error:
//   NOT_FOUND         the named entry does not exist (where it must);
//   INVALID_ARGUMENT  the request itself is wrong, with a message naming the
//                     config path ("modelProviders.demo.modelWeights.x: ...").
// The edited config is then validated as a whole by ValidateForControlPlane
// (config_check.h); these functions only check what they can explain better.
// Pure; thread-safe.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::controlplane {

using config::v1::Config;

// Replaces the weights of the random provider `name` (modelWeights; its
// modelList is cleared). Every member must be a model provider, every weight
// finite and > 0, and `name` a provider of type random.
absl::StatusOr<std::string> SetWeights(Config& config, const std::string& name,
                                       const std::map<std::string, double>& weights);

absl::StatusOr<std::string> PutModelProvider(Config& config, const std::string& name,
                                             const config::v1::ModelProvider& provider);
absl::StatusOr<std::string> DeleteModelProvider(Config& config, const std::string& name);

// A literal key provider given without `key` keeps the key of the existing
// literal key provider of that name (keys are write-only, so a client cannot
// send back what it never saw).
absl::StatusOr<std::string> PutKeyProvider(Config& config, const std::string& name,
                                           const config::v1::KeyProvider& provider);
absl::StatusOr<std::string> DeleteKeyProvider(Config& config, const std::string& name);

absl::StatusOr<std::string> PutProcessorChain(Config& config, const std::string& name,
                                              const config::v1::ProcessorChain& chain);
absl::StatusOr<std::string> DeleteProcessorChain(Config& config, const std::string& name);

// Replaces the whole config with `next`; literal keys without `key` keep the
// current one, as in PutKeyProvider.
absl::StatusOr<std::string> ReplaceConfig(Config& config, Config next);

}  // namespace switchboard::controlplane
