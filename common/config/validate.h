#pragma once
// Validation of a Config, whatever its source (file, admin RPC, pushed snapshot).
// Pure; thread-safe.

#include "absl/status/status.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::config {

// Checks, each failing with InvalidArgumentError "<path>: <what is wrong>":
//  - keyProviders.<k>.type is literal|environment; literal needs `key`,
//    environment needs `envVar`; modelTargets non-empty, each an RE2-valid regex
//    (error says RE2 could not take it and why).
//  - modelProviders.<m>.type is genericoai|openrouter|gemini|random|trivial;
//    genericoai/openrouter/gemini need modelName; url (when set) is http(s)://;
//    random needs modelList or modelWeights (non-empty), every member exists,
//    weights finite and > 0, no cycle between random providers
//    ("modelProviders.a.modelList[0]: cycle a -> b -> a"); processorChain, when
//    set, names a chain in processorChains.
//  - processorChains.<c>[i].type is a known processor type (the fields of each
//    processor are validated when it is built, by dataplane/processors).
//  - server/upstream numbers are positive.
// Environment variables are not resolved here (the control plane validates
// configs whose keys live only in data planes' environments); the data plane
// resolves them when it builds a snapshot.
absl::Status ValidateConfig(const ::switchboard::config::v1::Config& config);

}  // namespace switchboard::config
